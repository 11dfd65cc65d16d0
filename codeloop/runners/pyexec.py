"""Evaluate calls against candidate programs in a child Python (doctest checks, probing).

Each batch runs in one fresh interpreter in a temporary folder, killed whole when it
runs past its timeout; a candidate that loops or exits cannot take codeloop with it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from codeloop.runners import call_harness


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
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with tempfile.TemporaryDirectory(prefix="codeloop-call-") as tmp:
        proc = subprocess.Popen(
            [sys.executable, "-I", str(Path(call_harness.__file__))],
            cwd=tmp, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True, text=True,
        )
        try:
            out, _ = proc.communicate(payload, timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return [["raises TimeoutError: the program ran too long"] * len(calls) for _ in programs]
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    for line in reversed(out.splitlines()):
        if line.startswith('{"outputs"'):
            outputs = json.loads(line)["outputs"]
            return [list(map(str, row)) for row in outputs]
    return [[f"raises SystemExit: the program exited ({proc.returncode})"] * len(calls) for _ in programs]


def trace_call(program: str, call: str, name: str, sys_path: list[str] | None = None) -> str:
    """A short trace of ``name``'s variables while ``call`` runs ("" when there is none)."""
    rows = call_outputs([program], [call], sys_path=sys_path, trace=name, timeout=20.0)
    return "\n".join(rows[0]) if rows and not (rows[0] and rows[0][0].startswith("raises ")) else ""
