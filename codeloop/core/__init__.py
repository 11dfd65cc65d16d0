"""Pure logic: takes values and ports, returns data and yields events. No terminal, no I/O of its own."""
