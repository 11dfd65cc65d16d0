"""Generation that settles ambiguity ClarifyGPT's way: generate; when passing programs
disagree on an input hypothesis drew, ask which output is right, then keep the program
that gives it (or generate again with the answer as a visible example).

The question is an event: ``answer = yield Question(...)``. Whoever drives the
generator sends the answer back (an option id or the value itself); None, which plain
iteration sends, takes the majority of the passing programs.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, replace

from codeloop.core.events import Event, Note, Option, Question
from codeloop.core.lpw import ambiguity as amb
from codeloop.core.lpw.checks import CallRunner, Checker, combine, examples_checker
from codeloop.core.lpw.loop import GenOptions, GenResult, generate
from codeloop.core.lpw.spec import Spec
from codeloop.models.base import Backend


@dataclass
class Clarified:
    result: GenResult  # the last generation's (a second one when the answer needed it)
    function: str | None  # the program chosen
    ambiguity: amb.Disagreement | None = None
    resolved: str = ""  # "user" | "majority" | "" (no disagreement)


def ambiguity_question(disagreement: amb.Disagreement, number: int = 1) -> Question:
    options = [
        Option(str(i), output, f"{count} program{'s' if count > 1 else ''}")
        for i, (output, count) in enumerate(disagreement.answers, 1)
    ]
    text = f"The visible tests allow different behaviours. What should {disagreement.call} return?"
    return Question(number, text, options, default="1")  # answers are most common first


def generate_clarified(
    spec: Spec,
    backend: Callable[[], Backend],
    check: Checker,
    options: GenOptions,
    run_calls: CallRunner,
    program_for: Callable[[str], str],
) -> Generator[Event, str | None, Clarified]:
    """``run_calls`` runs whole programs (``program_for(function)``) on calls, for the
    probes; ``backend`` is called only when a model is needed."""
    result = yield from generate(spec, backend(), check, options)
    out = Clarified(result, result.function)
    if len(result.passing) < 2:
        return out
    calls = amb.probe_calls(spec)
    disagreement = amb.find_disagreement(calls, run_calls([program_for(f) for f in result.passing], calls))
    if disagreement is None:
        yield Note(f"{len(result.passing)} passing programs agree on {len(calls)} generated inputs")
        return out
    out.ambiguity = disagreement
    question = ambiguity_question(disagreement)
    value, answered = question.resolve((yield question))
    if not answered:
        out.resolved, out.function = "majority", result.passing[disagreement.majority]
        outputs = ", ".join(o for o, _ in disagreement.answers)
        yield Note(f"passing programs disagree on {disagreement.call} ({outputs}); took the majority")
        return out
    out.resolved = "user"
    example = amb.clarified_example(disagreement, value)
    yield Note(f"answer taken: {example.call} returns {example.expected}")
    clarified = spec.with_example(example, f"{example.call} returns {example.expected}")
    agree = examples_checker(clarified, run_calls, [example], program_for=program_for)
    matching = [f for f in result.passing if agree(f).passed]
    if matching:
        out.function = matching[0]
        return out
    yield Note("no passing program matches your answer: generating again with it")
    again = yield from generate(clarified, backend(), combine(agree, check), replace(options, want_passing=1))
    out.result, out.function = again, again.function
    return out
