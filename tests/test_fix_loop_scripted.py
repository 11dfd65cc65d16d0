"""The repair loop's own logic, driven by a scripted model (names say so).

Model quality is tested elsewhere with real GGUFs; here the answers are fixed so that
control flow (answer forms, the shared prompt, validation order, self-debug rounds,
routing, stopping, the never-touch-tests rule) is checked exactly.
"""

from pathlib import Path

from codeloop.core.events import CandidateChecked, Note
from codeloop.core.fix.context import FixOptions
from codeloop.core.fix.model_tier import ModelTier

from tests.conftest import make_repo, run_repair, snapshot
from tests.fakes import ScriptedBackend

FILES = {
    "calc.py": 'def add(a, b):\n    """Sum of a and b."""\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n',
    "test_calc.py": "from calc import add, mul\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n",
}


def drive(repo: Path, backend: ScriptedBackend, **opts):
    # Whole-function answers only unless a test says otherwise.
    options = FixOptions(**{"samples": 3, "max_rounds": 2, "time_budget": 600, "line_samples": 0, "forms": ("function",), **opts})
    return run_repair(repo, [ModelTier(lambda: backend)], options)


def test_scripted_first_passing_candidate_wins_and_tree_is_untouched(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    before = snapshot(repo)
    backend = ScriptedBackend(["    return a * b\n```", "    return a + b\n```", "    return b + a\n```"])
    result, events = drive(repo, backend)
    assert result.status == "fixed" and result.stage == "model"
    assert "+    return a + b" in result.changes.diff()
    assert result.stats.candidates == 2 and result.stats.llm_calls == 2  # stopped at the winner
    # The prompt pinned the function header; the grammar pinned the body indent.
    assert backend.history[0].prefill == '```python\ndef add(a, b):\n    """Sum of a and b."""\n'
    assert backend.history[0].grammar and '"    "' in backend.history[0].grammar
    assert snapshot(repo) == before


def test_scripted_invalid_unchanged_and_duplicate_answers_are_not_run(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    backend = ScriptedBackend(["    return (a +\n```", "    return a - b\n```", "    return a * b\n```", "    return a*b  # same\n```"])
    result, events = drive(repo, backend, samples=4, max_rounds=1)
    outcomes = [e.outcome for e in events if isinstance(e, CandidateChecked)]
    assert outcomes == ["invalid", "unchanged", "failed", "duplicate"]
    assert result.status == "unfixed" and result.stats.candidates == 1 and result.stats.wasted == 3


def test_scripted_prompt_shows_docstring_failure_values_and_callee_signatures(tmp_path):
    files = {
        "calc.py": (
            'def double(x: int) -> int:\n    """Twice x."""\n    return 2 * x\n\n\n'
            'def quad(x):\n    """Four times x."""\n    return double(x) + x\n'
        ),
        "test_calc.py": "from calc import quad\n\n\ndef test_quad():\n    assert quad(1) == 4\n    assert quad(2) == 8\n",
    }
    repo = make_repo(tmp_path / "r", files)
    backend = ScriptedBackend(["    return double(double(x))\n```"])
    result, _ = drive(repo, backend, samples=1, max_rounds=1, max_suspects=1)  # double: a callee, not shown
    assert result.status == "fixed"
    prompt = backend.history[0].messages[-1].content
    assert '"""Four times x."""' in prompt
    assert "def double(x: int) -> int: ...  # Twice x." in prompt
    assert "`assert quad(1) == 4` failed: quad(1) returned 3." in prompt


def test_scripted_every_fresh_draw_continues_one_shared_prompt(tmp_path):
    # Rewrites, single lines and edits differ only in their prefill: the prompt's KV
    # state is reused by every draw of every round.
    repo = make_repo(tmp_path / "r", FILES)
    backend = ScriptedBackend([
        "    return b - a\n```",
        "    return a // b\n",
        "    return a - b\n=======\n    return a * b\n>>>>>>> REPLACE\n",
        "    return a % b\n",
    ])
    result, _ = drive(repo, backend, samples=2, max_rounds=1, line_samples=2, forms=("edit", "function", "line"))
    assert result.status == "unfixed" and result.stats.llm_calls == 4 and result.stats.candidates == 4
    assert len({r.messages for r in backend.history}) == 1
    prefills = [r.prefill for r in backend.history]
    assert prefills[0] == prefills[1] == prefills[3] == '```python\ndef add(a, b):\n    """Sum of a and b."""\n'
    assert prefills[2] == "<<<<<<< SEARCH\n"
    assert [r.temperature for r in backend.history][:3] == [0.0, 0.0, 0.0]  # greedy first, per form
    assert backend.history[1].grammar != backend.history[0].grammar  # the line must differ from "return a - b"


def test_scripted_locate_form_puts_the_named_line_first(tmp_path):
    files = {"calc.py": "def area(w, h):\n    s = w + 0\n    t = h + 0\n    return s + t\n",
             "test_calc.py": "from calc import area\n\n\ndef test_area():\n    assert area(2, 3) == 6\n"}
    repo = make_repo(tmp_path / "r", files)
    backend = ScriptedBackend(["    return s + t\n```", "    return s * t\n"])
    result, _ = drive(repo, backend, samples=1, max_rounds=1, line_samples=1, forms=("locate", "line"))
    assert result.status == "fixed" and "+    return s * t" in result.changes.diff()
    assert backend.history[0].prefill == "The buggy line is:\n```python\n"
    assert backend.history[1].prefill == "```python\ndef area(w, h):\n    s = w + 0\n    t = h + 0\n"


def test_scripted_edit_answers_may_add_a_statement_and_touch_two_functions(tmp_path):
    files = {
        "shapes.py": (
            "def area(w, h):\n    return w + h\n\n\n"
            "def describe(w, h):\n    return f'{w}x{h}'\n"
        ),
        "test_shapes.py": (
            "from shapes import area, describe\n\n\ndef test_area():\n    assert area(2, 3) == 6\n\n\n"
            "def test_describe():\n    assert describe(2, 3) == '2x3=6'\n"
        ),
    }
    repo = make_repo(tmp_path / "r", files)
    answer = (
        "    return w + h\n=======\n    return w * h\n>>>>>>> REPLACE\n"
        "<<<<<<< SEARCH\n    return f'{w}x{h}'\n=======\n    size = area(w, h)\n    return f'{w}x{h}={size}'\n>>>>>>> REPLACE\n"
    )
    backend = ScriptedBackend([answer])
    result, _ = drive(repo, backend, samples=1, max_rounds=1, forms=("edit",))
    assert result.status == "fixed", [e for e in _ if isinstance(e, CandidateChecked)]
    diff = result.changes.diff()
    assert "+    return w * h" in diff and "+    size = area(w, h)" in diff
    grammar = backend.history[0].grammar
    assert '"    return w + h\\x0A"' in grammar and '"    return f\'{w}x{h}\'\\x0A"' in grammar


def test_scripted_edit_answer_that_copies_or_misplaces_is_never_run(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    backend = ScriptedBackend([
        "    return a  -  b\n=======\n    return a - b\n>>>>>>> REPLACE\n",  # SEARCH is no line of the function
        "    return a - b\n=======\n    return a-b\n>>>>>>> REPLACE\n",  # same code
        "    return a - b\n=======\n    return a + b\n",  # no end marker: not guessed at
    ])
    result, events = drive(repo, backend, samples=3, max_rounds=1, forms=("edit",))
    assert [e.outcome for e in events if isinstance(e, CandidateChecked)] == ["invalid", "unchanged", "invalid"]
    assert result.stats.candidates == 0


def test_scripted_function_copies_turn_the_rounds_rewrites_into_edits(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    edit = "    return a - b\n=======\n    return {}\n>>>>>>> REPLACE\n".format
    backend = ScriptedBackend([
        "    return a - b\n```",  # rewrite (greedy): a copy
        edit("a * b"),  # edit (greedy): fails
        "    return a - b\n```",  # rewrite: a copy again
        edit("a ** b"),  # edit: fails
        edit("a + b"),  # was a rewrite: after two copies, an edit
    ])
    result, events = drive(repo, backend, samples=8, max_rounds=1, forms=("edit", "function"))
    assert result.status == "fixed" and result.stats.llm_calls == 5
    prefills = [r.prefill for r in backend.history]
    assert prefills[0].startswith("```python") and prefills[2].startswith("```python")
    assert prefills[4] == "<<<<<<< SEARCH\n"
    assert [e.outcome for e in events if isinstance(e, CandidateChecked)].count("unchanged") == 2


def test_scripted_self_debug_round_explains_the_real_failure_then_refines(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    backend = ScriptedBackend([
        "    return a * b\n```",  # round 1: wrong
        "It multiplies instead of adding.",  # round 2: explanation
        "    return a + b\n```",  # round 2: refined fix
    ])
    result, _ = drive(repo, backend, samples=1, max_rounds=2)
    assert result.status == "fixed" and result.stats.rounds == 2
    explain, refine = backend.history[1], backend.history[2]
    # One conversation on top of the shared problem prompt: attempt, real feedback, explanation.
    assert explain.messages[:2] == backend.history[0].messages == refine.messages[:2]
    assert "return a * b" in explain.messages[2].content
    assert "`assert add(2, 3) == 5` failed: add(2, 3) returned 6." in explain.messages[3].content
    assert refine.messages[:4] == explain.messages
    assert refine.messages[4].content == "It multiplies instead of adding."


def test_scripted_stops_when_rounds_repeat_the_same_failure(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    backend = ScriptedBackend([
        "    return a * b\n```", "    return b * a\n```",  # round 1: both fail the same way
        "It is wrong.", "    return a * b * 1\n```", "    return 1 * b * a\n```",  # round 2: same failure
    ])
    result, events = drive(repo, backend, samples=2, max_rounds=5)
    assert result.status == "unfixed"
    assert result.stats.rounds == 2
    assert any(isinstance(e, Note) and "repeated" in e.message for e in events)


def test_scripted_candidate_must_pass_the_whole_command(tmp_path):
    files = dict(FILES)
    files["calc.py"] = 'def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return add(a * b, 0)\n'
    repo = make_repo(tmp_path / "r", files)
    # Passes test_add but breaks test_mul (add is used by mul): must be rejected.
    backend = ScriptedBackend(["    return 5\n```"])
    result, events = drive(repo, backend, samples=1, max_rounds=1)
    assert result.status == "unfixed"
    checked = [e for e in events if isinstance(e, CandidateChecked)]
    assert checked[0].outcome == "failed"


def test_scripted_routing_gives_the_next_model_what_the_first_left(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    small = ScriptedBackend(["    return a * b\n```"])
    big = ScriptedBackend(["    return a + b\n```"])
    options = FixOptions(samples=1, max_rounds=1, time_budget=120, line_samples=0, forms=("function",))
    tiers = [ModelTier(lambda: small, label="small", share=0.4), ModelTier(lambda: big, label="big")]
    result, _ = run_repair(repo, tiers, options)
    assert result.status == "fixed" and "+    return a + b" in result.changes.diff()
    assert result.stats.models["small"].calls == 1 and result.stats.models["big"].calls == 1
    assert {"tests", "localize", "model:small", "model:big", "final-check"} <= set(result.stats.stage_seconds)
    payload = result.to_dict()
    assert payload["models"]["big"]["candidates"] == 1 and payload["completion_tokens"] == 10


def test_passing_suite_needs_no_model(tmp_path):
    repo = make_repo(tmp_path / "r", {"test_ok.py": "def test_ok():\n    assert True\n"})
    backend = ScriptedBackend()
    result, _ = drive(repo, backend)
    assert result.status == "passing" and backend.history == []


class _ScriptedCutBackend(ScriptedBackend):
    """Scripted: every call runs out of time before an answer (a prompt too slow to read)."""

    def complete(self, request):  # type: ignore[no-untyped-def]
        from codeloop.models.base import DeadlinePassed

        self.history.append(request)
        raise DeadlinePassed("the deadline passed before the first sample")


def test_scripted_a_call_cut_at_the_deadline_ends_that_model_and_is_reported(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    small, big = _ScriptedCutBackend(), ScriptedBackend(["    return a + b\n```"])
    options = FixOptions(samples=1, max_rounds=1, time_budget=120, line_samples=0, forms=("function",))
    result, events = run_repair(repo, [ModelTier(lambda: small, label="small", share=0.4), ModelTier(lambda: big, label="big")], options)
    assert result.status == "fixed" and len(small.history) == 1  # the next model still ran
    assert result.stats.models["small"].cut == 1 and result.stats.models["small"].calls == 0
    assert any(isinstance(e, Note) and "small" in e.message for e in events)


class ScriptedPool(ScriptedBackend):
    """A scripted backend that says it serves two requests at once (as a pool of servers
    does): ``submit`` answers at once but records how many answers were not read yet."""

    parallelism = 2

    def __init__(self, answers: list[str]) -> None:
        super().__init__(answers)
        self.unread: list[object] = []
        self.most_unread = 0

    def submit(self, request):  # type: ignore[no-untyped-def]
        from concurrent.futures import Future

        answer: Future = Future()
        answer.set_result(self.complete(request))
        self.unread.append(answer)
        self.most_unread = max(self.most_unread, sum(1 for f in self.unread if not getattr(f, "read", False)))
        original = answer.result

        def read(timeout=None):  # type: ignore[no-untyped-def]
            answer.read = True  # type: ignore[attr-defined]
            return original(timeout)

        answer.result = read  # type: ignore[method-assign]
        return answer


def test_scripted_pool_samples_ahead_and_the_same_answers_give_the_same_run(tmp_path):
    answers = ["    return a * b\n```", "    return a - b\n```", "    return a + b\n```", "    return b + a\n```"]
    runs = []
    for n in range(2):
        repo = make_repo(tmp_path / f"r{n}", FILES)
        backend = ScriptedPool(list(answers))
        result, events = drive(repo, backend, samples=4, max_rounds=1)
        runs.append(([e.outcome for e in events if isinstance(e, CandidateChecked)], [r.seed for r in backend.history]))
        assert result.status == "fixed" and "+    return a + b" in result.changes.diff()
        assert backend.most_unread == 2  # the next sample was in flight while one was tested
        assert len(backend.history) == 4 and result.stats.llm_calls == 3  # one sampled ahead, not needed
    assert runs[0] == runs[1] and runs[0][0] == ["failed", "unchanged", "passed"]
