"""The repair loop: baseline -> localize -> tiers -> verified winner (or nothing).

It yields events and returns a FixResult; it never applies anything to the user's tree
(the caller does that with the winner's ChangeSet after showing it).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Collection, Generator, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from codeloop.analysis.languages import Language
from codeloop.core.changes import ChangeSet
from codeloop.core.events import Event, Localized, Note, StageStarted, TestsRan
from codeloop.core.fix.behaviour import PatchVetting
from codeloop.core.fix.context import Candidate, FixOptions, RepairContext, Stats, Tier
from codeloop.core.fix.localize import DefinitionFinder, Localizer
from codeloop.core.fix.patch_choice import Assessment
from codeloop.core.fix.sbfl import Ranking, Spectrum, rank
from codeloop.core.fix.validate import Sandboxes, Validator
from codeloop.runners.base import TestReport, TestRunner


class SpectrumCache(Protocol):
    """Where spectra of unchanged trees are kept between runs (the CLI puts it in .codeloop/)."""

    def get(self, key: str) -> Spectrum | None: ...

    def put(self, key: str, spectrum: Spectrum) -> None: ...


def tree_key(pool: Sandboxes, command: str) -> str:
    """Identifies the tree's content and the test command: same key, same spectrum."""
    digest = hashlib.sha256(command.encode("utf-8"))
    for rel in pool.files:
        digest.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(hashlib.sha256(pool.read(rel).encode("utf-8", "surrogateescape")).digest())
    return digest.hexdigest()


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
    model_error: str = ""  # the model died during the run: what happened and what to do
    assessment: Assessment | None = None  # how sure the fix is, and its rivals (patch_choice.py)

    @property
    def confidence(self) -> float | None:
        return self.assessment.confidence if self.assessment is not None else None

    def to_dict(self) -> dict[str, object]:
        stats = self.stats
        vetted: dict[str, object] = {"confidence": None, "confidence_reasons": [], "probe_inputs": 0, "rivals": [], "disagreements": []}
        if self.assessment is not None:
            vetted = self.assessment.to_dict()
        return {
            "status": self.status,
            "diff": self.changes.diff() if self.changes else "",
            "files": self.changes.paths if self.changes else [],
            "rounds": stats.rounds,
            "candidates": stats.candidates,
            "plausible": stats.plausible,
            "forbidden": stats.forbidden,
            "forbidden_by": dict(stats.forbidden_by),
            "llm_calls": stats.llm_calls,
            "prompt_tokens": stats.prompt_tokens,
            "prompt_tokens_evaluated": stats.prompt_tokens_evaluated,
            "completion_tokens": stats.completion_tokens,
            "model_seconds": round(stats.model_seconds, 3),
            "prompt_seconds": round(stats.prompt_seconds, 3),
            "tokens_per_second": _rate(stats.completion_tokens, stats.model_seconds - stats.prompt_seconds),
            "prompt_tokens_per_second": _rate(stats.prompt_tokens_evaluated, stats.prompt_seconds),
            "wasted_answers": stats.wasted,
            "wasted_by": dict(stats.wasted_by),
            "stage_seconds": dict(stats.stage_seconds),
            "models": {name: use.to_dict() for name, use in stats.models.items()},
            "seconds": round(self.seconds, 3),
            "stage": self.stage,
            "winner": self.winner,
            "message": self.message,
            "suspects": self.suspects,
            "failing_tests": self.failing_tests,
            "model_error": self.model_error or None,
            **vetted,
        }


def _rate(tokens: int, seconds: float) -> float:
    return round(tokens / seconds, 2) if seconds > 0 else 0.0


