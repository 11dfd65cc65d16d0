"""Containment of the programs codeloop runs (test commands, candidate code).

Candidates are untrusted programs and codeloop itself may be killed at any moment, so
every test run is started through ``launcher`` (its own session, a subreaper that kills
whatever the run left behind, resource limits, no network where the OS allows, an
allow-listed environment with its own HOME and TMPDIR), and every codeloop process has a
``reaper`` watching it from outside, which cleans up after a SIGKILL. ``session`` is the
parent side of both; ``procs`` the /proc helpers they share.

``launcher`` and ``reaper`` run as separate interpreters started with ``-S -E -s``: they
import nothing but the standard library and this package's ``procs``.
"""
