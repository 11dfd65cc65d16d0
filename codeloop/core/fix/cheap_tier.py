"""The cheap tier: mutate the most suspicious lines, validate mutants in parallel, no model.

Most bugs that break a test are one-token slips. Trying every small edit at the lines the
failing tests implicate (SBFL ranking, else the suspect functions) fixes them in seconds
on any machine. Candidates run cheapest and most suspicious first, several at a time
(one sandbox per worker); the first that passes the whole test command ends the search,
and of those that pass together the smallest, most suspicious one wins.

What it learns goes to the next tier in ``ctx.notes["cheap"]``: the lines where a mutant
changed how the tests fail (those lines matter even when no one-token edit fixes them).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from codeloop.analysis.functions import parse
from codeloop.analysis.languages import Language
from codeloop.core.changes import ChangeSet, FileChange
from codeloop.core.events import CandidateChecked, Note, StageStarted, TierProgress
from codeloop.core.fix.context import Candidate, RepairContext, TierRun, Verdict
from codeloop.core.fix.mutants.base import Mutation, MutationGenerator

GeneratorsFor = Callable[[Language], list[MutationGenerator]]


@dataclass(frozen=True)
class CheapNotes:
    """What the cheap tier hands the next tier (``ctx.notes["cheap"]``)."""

    tried: int
    total: int
    changed_failure: dict[str, list[int]]  # path -> lines where a mutant changed the failure


@dataclass(frozen=True)
class Mutant:
    path: str
    mutation: Mutation
    line_score: float
    candidate: Candidate

    @property
    def order(self) -> tuple[float, int, int]:
        return (-round(self.line_score, 6), self.mutation.prior, self.mutation.line)


def target_lines(ctx: RepairContext, max_lines: int) -> dict[str, dict[int, float]]:
    """path -> {line: suspiciousness}: SBFL lines in source files, else suspect functions."""
    targets: dict[str, dict[int, float]] = {}
    ranking = ctx.ranking
    if ranking is not None:
        # SBFL ties are common (every line a failing test runs and no passing test does);
        # a traceback frame on the line breaks them: an exception was raised there.
        ordered = sorted(ranking.lines, key=lambda r: -(r.score + (0.5 if (r.path, r.line) in ctx.frame_lines else 0.0)))
        for ranked in ordered:
            language = ctx.language_for(ranked.path)
            if language is None or language.is_test_file(ranked.path):
                continue
            bonus = 0.5 if (ranked.path, ranked.line) in ctx.frame_lines else 0.0
            targets.setdefault(ranked.path, {})[ranked.line] = ranked.score + bonus
            if sum(len(v) for v in targets.values()) >= max_lines:
                break
    if not targets:
        for suspect in ctx.suspects[:3]:
            lines = targets.setdefault(suspect.path, {})
            for line in range(suspect.function.start_line, suspect.function.end_line + 1):
                lines[line] = max(lines.get(line, 0.0), suspect.score)
    return targets


def mutants(ctx: RepairContext, generators_for: GeneratorsFor, max_lines: int) -> list[Mutant]:
    found: list[Mutant] = []
    for path, lines in target_lines(ctx, max_lines).items():
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
                if after in seen or after == source or parse(language, after).root_node.has_error:
                    continue
                if syntax_ok is not None and not syntax_ok(after.decode("utf-8", "replace")):
                    continue
                seen.add(after)
                change = ChangeSet((FileChange(path, text, after.decode("utf-8")),))
                candidate = Candidate(change, "cheap", mutation.description, path)
                found.append(Mutant(path, mutation, lines.get(mutation.line, 0.0), candidate))
    found.sort(key=lambda m: m.order)
    return found


class CheapTier:
    name = "cheap"

    def __init__(self, generators_for: GeneratorsFor, share: float = 0.4, workers: int = 2, max_lines: int = 60, max_candidates: int = 2000) -> None:
        self.generators_for = generators_for
        self.share = share  # of the remaining budget; the model tier gets the rest
        self.workers = max(1, workers)
        self.max_lines = max_lines
        self.max_candidates = max_candidates

    def run(self, ctx: RepairContext) -> TierRun:
        yield StageStarted("cheap", "one-token edits at the suspicious lines")
        pending = mutants(ctx, self.generators_for, self.max_lines)[: self.max_candidates]
        if not pending:
            yield Note("the cheap tier found nothing to mutate at the suspicious lines")
            return None
        deadline = time.monotonic() + max(1.0, ctx.remaining() * self.share)
        baseline_signature = ctx.baseline.signature()
        changed_failure: dict[str, list[int]] = {}
        passing: list[Mutant] = []
        tried = 0
        total = len(pending)
        queue: Iterator[Mutant] = iter(pending)
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            running: dict[Future[Verdict], Mutant] = {}
            while True:
                while not passing and len(running) < self.workers and time.monotonic() < min(deadline, ctx.deadline):
                    nxt = next(queue, None)
                    if nxt is None:
                        break
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
                        yield CandidateChecked(0, tried, self.name, "passed", mutant.mutation.description)
                    elif verdict.report is not None and verdict.report.signature() != baseline_signature:
                        changed_failure.setdefault(mutant.path, []).append(mutant.mutation.line)
                    if tried % 10 == 0 or verdict.passed:
                        yield TierProgress(self.name, tried, total, len(passing))
        ctx.notes["cheap"] = CheapNotes(tried, total, {p: sorted(set(lines)) for p, lines in changed_failure.items()})
        if not passing:
            yield TierProgress(self.name, tried, total, 0)
            left = total - tried
            yield Note(f"cheap tier: {tried} mutants tried, none passes" + (f" ({left} left untried: budget share spent)" if left else ""))
            return None
        # Ties go to the mutant tried first (the queue order), never to thread timing.
        position = {id(m): i for i, m in enumerate(pending)}
        best = min(passing, key=lambda m: (m.candidate.changes.size(), m.order, position[id(m)]))
        return best.candidate
