"""Plan verification: the model walks the plan on a visible example; we compare the result.

The comparison is ours (literal equality, as the tests judge), not the model's: a
135M model cannot be trusted to say whether "3" equals "3". A disagreeing plan is
revised and walked again, a bounded number of times.
"""

from __future__ import annotations

from collections.abc import Generator

from codeloop.core.events import Event, Note
from codeloop.core.lpw import prompts
from codeloop.core.lpw.checks import outputs_match
from codeloop.core.lpw.parse import parse_plan, parse_verification, plan_text
from codeloop.core.lpw.session import Session
from codeloop.core.lpw.spec import Spec


def verify_plan(session: Session, spec: Spec, plan: str, revisions: int) -> Generator[Event, None, tuple[str, str]]:
    """(the plan to code from, its walk-through text) after at most ``revisions`` revisions."""
    example = spec.examples[0]
    walkthrough = ""
    for attempt in range(revisions + 1):
        texts = session.complete(
            prompts.verify_messages(spec, plan, example), 160, temperature=0.0, seed=attempt, json_schema=prompts.VERIFY_SCHEMA
        )
        walk = parse_verification(texts[0])
        if walk is None:
            yield Note("plan verification: the answer did not parse; coding from the plan as it is")
            return plan, walkthrough
        walkthrough = prompts.walkthrough_text(example, walk.steps, walk.result)
        if outputs_match(walk.result, example.expected):
            yield Note(f"plan verified on {example.call}")
            return plan, walkthrough
        if attempt == revisions:
            break
        yield Note(f"plan gives {walk.result[:60]!r} for {example.call}, expected {example.expected[:60]}: revising")
        session.stats.plan_revisions += 1
        texts = session.complete(
            prompts.revise_messages(spec, plan, example, walk.result), 120,
            temperature=0.0, seed=attempt, prefill="1. ", grammar=prompts.PLAN_GRAMMAR,
        )
        revised = plan_text(parse_plan(texts[0]))
        if revised:
            plan = revised
    return plan, walkthrough
