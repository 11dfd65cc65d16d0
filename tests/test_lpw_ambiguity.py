"""The ambiguity detector on a deliberately ambiguous spec ("round x": half up? down? banker's?)."""

from codeloop.cli import generate_flow
from codeloop.cli.drive import Driver
from codeloop.core.lpw.ambiguity import find_disagreement, parameter_strategies, probe_calls
from codeloop.core.lpw.loop import GenOptions
from codeloop.core.lpw.spec import from_stub
from codeloop.runners.pyexec import call_outputs

from tests.conftest import make_repo, snapshot
from tests.fakes import ScriptedBackend

AMBIGUOUS = 'def rnd(x: float) -> int:\n    """Round x to an integer.\n\n    >>> rnd(2.2)\n    2\n    """\n    ...\n'
READINGS = ["    return round(x)\n```", "    return int(x)\n```", "    return int(round(x))\n```"]


def test_probe_inputs_follow_annotations_or_example_types_and_are_reproducible():
    spec = from_stub(AMBIGUOUS)
    calls = probe_calls(spec, count=10)
    assert calls == probe_calls(spec, count=10) and len(calls) >= 5
    assert all(c.startswith("rnd(") for c in calls) and "rnd(2.2)" not in calls
    untyped = from_stub('def f(xs, s):\n    """Doc.\n\n    >>> f([1, 2], "a")\n    3\n    """\n')
    assert len(parameter_strategies(untyped)) == 2
    assert all(c.startswith("f([") for c in probe_calls(untyped, count=5))
    assert parameter_strategies(from_stub("def g(thing):\n    pass\n")) is None


def test_passing_programs_that_disagree_give_a_targeted_question_and_a_majority():
    spec = from_stub(AMBIGUOUS)
    calls = probe_calls(spec)
    programs = [r.replace("\n```", "\n") for r in READINGS]
    functions = [spec.header + body for body in programs]
    assert all(out == ["2"] for out in call_outputs(functions, ["rnd(2.2)"]))  # all pass the visible test
    found = find_disagreement(calls, call_outputs(functions, calls))
    assert found is not None and found.behaviours == 2
    round_, int_ = call_outputs([functions[0], functions[1]], [found.call])
    assert round_ != int_
    assert dict(found.answers) == {round_[0]: 2, int_[0]: 1}
    assert found.majority == 0
    same = find_disagreement(calls, call_outputs([functions[0], functions[2]], calls))
    assert same is None


def run_flow(tmp_path, answers, ask):
    """The flow driven by the CLI's own Driver; ``ask`` answers its question (None: no answer channel)."""
    repo = make_repo(tmp_path / "r", {"nums.py": AMBIGUOUS})
    backend = ScriptedBackend(answers)
    options = GenOptions(plan=False, want_passing=3, temperature=0.8)
    driver = Driver("generate")
    driver.answers = ask
    with driver:
        outcome = generate_flow.run("%s::rnd" % (repo / "nums.py"), None, None, None, [], options, lambda: backend, driver.drive)
    return repo, outcome, backend


def test_scripted_non_interactive_run_reports_the_disagreement_and_takes_the_majority(tmp_path):
    repo, outcome, _ = run_flow(tmp_path, list(READINGS), None)
    before = snapshot(repo)
    payload = outcome.to_dict()
    assert payload["status"] == "generated" and payload["passing_programs"] == 3
    assert payload["ambiguity"]["resolved"] == "majority" and payload["ambiguity"]["behaviours"] == 2
    assert "return round(x)" in payload["function"]
    assert snapshot(repo) == before  # nothing is written before the CLI applies


def test_scripted_the_users_answer_picks_the_program_that_agrees_with_it(tmp_path):
    asked = []

    def ask(question):
        asked.append(question)
        return next(o.id for o in question.options if o.detail == "1 program")  # the minority: int(x) truncation

    _, outcome, _ = run_flow(tmp_path, list(READINGS), ask)
    assert len(asked) == 1 and outcome.resolved == "user"
    assert outcome.function.endswith("return int(x)\n")


def test_scripted_an_answer_no_program_gives_regenerates_with_it_as_a_visible_example(tmp_path):
    fix = "    return int(x) + 1 if x % 1 else int(x)\n```"
    _, outcome, backend = run_flow(tmp_path, list(READINGS) + [fix], lambda question: "999")
    assert outcome.status == "failed"  # 999 is no ceiling of anything: the regenerated program fails it
    last = backend.history[-1].messages[-1].content
    assert "returns 999" in last and outcome.result.stats.programs >= 1
