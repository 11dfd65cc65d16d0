"""The cheap tier: mutate the most suspicious lines, validate mutants in parallel, no model.

Most bugs that break a test are one-token slips. Trying every small edit at the lines the
failing tests implicate (SBFL ranking, else the suspect functions) fixes them in seconds
on any machine. Candidates run cheapest and most suspicious first, several at a time
(one sandbox per worker). After the first that passes the whole test command the search
goes on briefly, so there are rivals to compare (core/fix/behaviour.py): with a model to
score code, the edits more natural than it first, then the nearest others. Of those that
pass, the most natural (else the smallest, most suspicious) one is the tier's pick.

What it learns goes to the next tier in ``ctx.notes["cheap"]``: the lines where a mutant
changed how the tests fail (those lines matter even when no one-token edit fixes them).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from codeloop.analysis.functions import functions, parse
from codeloop.analysis.languages import Language
from codeloop.core.changes import ChangeSet, FileChange
from codeloop.core.events import CandidateChecked, ModelFailed, Note, StageStarted, TierProgress
from codeloop.core.fix.context import Candidate, RepairContext, TierRun, Verdict
from codeloop.core.fix.mutants.base import Mutation, MutationGenerator
from codeloop.core.fix.localize import files_tests_import
from codeloop.core.fix.patch_ranking import CodeScorer, naturalness_gains
from codeloop.core.fix.sbfl import RankedLine
from codeloop.models.base import ModelError

GeneratorsFor = Callable[[Language], list[MutationGenerator]]

# After the first plausible patch, with a scorer: up to _RESCORE_MAX untried mutants are
# scored, then the _MAX_PLAUSIBLE most natural of them validated; each step gets at least
# _EXPLORE_MIN_S and at most as long again as the search took so far.
_EXPLORE_MIN_S = 10.0
_MAX_PLAUSIBLE = 8
_MAX_RIVALS = 10  # more edits near the plausible one, validated whatever their naturalness
_RESCORE_MAX = 80
_RESCORE_NEAR = 40  # scored whatever the time: the edits within a line of the plausible one


@dataclass(frozen=True)
class CheapNotes:
    """What the cheap tier hands the next tier (``ctx.notes["cheap"]``)."""

    tried: int
    total: int
    changed_failure: dict[str, list[int]]  # path -> lines where a mutant changed the failure


@dataclass(frozen=True)
class RivalSearch:
    """How far the search for rivals of the first plausible patch got
    (``ctx.notes["rival-search"]``, read by core/fix/behaviour.py)."""

    queued: int  # rivals queued for validation
    unchecked: int  # of those, left unvalidated when time ran out


@dataclass(frozen=True)
class Mutant:
    path: str
    mutation: Mutation
    line_score: float
    candidate: Candidate
    # Whether the edited file still parses: checked when the mutant's turn comes, not
    # for all of them up front (two parses of a 1,000-line file per mutant, for 700
    # mutants, took the whole budget on a loaded machine before any test ran).
    parses: Callable[[], bool] = lambda: True

    @property
    def order(self) -> tuple[float, int, int]:
        return (-round(self.line_score, 6), self.mutation.prior, self.mutation.line)


def target_lines(ctx: RepairContext, max_lines: int, skip: int = 0) -> dict[str, dict[int, float]]:
    """path -> {line: suspiciousness} for lines ``skip`` .. ``skip + max_lines`` of the
    order in which lines are worth mutating (``ordered_lines``)."""
    targets: dict[str, dict[int, float]] = {}
    for path, line, score in ordered_lines(ctx)[skip : skip + max_lines]:
        targets.setdefault(path, {})[line] = score
    return targets


def ordered_lines(ctx: RepairContext) -> list[tuple[str, int, float]]:
    """Every line worth a one-token edit, most suspicious first: SBFL lines in source
    files, then the suspect functions' lines, then (widening: no evidence must never end
    the search) the functions of the source files the failing tests import, then all."""
    cached = ctx.notes.get("cheap-lines")
    if isinstance(cached, list):
        return cached
    seen: set[tuple[str, int]] = set()
    order: list[tuple[str, int, float]] = []

    def add(path: str, line: int, score: float) -> None:
        if (path, line) not in seen:
            seen.add((path, line))
            order.append((path, line, score))

    if ctx.ranking is not None:
        # SBFL ties are common (every line a failing test runs and no passing test does);
        # a traceback frame on the line breaks them: an exception was raised there.
        def scored(r: RankedLine) -> float:
            # Lines run only at import tie with every line all tests run; they go last.
            return r.score * (0.9 if r.at_import else 1.0) + (0.5 if (r.path, r.line) in ctx.frame_lines else 0.0)

        for ranked in sorted(ctx.ranking.lines, key=lambda r: -scored(r)):
            language = ctx.language_for(ranked.path)
            if language is not None and not language.is_test_file(ranked.path):
                add(ranked.path, ranked.line, scored(ranked))
    # Traceback lines outside any function (module code run at import) and the few
    # lines above them, where the condition that led there usually is.
    for path, line in sorted(ctx.frame_lines):
        for above in range(4):
            if line - above >= 1:
                add(path, line - above, 0.5 / (1 + above))
    for suspect in ctx.suspects:
        for line in range(suspect.function.start_line, suspect.function.end_line + 1):
            # Below every SBFL line when there is a spectrum; the ranking itself when not.
            add(suspect.path, line, suspect.score * (0.05 if ctx.ranking is not None else 1.0))
    source = [f for f in ctx.files if (lang := ctx.language_for(f)) is not None and not lang.is_test_file(f)]
    for path in files_tests_import(ctx.baseline, source, ctx.files, ctx.read):
        language = ctx.language_for(path)
        assert language is not None
        for span in functions(language, ctx.read(path).encode("utf-8")):
            for line in range(span.start_line, span.end_line + 1):
                add(path, line, 0.0)
    ctx.notes["cheap-lines"] = order
    return order


def mutants(ctx: RepairContext, generators_for: GeneratorsFor, max_lines: int, skip: int = 0) -> list[Mutant]:
    found: list[Mutant] = []
    for path, lines in target_lines(ctx, max_lines, skip).items():
        language = ctx.language_for(path)
        if language is None:
            continue
        text = ctx.read(path)
        source = text.encode("utf-8")
        root = parse(language, source).root_node
        seen: set[bytes] = set()
        syntax_ok = language.extra.get("syntax_ok")  # a stricter check than tree-sitter's, if any
        for generate in generators_for(language):
            for mutation in generate(root, source, lines.keys()):
                after = mutation.apply(source)
                if after in seen or after == source:
                    continue
                seen.add(after)
                change = ChangeSet((FileChange(path, text, after.decode("utf-8")),))
                candidate = Candidate(change, "cheap", mutation.description, path)
                found.append(Mutant(path, mutation, lines.get(mutation.line, 0.0), candidate, _parse_check(language, after, syntax_ok)))
    found.sort(key=lambda m: m.order)
    return found


def _parse_check(language: Language, after: bytes, syntax_ok: Callable[[str], bool] | None) -> Callable[[], bool]:
    """A check, run once on demand, that ``after`` parses (tree-sitter, then the
    language's stricter check if it has one)."""
    verdict: list[bool] = []

    def parses() -> bool:
        if not verdict:
            ok = not parse(language, after).root_node.has_error
            verdict.append(ok and (syntax_ok is None or syntax_ok(after.decode("utf-8", "replace"))))
        return verdict[0]

    return parses


class CheapTier:
    name = "cheap"

    def __init__(
        self,
        generators_for: GeneratorsFor,
        share: float = 0.4,
        workers: int = 2,
        max_lines: int = 60,
        max_candidates: int = 2000,
        scorer: CodeScorer | None = None,
    ) -> None:
        self.generators_for = generators_for
        self.share = share  # of the remaining budget; the model tier gets the rest
        self.workers = max(1, workers)
        self.max_lines = max_lines
        self.max_candidates = max_candidates
        # With a scorer the search goes on a little after the first plausible patch, and
        # the most natural of those found wins (core/fix/patch_ranking.py).
        self.scorer = scorer

    def run(self, ctx: RepairContext) -> TierRun:
        yield StageStarted("cheap", "one-token edits at the suspicious lines")
        pending = mutants(ctx, self.generators_for, self.max_lines)[: self.max_candidates]
        covered = self.max_lines
        while not pending and covered < len(ordered_lines(ctx)):  # nothing to mutate yet: widen
            pending = mutants(ctx, self.generators_for, covered * 2, covered)[: self.max_candidates]
            covered *= 3
        if not pending:
            yield Note("the cheap tier found nothing to mutate in the source files")
            return None

        def widen() -> list[Mutant]:
            """The next, wider wave of lines once every mutant so far failed (budget permitting)."""
            nonlocal covered
            more: list[Mutant] = []
            while not more and covered < len(ordered_lines(ctx)):
                more = mutants(ctx, self.generators_for, covered * 2, covered)
                covered *= 3
            return more[: self.max_candidates]

        started = ctx.now()
        stop_at = min(started + max(1.0, ctx.remaining() * self.share), ctx.deadline)
        baseline_signature = ctx.baseline.signature()
        changed_failure: dict[str, list[int]] = {}
        passing: list[Mutant] = []
        tried = 0
        search = _Search(pending, widen)
        scorer = None if ctx.model_error else self.scorer
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            running: dict[Future[Verdict], Mutant] = {}
            while True:
                while len(running) < self.workers and ctx.now() < stop_at and (nxt := search.next()) is not None:
                    running[pool.submit(ctx.validate, nxt.candidate)] = nxt
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    mutant = running.pop(future)
                    verdict = future.result()
                    tried += 1
                    if verdict.passed:
                        passing.append(mutant)
                        yield CandidateChecked(0, tried, self.name, "passed", mutant.mutation.description, mutant.candidate.changes.diff())
                        if len(passing) == 1:
                            # Scoring, then validating, each at most as long again as finding it took.
                            now = ctx.now()
                            explore_s = max(_EXPLORE_MIN_S, now - started)
                            try:
                                explored = search.explore(mutant, ctx, scorer, until=min(stop_at, now + explore_s),
                                                          near_until=min(ctx.deadline, now + max(explore_s, 0.5 * ctx.remaining())))
                                # Validating the rivals (they are few) may take most of what is
                                # left: a fix whose rivals went unchecked is less sure. With a
                                # later tier, keep time for it: an unsure fix is held while the
                                # model is asked for a second opinion (core/fix/loop.py).
                                rival_share = 0.7 if self.share >= 1.0 else 0.4
                                stop_at = max(stop_at, min(ctx.deadline, ctx.now() + rival_share * ctx.remaining()))
                                what = "a more natural patch than" if scorer is not None else "rival patches to"
                                yield Note(f"looking for {what} {mutant.mutation.description}: {explored} to check")
                            except Exception as exc:  # a model that cannot load must not lose the fix found
                                scorer = None
                                yield _ranking_off(ctx, exc)
                                # Rivals are still worth checking, in plain nearest-first order.
                                search.explore(mutant, ctx, None, until=stop_at)
                    elif verdict.outcome == "forbidden":  # refused before it ran: say why, once
                        yield CandidateChecked(0, tried, self.name, "forbidden", f"{mutant.mutation.description}: {verdict.detail}"[:300])
                    elif verdict.report is not None and verdict.report.signature() != baseline_signature:
                        changed_failure.setdefault(mutant.path, []).append(mutant.mutation.line)
                    if tried % 10 == 0 or verdict.passed:
                        yield TierProgress(self.name, tried, len(pending) + len(search.added), len(passing))
        if passing:
            ctx.notes["rival-search"] = RivalSearch(search.explored, search.unchecked())
        ctx.notes["cheap"] = CheapNotes(tried, len(pending) + len(search.added), {p: sorted(set(lines)) for p, lines in changed_failure.items()})
        if not passing:
            yield TierProgress(self.name, tried, len(pending) + len(search.added), 0)
            left = len(pending) + len(search.added) - tried
            yield Note(f"cheap tier: {tried} mutants tried, none passes" + (f" ({left} left untried: budget share spent)" if left else ""))
            return None
        # Ties go to the mutant tried first (the queue order), never to thread timing.
        position = {id(m): i for i, m in enumerate(pending + search.added)}
        passing.sort(key=lambda m: (m.candidate.changes.size(), m.order, position[id(m)]))
        if len(passing) > 1 and scorer is not None:
            try:
                gains = search.gains_of(passing, ctx, scorer)
            except Exception as exc:
                yield _ranking_off(ctx, exc)
                return passing[0].candidate
            order = sorted(range(len(passing)), key=lambda i: -gains[i])  # stable: ties keep the order above
            ranked = ", ".join(f"{passing[i].mutation.description} {gains[i]:+.1f}" for i in order[:4])
            yield Note(f"{len(passing)} patches pass; the one that makes the code most natural to the model wins ({ranked})")
            return passing[order[0]].candidate
        return passing[0].candidate


def _ranking_off(ctx: RepairContext, exc: Exception) -> ModelFailed | Note:
    """What to say when scoring failed; a dead model is recorded so no later tier waits on it."""
    if isinstance(exc, ModelError):
        ctx.model_error = str(exc)
        return ModelFailed(str(exc))
    return Note(f"patch ranking off ({type(exc).__name__}: {exc})")


class _Search:
    """The queue of mutants to validate. Plain order until the first plausible patch;
    then (with a scorer) only the untried mutants as suspicious as it whose edit makes
    the code more natural than its edit did, most natural first."""

    def __init__(self, pending: list[Mutant], widen: Callable[[], list[Mutant]] | None = None) -> None:
        self.queue = pending
        self.at = 0
        self.gains: dict[int, float] = {}  # id(mutant) -> naturalness gain
        self.widen = widen  # more mutants when the queue runs dry before anything passed
        self.added: list[Mutant] = []  # what widening queued, in order
        self.explored = 0  # rivals queued after the first plausible patch

    def next(self) -> Mutant | None:
        if self.at >= len(self.queue) and self.widen is not None:
            more = self.widen()
            self.added += more
            self.queue, self.at = self.queue + more, self.at
            if not more:
                self.widen = None
        while self.at < len(self.queue):
            self.at += 1
            if self.queue[self.at - 1].parses():
                return self.queue[self.at - 1]
        return self.next() if self.widen is not None else None

    def stop(self) -> None:
        self.queue, self.at, self.widen = [], 0, None

    def explore(self, found: Mutant, ctx: RepairContext, score: CodeScorer | None, until: float, near_until: float | None = None) -> int:
        """Re-queue what may beat or contradict ``found``: with a scorer, the edits more
        natural than it (most natural first), then up to _MAX_RIVALS of the rest, nearest
        first, scored or not; scoring stops at ``until``, for the edits next to ``found``
        at ``near_until``. Returns how many are queued."""
        self.widen = None  # a plausible patch exists: only its rivals are worth checking now
        rest = [m for m in self.queue[self.at :] if m.line_score >= found.line_score - 1e-9][:_RESCORE_MAX]
        # Nearest the plausible edit first (the real fix is often on its line or next to
        # it), line by line so consecutive texts share prefixes (models/scoring.py).
        rest.sort(key=lambda m: (m.path != found.path, abs(m.mutation.line - found.mutation.line), m.mutation.line))
        if score is None:
            self.queue, self.at = rest[:_MAX_RIVALS], 0
            self.explored = len(self.queue)
            return len(self.queue)
        (gain,) = self.gains_of([found], ctx, score)
        better: list[tuple[float, int]] = []
        for i, mutant in enumerate(rest):
            # The edits on the plausible edit's line and its neighbours are scored for
            # longer (a loaded machine should not make the result depend on timing), but
            # not without end: with a code model a score costs seconds, not milliseconds,
            # and 40 of them would spend the whole budget (and the model tier's share).
            near = i < _RESCORE_NEAR and abs(mutant.mutation.line - found.mutation.line) <= 1 and mutant.path == found.path
            if ctx.now() > (max(until, near_until or until) if near else until):
                break
            (other,) = self.gains_of([mutant], ctx, score)
            if other > gain:
                better.append((-other, i))
        chosen = [i for _, i in sorted(better)][:_MAX_PLAUSIBLE]
        # Less natural edits as rivals too: one that passes yet behaves differently
        # is evidence the tests leave the fix open. Those scoring did not reach count as
        # much: a code model scores an edit in seconds, a test run checks it in about as
        # long, and a slow scorer must not shrink the search for rivals to one or two
        # edits (whose passing rivals are scored again when the patches are compared).
        taken = set(chosen)
        others = [i for i in range(len(rest)) if i not in taken][:_MAX_RIVALS]
        self.queue, self.at = [rest[i] for i in chosen + others], 0
        self.explored = len(self.queue)
        return len(self.queue)

    def unchecked(self) -> int:
        return max(0, len(self.queue) - self.at) if self.explored else 0

    def gains_of(self, found: list[Mutant], ctx: RepairContext, score: CodeScorer) -> list[float]:
        missing = [m for m in found if id(m) not in self.gains]
        patches = [(m.candidate.changes.files[0], m.mutation.line) for m in missing]
        self.gains.update(zip(map(id, missing), naturalness_gains(patches, ctx.language_for, score)))
        return [self.gains[id(m)] for m in found]
