"""The repair loop's own logic, driven by a scripted model (names say so).

Model quality is tested elsewhere with the real embedded GGUF; here the answers are
fixed so that control flow (validation order, self-debug rounds, stopping, the
never-touch-tests rule) is checked exactly.
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
    # line_samples=0: these tests are about whole-function answers and self-debug rounds.
    options = FixOptions(**{"samples": 3, "max_rounds": 2, "time_budget": 120, "line_samples": 0, **opts})
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
    assert result.status == "unfixed" and result.stats.candidates == 1


def test_scripted_self_debug_round_sees_failure_and_explanation(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    backend = ScriptedBackend([
        "    return a * b\n```",  # round 1: wrong
        "It multiplies instead of adding.",  # round 2: explanation
        "    return a + b\n```",  # round 2: refined fix
    ])
    result, _ = drive(repo, backend, samples=1, max_rounds=2)
    assert result.status == "fixed" and result.stats.rounds == 2
    refine_prompt = backend.history[2].messages[-1].content
    assert "return a * b" in refine_prompt and "It multiplies instead of adding." in refine_prompt
    assert "assert 6 == 5" in refine_prompt


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


def test_passing_suite_needs_no_model(tmp_path):
    repo = make_repo(tmp_path / "r", {"test_ok.py": "def test_ok():\n    assert True\n"})
    backend = ScriptedBackend()
    result, _ = drive(repo, backend)
    assert result.status == "passing" and backend.history == []
