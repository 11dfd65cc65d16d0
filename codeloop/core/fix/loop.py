"""The repair loop: baseline -> localize -> tiers -> verified winner (or nothing).

It yields events and returns a FixResult; it never applies anything to the user's tree
(the caller does that with the winner's ChangeSet after showing it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

from codeloop.analysis.languages import Language
from codeloop.core.changes import ChangeSet
from codeloop.core.events import Event, Localized, Note, StageStarted, TestsRan
from codeloop.core.fix.context import Candidate, FixOptions, RepairContext, Stats, Tier
from codeloop.core.fix.localize import Localizer
from codeloop.core.fix.validate import Sandboxes, Validator
from codeloop.runners.base import TestRunner


@dataclass
class FixResult:
    status: str  # "fixed" | "unfixed" | "passing" | "error"
    changes: ChangeSet | None = None
    stage: str = ""
    stats: Stats = field(default_factory=Stats)
    seconds: float = 0.0
    message: str = ""
    winner: str = ""  # the winning candidate's origin
    suspects: list[str] = field(default_factory=list)
    failing_tests: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        stats = self.stats
        return {
            "status": self.status,
            "diff": self.changes.diff() if self.changes else "",
            "files": self.changes.paths if self.changes else [],
            "rounds": stats.rounds,
            "candidates": stats.candidates,
            "plausible": stats.plausible,
            "llm_calls": stats.llm_calls,
            "prompt_tokens": stats.prompt_tokens,
            "prompt_tokens_evaluated": stats.prompt_tokens_evaluated,
            "completion_tokens": stats.completion_tokens,
            "seconds": round(self.seconds, 3),
            "stage": self.stage,
            "winner": self.winner,
            "message": self.message,
            "suspects": self.suspects,
            "failing_tests": self.failing_tests,
        }


def repair(
    pool: Sandboxes,
    runner: TestRunner,
    tiers: Sequence[Tier],
    language_for: Callable[[str], Language | None],
    options: FixOptions,
) -> Generator[Event, None, FixResult]:
    started = time.monotonic()
    deadline = started + options.time_budget
    yield StageStarted("tests", runner.command)
    with pool.sandbox() as box:
        run_root = str(box.path)
        baseline = runner.run(box.path, None, timeout=max(5.0, options.time_budget))  # type: ignore[arg-type]
    yield TestsRan(baseline.passed, baseline.failed_ids, baseline.seconds, "baseline")
    if baseline.passed:
        return FixResult("passing", seconds=time.monotonic() - started, message="the test command already passes")
    if baseline.timed_out:
        return FixResult("error", seconds=time.monotonic() - started, message="the test command timed out before any fix was tried; raise --time-budget")

    yield StageStarted("localize")
    localizer = Localizer(pool.files, pool.read, language_for, run_root)
    suspects = localizer.suspects(baseline)
    tests = [localizer.test_context(f) for f in baseline.failures[:3]]
    yield Localized([s.key for s in suspects[:10]])

    # Each candidate may take a few times the baseline; a hung candidate is cut off there.
    full_timeout = max(30.0, baseline.seconds * 5)
    validator = Validator(pool, runner, baseline, language_for, deadline, full_timeout)
    stats = Stats()

    def validate(candidate: Candidate):  # type: ignore[no-untyped-def]
        verdict = validator(candidate)
        if verdict.report is not None:
            stats.candidates += 1
        if verdict.passed:
            stats.plausible += 1
        return verdict

    ctx = RepairContext(
        options=options,
        baseline=baseline,
        suspects=suspects,
        tests=tests,
        read=pool.read,
        language_for=language_for,
        validate=validate,
        deadline=deadline,
        stats=stats,
    )
    result = FixResult("unfixed", stats=stats, suspects=[s.key for s in suspects[:10]], failing_tests=baseline.failed_ids)
    for tier in tiers:
        if ctx.remaining() <= 0:
            yield Note(f"time budget spent before the {tier.name} tier")
            break
        winner = yield from tier.run(ctx)
        if winner is not None:
            result.status = "fixed"
            result.changes = winner.changes
            result.stage = winner.stage
            result.winner = winner.origin
            break
    result.seconds = time.monotonic() - started
    if result.status == "unfixed":
        result.message = "no candidate passed the whole test command within the budget"
    return result
