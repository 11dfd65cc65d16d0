"""Benchmarks of codeloop's generators (pure: tasks in, rows out; judging is injected)."""
