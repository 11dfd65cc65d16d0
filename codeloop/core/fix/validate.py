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
from codeloop.core.fix import capabilities
from codeloop.core.fix.context import Candidate, Verdict
from codeloop.runners.base import TestReport, TestRunner


class SandboxLike(Protocol):
    path: object

    def applied(self, files: dict[str, str]) -> AbstractContextManager[object]: ...


class Sandboxes(Protocol):
    files: list[str]
    links: set[str]  # the files that are symbolic links

    def sandbox(self) -> AbstractContextManager[SandboxLike]: ...

    def fresh(self) -> AbstractContextManager[SandboxLike]:
        """A new copy no candidate has run in, removed afterwards."""
        ...

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


def _kind_of(reason: str) -> str:
    """forbidden_reason's reason, in a word or two (the key of the counts in --json)."""
    for words, kind in (("new file", "new file"), ("symbolic link", "symbolic link"), ("test file", "edits tests")):
        if words in reason:
            return kind
    return "not source code"


def capability_refusal(
    candidate: Candidate, language_for: Callable[[str], Language | None], test_modules: frozenset[str]
) -> tuple[str, str] | None:
    """(what, why) a candidate may not even run: its Python code does something the code
    it replaces did not (capabilities.py). Other languages pass through."""
    for change in candidate.changes.files:
        language = language_for(change.path)
        if language is None or language.name != "python":
            continue
        refused = capabilities.refusal(change.before, change.after, test_modules)
        if refused is not None:
            return refused.capability, f"{change.path}: {refused}"
    return None


def test_module_names(files: list[str], language_for: Callable[[str], Language | None]) -> frozenset[str]:
    """``test_calc`` for ``tests/test_calc.py``: what a candidate must not name."""
    names = set()
    for rel in files:
        language = language_for(rel)
        if language is not None and language.is_test_file(rel):
            stem = rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            if stem and stem != "__init__":
                names.add(stem)
    return frozenset(names)


def _is_collection_error(failure_id: str) -> bool:
    # A module that failed to import is reported under the file's id, not a test's.
    return "::" not in failure_id or failure_id.endswith("::")


def shortfall(baseline: TestReport, run: TestReport, selection: list[str] | None = None) -> str | None:
    """Why ``run`` does not count as the test command passing (None: it passes).

    Exit code 0 alone is not enough when the runner reports tests one by one: a candidate
    could skip tests, exit early or stop collecting them. Every test that failed at the
    start must now pass by its id; on a whole run, no test that passed may fail, be
    skipped or vanish, and no fewer tests may be reported.
    """
    if not run.passed:
        return "failing tests still fail" if selection else "the whole test command fails"
    if not baseline.structured:
        return None  # only the exit code is known (a test command that is not pytest)
    if not run.structured:
        return "the test run exited without reporting its tests"
    passed = set(run.passed_ids)
    for test_id in baseline.failed_ids:
        if test_id in passed:
            continue
        if _is_collection_error(test_id):
            file = test_id.rstrip(":")
            if any(p.startswith(file + "::") for p in passed) and test_id not in run.failed_ids:
                continue
        return f"{test_id} did not pass"
    if selection:
        return None
    lost = [t for t in baseline.passed_ids if t not in passed]
    if lost:
        how = "was skipped" if lost[0] in run.skipped_ids else "failed" if lost[0] in run.failed_ids else "did not run"
        return f"{lost[0]} passed before and now {how}" + (f" (and {len(lost) - 1} more)" if len(lost) > 1 else "")
    if run.collected < baseline.collected:
        return f"only {run.collected} tests ran, {baseline.collected} before"
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
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.runner = runner
        self.baseline = baseline
        self.failing = baseline.failed_ids if baseline.structured else []
        self.language_for = language_for
        self.known = set(pool.files)
        self.test_modules = test_module_names(pool.files, language_for)
        self.deadline = deadline
        # A candidate that makes the suite hang must not eat the whole budget; the
        # failing tests alone get less time than the whole suite took (mutants that
        # loop forever are common, and they would otherwise cost the full timeout).
        self.full_timeout = full_timeout
        # ``typical_seconds``: the baseline's duration without the tests it stopped as hung.
        self.quick_timeout = max(5.0, 2 * (baseline.seconds if typical_seconds is None else typical_seconds))

    def _timeout(self, limit: float | None = None) -> float:
        return max(5.0, min(limit or self.full_timeout, self.deadline - self.clock()))

    def __call__(self, candidate: Candidate) -> Verdict:
        reason = forbidden_reason(candidate, self.known, self.language_for, self.pool.links)
        if reason is not None:
            return Verdict(False, None, "forbidden", reason, _kind_of(reason))
        refused = capability_refusal(candidate, self.language_for, self.test_modules)
        if refused is not None:
            return Verdict(False, None, "forbidden", refused[1], refused[0])
        with self.pool.sandbox() as box, box.applied(candidate.changes.new_texts()):
            return self._judge(box.path)

    def recheck(self, candidate: Candidate) -> Verdict:
        """The winner once more, in a fresh copy no other candidate ran in."""
        # The last step of a run that found a fix: it gets the whole command's time even
        # when the budget is spent, or a slow suite would lose a verified fix here.
        with self.pool.fresh() as box, box.applied(candidate.changes.new_texts()):
            return self._judge(box.path, self.full_timeout)

    def _judge(self, path: object, fixed_timeout: float | None = None) -> Verdict:
        if self.failing and fixed_timeout is None and not self.baseline.passed_ids:
            # Every test failed at the start: the failing tests are the whole command, so
            # one run (with the failing tests' shorter time limit) says all.
            full = self.runner.run(path, None, timeout=self._timeout(self.quick_timeout))  # type: ignore[arg-type]
            why = shortfall(self.baseline, full)
            return Verdict(False, full, "failed", why) if why is not None else Verdict(True, full, "passed")
        if self.failing and fixed_timeout is None:
            first = self.runner.run(path, self.failing, timeout=self._timeout(self.quick_timeout))  # type: ignore[arg-type]
            why = shortfall(self.baseline, first, self.failing)
            if why is not None:
                return Verdict(False, first, "failed", why)
        full = self.runner.run(path, None, timeout=fixed_timeout or self._timeout())  # type: ignore[arg-type]
        why = shortfall(self.baseline, full)
        if why is not None:
            return Verdict(False, full, "failed", why)
        return Verdict(True, full, "passed")
