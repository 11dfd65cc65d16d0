"""Any test command, judged by its exit code and output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from codeloop.runners.base import TestFailure, TestReport, run_shell


class CommandRunner:
    def __init__(self, command: str, env_for: Callable[[Path], dict[str, str]] | None = None) -> None:
        self.command = command
        self.env_for = env_for

    def run(self, cwd: Path, selection: list[str] | None = None, timeout: float = 600.0) -> TestReport:
        result = run_shell(self.command, cwd, timeout, self.env_for(cwd) if self.env_for else None)
        passed = result.exit_code == 0
        failures = []
        if not passed:
            tail = result.output[-2000:]
            failures.append(TestFailure(test_id=self.command, message=tail.strip().splitlines()[-1:][0] if tail.strip() else f"exit code {result.exit_code}", details=tail))
        return TestReport(
            passed=passed,
            exit_code=result.exit_code,
            failures=failures,
            output=result.output,
            seconds=result.seconds,
            timed_out=result.timed_out,
        )
