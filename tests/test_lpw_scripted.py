"""LPW / SLPW control flow, driven by a scripted model (names say so).

Answers are fixed so that the order of stages, what each prompt is constrained
with, and when the loop stops are checked exactly; model quality is tested with the
real embedded model elsewhere. Candidates run for real in a child Python.
"""

from codeloop.core.events import CandidateChecked, Note, StageStarted
from codeloop.core.lpw.checks import examples_checker
from codeloop.core.lpw.loop import GenOptions, generate
from codeloop.core.lpw.prompts import PLAN_GRAMMAR, VERIFY_SCHEMA
from codeloop.core.lpw.spec import from_stub
from codeloop.runners.pyexec import call_outputs, trace_call

from tests.fakes import ScriptedBackend

SPEC = from_stub('def add(a, b):\n    """Return the sum of a and b.\n\n    >>> add(1, 2)\n    3\n    """\n')
CHECK = examples_checker(SPEC, call_outputs, tracer=lambda program, call: trace_call(program, call, "add"))


def drive(backend, **options):
    loop = generate(SPEC, backend, CHECK, GenOptions(**options))
    events = []
    while True:
        try:
            events.append(next(loop))
        except StopIteration as stop:
            return stop.value, events


def outcomes(events):
    return [e.outcome for e in events if isinstance(e, CandidateChecked)]


def test_scripted_lpw_revises_a_wrong_plan_codes_then_self_debugs_to_a_pass():
    backend = ScriptedBackend([
        "Take a and b.\n2. Multiply them.\n",  # plan
        '{"steps": ["a=1, b=2", "1*2=2"], "result": "2"}',  # verification disagrees with 3
        "Take a and b.\n2. Add them.\n",  # revised plan
        '{"steps": ["a=1, b=2", "1+2=3"], "result": "3"}',  # verification agrees
        "    return a - b\n```",  # code: wrong
        "The code subtracts instead of adding.\n",  # explanation
        "    return a + b\n```",  # fix
    ])
    result, events = drive(backend, plans=1, revisions=2, debug_rounds=2)
    assert result.status == "generated" and result.function.endswith("    return a + b\n")
    assert result.origin == "plan 1, debug 1"
    assert [e.stage for e in events if isinstance(e, StageStarted)] == ["plan", "verify", "code", "debug"]
    assert outcomes(events) == ["failed", "passed"]
    assert result.stats.plan_revisions == 1 and result.stats.debug_rounds == 1 and result.stats.programs == 2
    plan, verify, revise, verify2, code, explain, fix = backend.history
    assert plan.prefill == "1. " and plan.grammar == PLAN_GRAMMAR and plan.temperature == 0.0
    assert verify.json_schema == VERIFY_SCHEMA and "add(1, 2)" in verify.messages[-1].content
    assert "right result is 3" in revise.messages[-1].content
    assert "2. Add them." in code.messages[-1].content and "result: 3 (expected 3)" in code.messages[-1].content
    assert code.prefill == "```python\n" + SPEC.header and code.grammar is not None
    assert "add(1, 2) returned -1, expected 3" in explain.messages[-1].content
    assert "Its variables, line by line:\nline 7: a=1, b=2\nreturn: a=1, b=2 -> -1" in explain.messages[-1].content
    assert "Analysis: The code subtracts instead of adding." in fix.messages[-1].content
    assert len(backend.answers) == 0


def test_scripted_slpw_samples_all_plans_in_one_request_and_stops_at_the_first_pass():
    backend = ScriptedBackend([
        "Multiply a and b.\n2. Return it.\n", "Add a and b.\n2. Return it.\n", "Add b and a.\n2. Return it.\n",
        "    return a * b\n```",  # plan 1 program fails (no verification, no debugging here)
        "    return a + b\n```",  # plan 2 passes: plan 3 is never coded
    ])
    result, events = drive(backend, plans=3, verify=False, debug_rounds=0)
    assert result.status == "generated" and result.origin == "plan 2"
    assert backend.history[0].n == 3 and backend.history[0].temperature > 0
    assert len(backend.history) == 3 and result.stats.plans == 3
    assert outcomes(events) == ["failed", "passed"]


def test_scripted_unusable_verification_codes_from_the_plan_as_it_is():
    backend = ScriptedBackend(["Add a and b.\n2. Return it.\n", '{"steps": ["cut', "    return a + b\n```"])
    result, events = drive(backend, plans=1)
    assert result.status == "generated"
    assert any(isinstance(e, Note) and "did not parse" in e.message for e in events)


def test_scripted_plain_completion_is_greedy_first_then_samples_and_skips_duplicates():
    backend = ScriptedBackend(["    return 0\n```", "    return 0  # again\n```", "    return (\n```", "    return b + a\n```"])
    result, events = drive(backend, plan=False, temperature=0.8)
    assert result.status == "generated" and result.origin == "sample 4"
    assert outcomes(events) == ["failed", "duplicate", "invalid", "passed"]
    assert [r.temperature for r in backend.history] == [0.0, 0.8, 0.8, 0.8]
    assert "Plan" not in backend.history[0].messages[-1].content


def test_scripted_token_budget_stops_the_run_and_reports_failure():
    backend = ScriptedBackend(["    return 0\n```"] + [f"    return {i}\n```" for i in range(1, 20)])
    result, events = drive(backend, plan=False, token_budget=12)  # the scripted model spends 5 tokens a call
    assert result.status == "failed" and len(backend.history) == 3
    assert any(isinstance(e, Note) and "budget spent" in e.message for e in events)
    assert "none of 3 program(s) passed" in result.message


def test_scripted_want_passing_collects_distinct_passing_programs():
    backend = ScriptedBackend(["    return a + b\n```", "    return b + a\n```", "    return sum((a, b))\n```"])
    result, _ = drive(backend, plan=False, want_passing=2)
    assert len(result.passing) == 2 and len(backend.history) == 2


def test_scripted_plain_first_plans_only_when_no_plain_sample_passes():
    backend = ScriptedBackend([
        "    return 0\n```", "    return a * b\n```",  # two plain samples fail
        "Add a and b.\n2. Return it.\n",  # then a plan
        "    return a + b\n```",  # and its program passes
    ])
    result, events = drive(backend, plain_first=2, plans=1, verify=False, debug_rounds=0, temperature=0.8)
    assert result.status == "generated" and result.origin == "plan 1"
    assert [e.stage for e in events if isinstance(e, StageStarted)] == ["code", "plan", "code"]
    assert any(isinstance(e, Note) and "planning (LPW)" in e.message for e in events)
    assert [e.stage for e in events if isinstance(e, CandidateChecked)] == ["plain", "plain", "lpw"]
    assert backend.history[2].prefill == "1. " and len(backend.answers) == 0


def test_scripted_plain_first_that_passes_never_plans():
    backend = ScriptedBackend(["    return a + b\n```", "    return b + a\n```"])
    result, events = drive(backend, plain_first=2, plans=3, want_passing=2, temperature=0.8)
    assert result.status == "generated" and len(result.passing) == 2 and result.origin == "sample 1"
    assert [e.stage for e in events if isinstance(e, StageStarted)] == ["code"]
    assert all(r.prefill != "1. " for r in backend.history) and len(backend.history) == 2