def repair(
    pool: Sandboxes,
    runner: TestRunner,
    tiers: Sequence[Tier],
    language_for: Callable[[str], Language | None],
    options: FixOptions,
    spectrum_cache: SpectrumCache | None = None,
    find_definitions: DefinitionFinder | None = None,
    setup_check: Callable[[TestReport], str | None] | None = None,
    package_files: Collection[str] = (),
    clock: Callable[[], float] = time.monotonic,
    vetting: PatchVetting | None = None,
) -> Generator[Event, None, FixResult]:
    """``setup_check`` tells a broken set-up from failing tests (one line, or None); with
    a problem the search never starts and the result's status is "setup-error".
    ``package_files``: the files of the project's importable packages; other source files
    (maintainer scripts, docs examples) rank below them. ``clock``: what the budget and
    every deadline are measured on (time.monotonic, which model backends expect).
    ``vetting``: compares a tier's winner with the other plausible patches; a fix it is
    not sure of has the status "ambiguous" (not to be applied) unless
    ``options.accept_ambiguous``."""
    started = clock()
    deadline = started + options.time_budget
    yield StageStarted("tests", runner.command)
    baseline, spectrum, run_root, cached = _baseline(pool, runner, options, spectrum_cache)
    yield TestsRan(baseline.passed, baseline.failed_ids, baseline.seconds, "baseline")
    if baseline.passed:
        return FixResult("passing", seconds=clock() - started, message="the test command already passes")
    problem = setup_check(baseline) if setup_check is not None else None
    if problem is not None:
        return FixResult("setup-error", seconds=clock() - started, message=problem)
    if baseline.timed_out:
        # Set-up, not a failed search: the user's to fix (exit 2, one line), before any search.
        return FixResult("setup-error", seconds=clock() - started, message=(
            f"the test command ({runner.command}) did not finish within the {options.time_budget:g} s budget: "
            "make it finish (does it wait for input, a server or a lock?) or raise --time-budget"))
    if baseline.hung_ids:
        yield Note(f"{len(baseline.hung_ids)} test(s) ran past {options.baseline_test_timeout():g} s and were stopped where they looped: {', '.join(baseline.hung_ids[:3])}")

    tests_seconds = clock() - started
    yield StageStarted("localize", "spectrum from cache" if cached else "")
    localize_started = clock()
    ranking = _ranking(spectrum, pool.files, language_for, frozenset(package_files)) if spectrum is not None else None
    localizer = Localizer(pool.files, pool.read, language_for, run_root, find_definitions)
    suspects = localizer.suspects(baseline, ranking)
    tests = [localizer.test_context(f) for f in baseline.failures[:3]]
    yield Localized([s.key for s in suspects[:10]])
    localize_seconds = clock() - localize_started

    # Each candidate may take a few times the baseline; a hung candidate is cut off there.
    # Time the per-test limit spent on hung tests is not how long the suite takes.
    # The first hung test ran to the full limit, later ones to at least 2 s (sbfl_plugin.py).
    hung_seconds = options.baseline_test_timeout() + 2.0 * max(0, len(baseline.hung_ids) - 1) if baseline.hung_ids else 0.0
    typical = max(0.1, baseline.seconds - hung_seconds)
    full_timeout = max(30.0, typical * 5)
    # The winner runs once more in a fresh copy before it is applied: keep the time that
    # takes (about one whole run) out of what the tiers may spend, so the budget holds.
    deadline -= min(typical * 1.5, options.time_budget * 0.2)
    validator = Validator(pool, runner, baseline, language_for, deadline, full_timeout, typical, clock)
    stats = Stats()
    stats.add_stage("tests", tests_seconds)
    stats.add_stage("localize", localize_seconds)
    lock = threading.Lock()  # tiers may validate from several threads
    plausible: list[Candidate] = []  # every patch that passed, in the order found: the winner's rivals

    def validate(candidate: Candidate):  # type: ignore[no-untyped-def]
        verdict = validator(candidate)
        with lock:
            if verdict.report is not None:
                stats.candidates += 1
            if verdict.outcome == "forbidden":
                stats.forbidden += 1
                stats.forbidden_by[verdict.refused_for] = stats.forbidden_by.get(verdict.refused_for, 0) + 1
            if verdict.passed:
                stats.plausible += 1
                plausible.append(candidate)
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
        ranking=ranking,
        frame_lines=localizer.frame_lines(baseline),
        files=pool.files,
        clock=clock,
        find_definitions=find_definitions,
    )
    result = FixResult("unfixed", stats=stats, suspects=[s.key for s in suspects[:10]], failing_tests=baseline.failed_ids)

    def conclude(winner: Candidate, assessment: Assessment | None) -> Generator[Event, None, bool]:
        """Check the winner once more in a fresh copy and put it in the result; False if it failed."""
        yield StageStarted("final-check", "the winner once more, in a fresh copy")
        check_started = clock()
        again = validator.recheck(winner)
        stats.add_stage("final-check", clock() - check_started)
        if not again.passed:
            yield Note(f"the {winner.stage} tier's patch did not pass again in a fresh copy ({again.detail}): flaky tests? not applied")
            return False
        result.status = "fixed"
        result.changes = winner.changes
        result.stage = winner.stage
        result.winner = winner.origin
        result.assessment = assessment
        if assessment is not None and not assessment.confident and not options.accept_ambiguous:
            result.status = "ambiguous"
            what = f"{len(assessment.plausible)} patches pass the tests and codeloop is not sure which is right" if assessment.rivals else "a patch passes the tests but codeloop is not sure it is right"
            result.message = (
                f"{what} (confidence {assessment.confidence:.2f}: {'; '.join(assessment.reasons)}); nothing was applied: "
                "add a test that pins the behaviour down, or pass --accept-ambiguous"
            )
        return True

    # A tier's fix that vetting is not sure of is held while the next tier (the model) is
    # asked on its own, with what is left of the budget: if it reaches the same behaviour,
    # that is a second opinion (patch_choice.corroborated); if not, the held fix is still
    # reported, not applied.
    # A fix sure enough to apply but not firm (it rests on the tests alone: no rival
    # behaves like it, no naturalness margin) is held too when the next tier gives second
    # opinions (a capable model), for a bounded time (_confirm_seconds): a different
    # behaviour that also passes makes it a choice between the two (usually not applied);
    # the same behaviour makes it firm; nothing found applies it as it was.
    held: tuple[Candidate, Assessment | None] | None = None
    confirming = False  # the tier now running was asked to confirm a held, confident fix
    concluded = False
    # The tier after the first may get ready meanwhile (the model reads its prompt while
    # the cheap tier runs tests: core/fix/warmup.py). Only that one, and only beside a
    # tier that is not a model itself: two models computing at once on a CPU slow both.
    def preparable(tier: Tier) -> bool:
        return callable(getattr(tier, "prepare", None))

    preparing = [tier for tier in tiers[1:2] if preparable(tier) and not preparable(tiers[0])]
    for tier in preparing:
        tier.prepare(ctx)  # type: ignore[attr-defined]
    try:
        for number, tier in enumerate(tiers):
            if ctx.remaining() <= 0:
                yield Note(f"time budget spent before the {tier.name} tier")
                break
            tier_started = clock()
            answers_before = stats.candidates + stats.wasted  # a confirming tier's answers: checked or wasted
            try:
                winner = yield from tier.run(ctx)
            finally:
                ctx.deadline = deadline  # a confirming tier ran on a shorter one
            stats.add_stage(getattr(tier, "stage_key", tier.name), clock() - tier_started)
            if winner is None:
                if held is not None:  # asked on its own, it found nothing: say how hard it looked
                    held = _unopposed(held, tier.name, clock() - tier_started, stats.candidates + stats.wasted - answers_before, ctx.model_error)
                if confirming:  # its time is up: the held fix stands as it was
                    break
                continue
            confirming = False
            assessment = None
            if vetting is not None:
                with lock:
                    rivals = [c for c in plausible if c.stage == winner.stage or held is not None]
                assessment = yield from vetting.run(ctx, winner, rivals)
                winner = assessment.chosen
            unsure = assessment is not None and not assessment.confident and not options.accept_ambiguous
            following = tiers[number + 1] if number + 1 < len(tiers) else None
            if unsure and following is not None and ctx.remaining() >= _SECOND_OPINION_MIN_S and assessment is not None:
                held = (winner, assessment)
                yield Note(f"not sure of the {winner.stage} tier's fix (confidence {assessment.confidence:.2f}): "
                           f"asking the {following.name} tier for a second opinion")
                continue
            if (assessment is not None and not unsure and not assessment.firm and held is None and following is not None
                    and getattr(following, "second_opinions", False) and ctx.remaining() >= _SECOND_OPINION_MIN_S):
                held, confirming = (winner, assessment), True
                seconds = _confirm_seconds(clock() - started, ctx.remaining())
                ctx.deadline = min(deadline, clock() + seconds)
                yield Note(f"the {winner.stage} tier's fix rests on the tests alone (confidence {assessment.confidence:.2f}): "
                           f"asking the {following.name} tier for a second opinion, for up to {seconds:.0f} s")
                continue
            if (yield from conclude(winner, assessment)):
                concluded = True
                break
        if not concluded and held is not None:
            yield from conclude(*held)
    finally:
        # A run that ended before the prepared tier ran (a fix, Ctrl-C) stops its reading
        # within one step; what it read still counts in the stats.
        for tier in preparing:
            tier.stop_preparing(ctx)  # type: ignore[attr-defined]
    result.seconds = clock() - started
    result.model_error = ctx.model_error
    if result.status == "unfixed":
        result.message = "no candidate passed the whole test command within the budget"
    return result


