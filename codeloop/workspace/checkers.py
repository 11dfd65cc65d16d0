"""Checkers for generated code: a candidate module is written into a sandbox copy and
the visible tests run there; the user's tree is never touched while searching."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from codeloop.core.lpw.checks import CheckFailure, Checker, CheckResult
from codeloop.runners.base import TestReport
from codeloop.workspace.sandbox import SandboxPool


class _Runner(Protocol):
    command: str

    def run(self, cwd: Path, selection: list[str] | None = None, timeout: float = 600.0) -> TestReport: ...


def pytest_checker(
    pool: SandboxPool,
    runner: _Runner,
    relpath: str,
    module_text: Callable[[str], str],
    test_files: list[str],
    timeout: float = 60.0,
) -> Checker:
    """Run ``test_files`` with the module at ``relpath`` holding the candidate function."""

    def check(function: str) -> CheckResult:
        with pool.sandbox() as box, box.applied({relpath: module_text(function)}):
            report = runner.run(box.path, test_files, timeout=timeout)
        failures = tuple(CheckFailure(f.test_id, "", (f.message or f.details[-300:]).strip()) for f in report.failures)
        if not report.passed and not failures:
            failures = (CheckFailure(runner.command, "", report.output[-300:]),)
        return CheckResult(report.passed, failures, len(report.passed_ids) + len(report.failures))

    return check


def module_sys_path(root: Path, relpath: str) -> list[str]:
    """Where a stub's module finds its siblings and its package when run alone."""
    folder = (root / relpath).parent
    return list(dict.fromkeys([str(folder), str(root)]))
