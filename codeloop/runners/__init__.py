"""Test runners: run a test command in a directory and return a structured TestReport."""