_SECOND_OPINION_MIN_S = 10.0  # left in the budget for a later tier to be asked for a second opinion
_CONFIRM_MIN_S = 30.0  # a confirming model gets at least this (one answer of a small model on a CPU)


def _confirm_seconds(elapsed: float, remaining: float) -> float:
    """How long a second opinion on a confident fix may take: as long again as the run
    took so far, at least _CONFIRM_MIN_S, within the budget. Confirming should cost about
    what finding did, not the rest of a long budget."""
    return max(0.0, min(remaining, max(_CONFIRM_MIN_S, elapsed)))


def _unopposed(held: tuple[Candidate, Assessment | None], tier: str, seconds: float, answers: int, failed: str = "") -> tuple[Candidate, Assessment | None]:
    """The held fix, with the reason that the confirming tier found nothing against it,
    and how much of a search that was: a slow model may not finish one answer in time,
    and then it confirmed nothing (the fix stands as it did before it was asked)."""
    winner, assessment = held
    if assessment is None:
        return held
    if failed:
        reason = f"the {tier} tier could not give a second opinion (it failed)"
    elif not answers:
        reason = f"the {tier} tier, asked on its own, gave no answer within {seconds:.0f} s"
    else:
        reason = f"the {tier} tier, asked on its own for {seconds:.0f} s, found no other fix in {answers} answer{'s' if answers != 1 else ''}"
    return winner, replace(assessment, reasons=(*assessment.reasons, reason))


