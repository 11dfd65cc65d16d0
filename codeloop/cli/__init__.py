"""The command line: parses, dispatches, renders. Heavy imports happen inside commands."""
