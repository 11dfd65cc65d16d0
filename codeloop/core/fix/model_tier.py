"""The model tier: sample whole-function rewrites, validate each, self-debug on failure.

Round 1 samples K rewrites of the top suspect(s). Later rounds feed back execution:
for the most promising failed attempt the model first explains the failure, then
writes a fix given that explanation and the new error (LPW / self-debug style), while
the rest of the samples stay fresh rewrites of the original. Stops on success, on
budget, or when a round brings no failure it has not seen before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from codeloop.core.changes import ChangeSet, FileChange
from codeloop.core.edits import (
    FENCE,
    function_source,
    header_and_body_indent,
    replace_function,
    same_code,
)
from codeloop.core.events import (
    CandidateChecked,
    CandidatesSampled,
    ModelFailed,
    Note,
    RoundFinished,
    RoundStarted,
)
from codeloop.core.fix import prompts
from codeloop.core.fix.answer_forms import AnswerForm, single_line, whole_function
from codeloop.core.fix.cheap_tier import CheapNotes
from codeloop.core.fix.context import Candidate, RepairContext, TierRun, Verdict
from codeloop.core.fix.localize import Suspect
from codeloop.models.base import Backend, CompletionRequest, DeadlinePassed, Message, ModelError, PromptTooLongError

PlanEntry = tuple[Suspect, tuple[Message, ...], int, int, AnswerForm]


def suspicious_lines(ctx: RepairContext, suspect: Suspect, limit: int) -> list[tuple[int, float]]:
    """(0-based line in the dedented function, weight), most suspicious first.

    SBFL scores within the function, raised where the cheap tier saw a one-token edit
    change the failure; without a spectrum, every body line counts the same.
    """
    span = suspect.function
    cheap = ctx.notes.get("cheap")
    changed = set(cheap.changed_failure.get(suspect.path, [])) if isinstance(cheap, CheapNotes) else set()
    # The header (decorators, signature, docstring) is the spec, never the target.
    header, _ = header_and_body_indent(function_source(ctx.read(suspect.path), span))
    first_body_line = span.start_line + max(1, header.count("\n"))
    scored = []
    for line in range(first_body_line, span.end_line + 1):
        score = ctx.ranking.score(suspect.path, line) if ctx.ranking is not None else 0.5
        if line in changed:
            score += 0.5
        if score > 0:
            scored.append((line - span.start_line, score))
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored[:limit]


@dataclass
class Attempt:
    suspect: Suspect
    source: str
    verdict: Verdict


def _failure_text(verdict: Verdict) -> str:
    report = verdict.report
    if report is None or not report.failures:
        return verdict.detail or "the tests fail"
    return report.failures[0].message or report.failures[0].details[-300:]


def _score(verdict: Verdict) -> tuple[int, int]:
    """Lower is more promising: fewer failing tests, then a different error than before."""
    report = verdict.report
    return (len(report.failures) if report else 10**6, 0)


class ModelTier:
    name = "model"

    def __init__(self, backend_factory: Callable[[], Backend]) -> None:
        self._backend_factory = backend_factory
        self._backend: Backend | None = None

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = self._backend_factory()
        return self._backend

    def _sample(self, ctx: RepairContext, messages: tuple[Message, ...], prefill: str, grammar: str | None, n: int, seed: int, temperature: float, max_tokens: int = 0) -> list[str]:
        request = CompletionRequest(
            messages=messages,
            n=n,
            max_tokens=max_tokens or ctx.options.max_new_tokens,
            temperature=temperature,
            seed=seed,
            prefill=prefill,
            grammar=grammar,
            stop=(FENCE,) if grammar is None else (),
            deadline=ctx.deadline,
        )
        completion = self.backend.complete(request)
        ctx.stats.llm_calls += n
        ctx.stats.prompt_tokens += completion.prompt_tokens * n
        ctx.stats.prompt_tokens_evaluated += completion.prompt_tokens_evaluated
        ctx.stats.completion_tokens += completion.completion_tokens
        self._last = completion
        return completion.texts

    def _candidate(self, ctx: RepairContext, suspect: Suspect, new_function: str, origin: str) -> Candidate:
        text = ctx.read(suspect.path)
        after = replace_function(text, suspect.function, new_function)
        return Candidate(ChangeSet((FileChange(suspect.path, text, after),)), self.name, origin, suspect.key)

    def run(self, ctx: RepairContext) -> TierRun:
        if ctx.model_error:  # already said, once, when it died
            return None
        try:
            return (yield from self._rounds(ctx))
        except ModelError as exc:
            ctx.model_error = str(exc)
            yield ModelFailed(str(exc))
        except DeadlinePassed:
            yield Note("time budget spent during a model call")
        return None

    def _rounds(self, ctx: RepairContext) -> TierRun:
        options = ctx.options
        suspects = ctx.suspects[: options.max_suspects]
        if not suspects:
            yield Note("the model tier has no suspect function to rewrite (no traceback frame or called function in the repo)")
            return None
        seen_sources: dict[str, list[str]] = {s.key: [] for s in suspects}
        seen_failures: set[str] = set()
        best: Attempt | None = None
        for round_no in range(1, options.max_rounds + 1):
            ctx.stats.rounds = max(ctx.stats.rounds, round_no)
            if ctx.remaining() <= 0:
                yield Note("time budget spent")
                break
            yield RoundStarted(round_no, self.name)
            plan = self._plan_round(ctx, suspects, best, round_no)
            tried = passed = 0
            new_failures: set[str] = set()
            for suspect, messages, n, seed, form in plan:
                original = function_source(ctx.read(suspect.path), suspect.function)
                for i in range(n):
                    if ctx.remaining() <= 0:
                        break
                    try:
                        texts = self._sample(ctx, messages, form.prefill, form.grammar, 1, seed + i, options.temperature, form.max_tokens)
                    except PromptTooLongError as exc:
                        yield Note(f"{suspect.key}: {exc}; skipping it")
                        break
                    last = self._last
                    yield CandidatesSampled(round_no, 1, last.completion_tokens, last.seconds, last.tokens_per_second)
                    index = ctx.stats.llm_calls
                    new_function = form.assemble(texts[0])
                    if new_function is None:
                        yield CandidateChecked(round_no, index, self.name, "invalid", "answer does not parse as the function")
                        continue
                    if same_code(new_function, original):
                        yield CandidateChecked(round_no, index, self.name, "unchanged")
                        continue
                    if any(same_code(new_function, s) for s in seen_sources[suspect.key]):
                        yield CandidateChecked(round_no, index, self.name, "duplicate")
                        continue
                    seen_sources[suspect.key].append(new_function)
                    candidate = self._candidate(ctx, suspect, new_function, f"round {round_no}, sample {index} ({form.label})")
                    verdict = ctx.validate(candidate)
                    tried += 1
                    yield CandidateChecked(round_no, index, self.name, verdict.outcome, _failure_text(verdict)[:200] if not verdict.passed else "", candidate.changes.diff() if verdict.passed else "")
                    if verdict.passed:
                        yield RoundFinished(round_no, tried, 1)
                        return candidate
                    if verdict.report is not None:
                        signature = verdict.report.signature()
                        if signature not in seen_failures:
                            new_failures.add(signature)
                        attempt = Attempt(suspect, new_function, verdict)
                        if best is None or _score(verdict) < _score(best.verdict):
                            best = attempt
            yield RoundFinished(round_no, tried, passed)
            if round_no > 1 and not new_failures:
                yield Note("stopping: this round repeated failures already seen")
                break
            seen_failures |= new_failures
        return None

    def _plan_round(self, ctx: RepairContext, suspects: list[Suspect], best: Attempt | None, round_no: int) -> list[PlanEntry]:
        """(suspect, prompt, samples, seed, answer form) for this round.

        K whole-function samples (half of them refinements of the best failed attempt
        after round 1) plus ``line_samples`` single-line rewrites at the most suspicious
        lines, which are cheap enough to try many of.
        """
        options = ctx.options
        k = options.samples
        seed = options.seed + 1000 * round_no
        plan: list[PlanEntry] = []
        fresh = k
        if best is not None and round_no > 1:
            original = function_source(ctx.read(best.suspect.path), best.suspect.function)
            failure = _failure_text(best.verdict)
            explanation = self._explain(ctx, original, best.source, failure) if options.explain else ""
            messages = prompts.refine_messages(original, best.suspect.path, best.source, ctx.tests, failure, explanation)
            refine = max(1, k // 2)
            plan.append((best.suspect, messages, refine, seed, whole_function(original, best.suspect.function.name, options.max_new_tokens)))
            fresh = k - refine
        lines = suspicious_lines(ctx, suspects[0], limit=4) if suspects else []
        for (index, _weight), share in zip(lines, _proportional(options.line_samples, [w for _, w in lines])):
            suspect = suspects[0]
            original = function_source(ctx.read(suspect.path), suspect.function)
            form = single_line(original, index)
            if form is not None and share:
                messages = prompts.line_messages(original, suspect.path, ctx.tests, index)
                plan.append((suspect, messages, share, seed + 500 + index, form))
        # Fresh samples go to the suspects by rank: the top one gets the larger share.
        for suspect, share in zip(suspects, _split(fresh, len(suspects))):
            if share:
                original = function_source(ctx.read(suspect.path), suspect.function)
                form = whole_function(original, suspect.function.name, options.max_new_tokens)
                plan.append((suspect, prompts.repair_messages(original, suspect.path, ctx.tests), share, seed + 100, form))
        return plan

    def _explain(self, ctx: RepairContext, original: str, attempt: str, failure: str) -> str:
        messages = prompts.explain_messages(original, attempt, ctx.tests, failure)
        try:
            texts = self._sample(ctx, messages, "", None, 1, ctx.options.seed, 0.0)
        except PromptTooLongError:
            return ""
        return texts[0].strip().split("\n")[0]


def _proportional(total: int, weights: list[float]) -> list[int]:
    """``total`` samples in proportion to ``weights`` (largest remainder; ties go first).

    SBFL often ties every line a single failing test runs: those lines then get equal
    shares instead of the first line taking most of them.
    """
    if not weights:
        return []
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _split(total: int, parts: int) -> list[int]:
    """Split ``total`` samples over ranked parts, halving the share down the ranking."""
    if parts <= 1 or total <= 1:
        return [total] + [0] * (parts - 1)
    first = max(1, (total * 2 + 2) // 3)
    return [first] + _split(total - first, parts - 1)
