"""Planning-driven generation (LPW / SLPW): plan, verify the plan, code, test, self-debug."""
