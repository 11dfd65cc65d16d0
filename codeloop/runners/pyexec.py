"""Evaluate calls against candidate programs in a child Python (doctest checks, probing).

Each batch runs in one fresh interpreter in a temporary folder, killed whole when it
runs past its timeout; a candidate that loops or exits cannot take codeloop with it.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from codeloop.containment import session
from codeloop.runners import call_harness
from codeloop.runners.base import run_contained


def call_outputs(
    programs: list[str],
    calls: list[str],
    sys_path: list[str] | None = None,
    call_timeout: float = 2.0,
    timeout: float = 60.0,
    trace: str = "",
) -> list[list[str]]:
    """outputs[i][j]: what program i gives for call j (see call_harness for the forms).

    With ``trace`` (a function name) the one row holds the last line events of that
    function during the first call instead: "line 3: total=0, i=1".
    """
    if not programs:
        return []
    payload = json.dumps({"programs": programs, "calls": calls, "call_timeout": call_timeout, "sys_path": sys_path or [], "trace": trace})
    with tempfile.TemporaryDirectory(prefix="call-", dir=session.current().folder) as tmp:
        argv = [sys.executable, "-I", str(Path(call_harness.__file__))]
        run = run_contained(argv, Path(tmp), timeout, input=payload.encode("utf-8"), merge_stderr=False)
    if run.timed_out:
        return [["raises TimeoutError: the program ran too long"] * len(calls) for _ in programs]
    for line in reversed(run.output.splitlines()):
        if line.startswith('{"outputs"'):
            outputs = json.loads(line)["outputs"]
            return [list(map(str, row)) for row in outputs]
    return [[f"raises SystemExit: the program exited ({run.exit_code})"] * len(calls) for _ in programs]


def trace_call(program: str, call: str, name: str, sys_path: list[str] | None = None) -> str:
    """A short trace of ``name``'s variables while ``call`` runs ("" when there is none)."""
    rows = call_outputs([program], [call], sys_path=sys_path, trace=name, timeout=20.0)
    return "\n".join(rows[0]) if rows and not (rows[0] and rows[0][0].startswith("raises ")) else ""
