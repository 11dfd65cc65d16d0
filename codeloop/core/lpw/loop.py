"""generate(): LPW and SLPW as one generator that yields events and returns a GenResult.

Per plan: verify it on the visible examples (revising it a bounded number of times),
write code from the plan and its walk-through, run the visible tests, and on failure
self-debug (explain the failure against the walk-through, then fix). ``plans > 1`` is
SLPW: the plans are sampled in one request (the shared prompt is evaluated once) and
each gets its own program. ``plan=False`` is plain completion, the baseline: programs
sampled straight from the stub until one passes or the budget is spent.

``plain_first > 0`` routes by difficulty (as fix routes cheap edits before the model):
that many plain samples first, and planning only when none of them passes. Measured
with Qwen2.5-Coder 0.5B and 1.5B on HumanEval (README), planning from the start scored
below plain sampling at the same token budget: on a task plain code solves, the plan
and its walk-through spend the tokens a second sample would have used.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass, field

from codeloop.core.edits import same_code
from codeloop.core.events import CandidateChecked, CandidatesSampled, Event, Note, StageStarted
from codeloop.core.lpw import prompts
from codeloop.core.lpw.checks import Checker, CheckResult
from codeloop.core.lpw.parse import first_line, parse_plan, plan_text
from codeloop.core.lpw.session import BudgetSpent, GenStats, Session
from codeloop.core.lpw.spec import Spec
from codeloop.core.lpw.verify import verify_plan
from codeloop.models.base import Backend


@dataclass(frozen=True)
class GenOptions:
    plan: bool = True  # False: plain completion (no plan, verification or self-debug)
    plans: int = 1  # > 1: SLPW
    verify: bool = True
    revisions: int = 1  # plan revisions after a failed verification
    debug_rounds: int = 1  # explain + fix rounds per program
    explain: bool = True
    temperature: float = 0.7  # for sampled plans and programs; the first LPW draw is greedy
    token_budget: int = 1500  # completion tokens for the whole generation
    time_budget: float = 300.0
    want_passing: int = 1  # distinct passing programs to collect (ambiguity checks need 2+)
    max_samples: int = 8  # plain completion: code samples at most (the token budget may end it first)
    plain_first: int = 0  # with plan: plain samples tried first; planning only if none passes
    max_plan_tokens: int = 120
    max_code_tokens: int = 256
    seed: int = 0


@dataclass
class GenResult:
    status: str  # "generated" | "failed"
    function: str | None = None  # the first passing program
    passing: list[str] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)  # every program tested, in order
    stats: GenStats = field(default_factory=GenStats)
    seconds: float = 0.0
    message: str = ""
    origin: str = ""


Gen = Generator[Event, None, GenResult]


class _Run:
    """State shared by the steps of one generation."""

    def __init__(self, spec: Spec, session: Session, check: Checker, options: GenOptions) -> None:
        self.spec, self.session, self.check, self.options = spec, session, check, options
        self.result = GenResult("failed", stats=session.stats)
        self.planned_method = "slpw" if options.plans > 1 else "lpw"
        self.method = self.planned_method if options.plan and not options.plain_first else "plain"

    def done(self) -> bool:
        return len(self.result.passing) >= self.options.want_passing

    def try_program(self, function: str | None, index: int, origin: str) -> Generator[Event, None, CheckResult | None]:
        """Run one program against the visible tests; None when it was not run."""
        last = self.session.last
        if last is not None:
            yield CandidatesSampled(index, 1, last.completion_tokens, last.seconds, last.tokens_per_second)
        number = len(self.result.attempts) + 1
        if function is None:
            yield CandidateChecked(index, number, self.method, "invalid", "answer does not parse as the function")
            return None
        if any(same_code(function, seen) for seen in self.result.attempts):
            yield CandidateChecked(index, number, self.method, "duplicate")
            return None
        self.result.attempts.append(function)
        self.session.stats.programs += 1
        verdict = self.check(function)
        yield CandidateChecked(index, number, self.method, "passed" if verdict.passed else "failed", verdict.describe())
        if verdict.passed:
            self.result.passing.append(function)
            if self.result.function is None:
                self.result.function, self.result.origin = function, origin
        return verdict


def generate(spec: Spec, backend: Backend, check: Checker, options: GenOptions) -> Gen:
    started = time.monotonic()
    stats = GenStats()
    session = Session(backend, options.token_budget, started + options.time_budget, stats)
    run = _Run(spec, session, check, options)
    try:
        if not options.plan:
            yield from _plain(run)
        elif options.plain_first:
            yield from _plain(run, escalate_after=options.plain_first)
            if not run.result.passing:
                yield Note(f"no plain sample passed the visible tests: planning ({run.planned_method.upper()})")
                run.method = run.planned_method
                yield from _planned(run)
        else:
            yield from _planned(run)
    except BudgetSpent:
        yield Note(f"budget spent ({stats.completion_tokens} tokens, {time.monotonic() - started:.0f}s)")
    result = run.result
    result.seconds = time.monotonic() - started
    if result.function is not None:
        result.status = "generated"
    else:
        tried = len(result.attempts)
        result.message = f"none of {tried} program(s) passed the visible tests within the budget"
    return result


def _plain(run: _Run, escalate_after: int = 0) -> Generator[Event, None, None]:
    """Code straight from the stub. ``escalate_after``: stop after that many samples when
    none passed (the caller plans next); once one passed, go on collecting passing ones."""
    o = run.options
    yield StageStarted("code", "plain completion")
    for i in range(o.max_samples):
        temperature = 0.0 if i == 0 else o.temperature
        messages = prompts.code_messages(run.spec, "", "")
        function = run.session.function(run.spec, messages, o.max_code_tokens, temperature, o.seed + i)
        yield from run.try_program(function, i + 1, f"sample {i + 1}")
        if run.done() or (i == 0 and o.temperature == 0.0):
            return
        if escalate_after and i + 1 >= escalate_after and not run.result.passing:
            return


def _sample_plans(run: _Run) -> Generator[Event, None, list[str]]:
    o = run.options
    yield StageStarted("plan", f"{o.plans} plan(s)")
    greedy = o.plans == 1
    # Planning may take at most a third of the budget, so SLPW still has tokens to code with.
    per_plan = min(o.max_plan_tokens, max(24, o.token_budget // (3 * o.plans)))
    texts = run.session.complete(
        prompts.plan_messages(run.spec), per_plan, n=o.plans,
        temperature=0.0 if greedy else o.temperature, seed=o.seed, prefill="1. ", grammar=prompts.PLAN_GRAMMAR,
    )
    plans = [plan_text(parse_plan(t)) for t in texts]
    run.session.stats.plans += len(plans)
    kept = [p for p in dict.fromkeys(plans) if p]
    if len(kept) < len(plans):
        yield Note(f"{len(plans) - len(kept)} plan(s) empty or repeated")
    return kept or [""]  # no usable plan: code straight from the stub rather than not at all


def _planned(run: _Run) -> Generator[Event, None, None]:
    o = run.options
    plans = yield from _sample_plans(run)
    for index, plan in enumerate(plans, 1):
        walkthrough = ""
        if plan and o.verify and run.spec.examples:
            yield StageStarted("verify", f"plan {index}")
            plan, walkthrough = yield from verify_plan(run.session, run.spec, plan, o.revisions)
        yield StageStarted("code", f"plan {index}")
        temperature = 0.0 if index == 1 and len(plans) == 1 else o.temperature
        messages = prompts.code_messages(run.spec, plan, walkthrough)
        function = run.session.function(run.spec, messages, o.max_code_tokens, temperature, o.seed + index)
        verdict = yield from run.try_program(function, index, f"plan {index}")
        yield from _debug(run, index, plan, walkthrough, function, verdict)
        if run.done():
            return


def _debug(run: _Run, index: int, plan: str, walkthrough: str, function: str | None, verdict: CheckResult | None) -> Generator[Event, None, None]:
    """Self-debug: explain the failure against the plan's walk-through, then fix."""
    o = run.options
    for round_no in range(1, o.debug_rounds + 1):
        if function is None or verdict is None or verdict.passed or run.done():
            return
        yield StageStarted("debug", f"plan {index}, round {round_no}")
        run.session.stats.debug_rounds += 1
        failure = verdict.describe()
        explanation = ""
        if o.explain:
            trace = verdict.failures[0].trace if verdict.failures else ""
            texts = run.session.complete(
                prompts.explain_messages(run.spec, function, failure, walkthrough, trace), 60,
                temperature=0.0, seed=o.seed, grammar=prompts.SENTENCE_GRAMMAR,
            )
            explanation = first_line(texts[0])
        messages = prompts.fix_messages(run.spec, plan, function, failure, explanation)
        fixed = run.session.function(run.spec, messages, o.max_code_tokens, o.temperature, o.seed + 100 * round_no + index)
        new_verdict = yield from run.try_program(fixed, index, f"plan {index}, debug {round_no}")
        if fixed is not None and new_verdict is not None:
            function, verdict = fixed, new_verdict
