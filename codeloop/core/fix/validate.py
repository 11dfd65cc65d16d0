"""Validate candidates in sandboxes: failing tests first, then the whole test command.

A candidate that only passes the failing tests is never accepted: it must pass the
whole command, the same bar the user's CI applies.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

from codeloop.analysis.languages import Language
from codeloop.core.fix.context import Candidate, Verdict
from codeloop.runners.base import TestReport, TestRunner


class SandboxLike(Protocol):
    path: object

    def applied(self, files: dict[str, str]) -> AbstractContextManager[object]: ...


class Sandboxes(Protocol):
    files: list[str]
    links: set[str]  # the files that are symbolic links

    def sandbox(self) -> AbstractContextManager[SandboxLike]: ...

    def read(self, rel: str) -> str: ...


def forbidden_reason(
    candidate: Candidate, known: set[str], language_for: Callable[[str], Language | None], links: frozenset[str] | set[str] = frozenset()
) -> str | None:
    """Why a candidate may not be applied at all: it touches tests, invents files, or edits a
    symbolic link (applied, it would write outside the tree or change where a link points)."""
    for change in candidate.changes.files:
        if change.path not in known:
            return f"creates a new file {change.path}"
        if change.path in links:
            return f"edits {change.path}, a symbolic link"
        language = language_for(change.path)
        if language is None:
            return f"edits {change.path}, which is not source code codeloop understands"
        if language.is_test_file(change.path):
            return f"edits the test file {change.path}"
    return None


class Validator:
    def __init__(
        self,
        pool: Sandboxes,
        runner: TestRunner,
        baseline: TestReport,
        language_for: Callable[[str], Language | None],
        deadline: float,
        full_timeout: float,
        typical_seconds: float | None = None,
    ) -> None:
        self.pool = pool
        self.runner = runner
        self.failing = baseline.failed_ids if baseline.structured else []
        self.language_for = language_for
        self.known = set(pool.files)
        self.deadline = deadline
        # A candidate that makes the suite hang must not eat the whole budget; the
        # failing tests alone get less time than the whole suite took (mutants that
        # loop forever are common, and they would otherwise cost the full timeout).
        self.full_timeout = full_timeout
        # ``typical_seconds``: the baseline's duration without the tests it stopped as hung.
        self.quick_timeout = max(5.0, 2 * (baseline.seconds if typical_seconds is None else typical_seconds))

    def _timeout(self, limit: float | None = None) -> float:
        return max(5.0, min(limit or self.full_timeout, self.deadline - time.monotonic()))

    def __call__(self, candidate: Candidate) -> Verdict:
        reason = forbidden_reason(candidate, self.known, self.language_for, self.pool.links)
        if reason is not None:
            return Verdict(False, None, "forbidden", reason)
        with self.pool.sandbox() as box, box.applied(candidate.changes.new_texts()):
            path = box.path
            if self.failing:
                first = self.runner.run(path, self.failing, timeout=self._timeout(self.quick_timeout))  # type: ignore[arg-type]
                if not first.passed:
                    return Verdict(False, first, "failed", "failing tests still fail")
            full = self.runner.run(path, None, timeout=self._timeout())  # type: ignore[arg-type]
        if not full.passed:
            return Verdict(False, full, "failed", "the whole test command fails")
        return Verdict(True, full, "passed")