def _baseline(
    pool: Sandboxes, runner: TestRunner, options: FixOptions, cache: SpectrumCache | None
) -> tuple[TestReport, Spectrum | None, str, bool]:
    """Run the whole command once; collect the SBFL spectrum too unless it is cached."""
    timeout = max(5.0, options.time_budget)
    key = tree_key(pool, runner.command) if cache is not None else ""
    spectrum = cache.get(key) if cache is not None else None
    with pool.sandbox() as box:
        run_root = str(box.path)
        with_spectrum = getattr(runner, "run_with_spectrum", None)
        if spectrum is not None or with_spectrum is None:
            return runner.run(box.path, None, timeout=timeout), spectrum, run_root, spectrum is not None  # type: ignore[arg-type]
        report, spectrum = with_spectrum(box.path, timeout=timeout, test_timeout=options.baseline_test_timeout())
    if spectrum is not None and cache is not None and not report.passed:
        cache.put(key, spectrum)
    return report, spectrum, run_root, False


def _ranking(spectrum: Spectrum, files: list[str], language_for: Callable[[str], Language | None], package_files: frozenset[str] = frozenset()) -> Ranking:
    """SBFL over the source files a candidate may edit (tests are the spec, not suspects);
    lines outside the project's packages count half (a tools/ script the tests happen to
    run is rarely where the library's bug is)."""
    source = [f for f in files if (lang := language_for(f)) is not None and not lang.is_test_file(f)]
    ranking = rank(spectrum, keep=source)
    if not package_files or not any(r.path in package_files for r in ranking.lines):
        return ranking
    lines = [r if r.path in package_files else replace(r, score=r.score * 0.5) for r in ranking.lines]
    return Ranking(sorted(lines, key=lambda r: (-r.score, r.path, r.line)))
