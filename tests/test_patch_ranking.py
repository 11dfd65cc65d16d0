"""Ranking plausible patches by naturalness: the window scored, the gain, the cheap tier's
exploration (scripted scorers: about the tier's logic), and the real embedded model."""

import json

import pytest

from codeloop.plugins import language_for_path
from codeloop.cli.fix import generators_for
from codeloop.core.changes import FileChange
from codeloop.core.events import Note
from codeloop.core.fix.cheap_tier import _MAX_RIVALS, CheapTier, _Search, mutants
from codeloop.core.fix.context import FixOptions, RepairContext
from codeloop.core.fix.patch_ranking import changed_window, naturalness_gains
from codeloop.runners.base import TestFailure, TestReport

from tests.conftest import make_repo, run_cli
from tests.test_cheap_tier import PYTEST, drive

PYTHON = language_for_path("m.py")

SOURCE = (
    "import os\n\n\n"
    "def mad(numbers):\n"
    "    mean = sum(numbers) / len(numbers)\n"
    "    total = sum(abs(x - mean) for x in numbers)\n"
    "    return total / mean\n"
    "\n\n"
    "LIMIT = 3\n"
)

# The visible test passes with '/' -> '//' (4 // 2.5 == 1.0) as well as with the real fix.
MAD_REPO = {
    "stats.py": SOURCE,
    "test_stats.py": "from stats import mad\n\n\ndef test_mad():\n    assert abs(mad([1.0, 2.0, 3.0, 4.0]) - 1.0) < 1e-6\n",
}


def test_window_is_the_function_up_to_a_few_lines_after_the_edit():
    assert changed_window(PYTHON, SOURCE, 5) == "def mad(numbers):\n    mean = sum(numbers) / len(numbers)\n    total = sum(abs(x - mean) for x in numbers)\n"
    assert changed_window(PYTHON, SOURCE, 7) == changed_window(PYTHON, SOURCE, 6)  # never past the function's end
    assert changed_window(PYTHON, SOURCE, 6).endswith("    return total / mean\n")
    assert changed_window(PYTHON, SOURCE, 10) == "".join(SOURCE.splitlines(keepends=True)[1:11])  # no function: nearby lines


def test_gain_is_measured_against_each_patch_own_original():
    seen = []

    def scripted_score(text):  # longer is "more natural" here: a stand-in for the model
        seen.append(text)
        return float(len(text))

    after_a = SOURCE.replace("return total / mean", "return total / len(numbers)")
    after_b = SOURCE.replace("LIMIT = 3", "LIMIT = 4")
    gains = naturalness_gains([(FileChange("stats.py", SOURCE, after_a), 7), (FileChange("stats.py", SOURCE, after_b), 10)], language_for_path, scripted_score)
    assert gains == [len("len(numbers)") - len("mean"), 0.0]
    assert len(seen) == 4  # each original window scored once


def _wins(events):
    return [e.message for e in events if isinstance(e, Note) and "most natural" in e.message]


def test_scripted_scorer_makes_the_cheap_tier_explore_and_pick_the_most_natural(tmp_path):
    repo = make_repo(tmp_path / "r", MAD_REPO)

    def scripted_score(text):  # prefers len(numbers), dislikes floor division
        return 5.0 * text.count("len(numbers)") - 5.0 * text.count("//")

    result, events = drive(repo, [CheapTier(generators_for, share=1.0, workers=2, scorer=scripted_score)])
    assert result.status == "fixed" and "return total / len(numbers)" in result.changes.files[0].after
    assert _wins(events), events


def test_without_a_scorer_the_first_plausible_patch_is_kept_and_rivals_are_only_checked(tmp_path):
    # Rivals are still validated (they tell the behaviour comparison whether the tests
    # leave the fix open: patch_choice.py), but nothing ranks them above the first.
    repo = make_repo(tmp_path / "r", MAD_REPO)
    result, events = drive(repo, [CheapTier(generators_for, share=1.0, workers=1)])
    assert result.status == "fixed" and result.stats.plausible >= 1 and not _wins(events)


@pytest.mark.model
def test_the_embedded_model_prefers_the_real_fix_to_an_overfitted_one():
    from codeloop.models.llamacpp import default_model_path
    from codeloop.models.scoring import LlamaCppScorer

    score = LlamaCppScorer(default_model_path(), 1).log_likelihood
    fixed = SOURCE.replace("return total / mean", "return total / len(numbers)")
    overfit = SOURCE.replace("return total / mean", "return total // mean")
    gains = naturalness_gains([(FileChange("stats.py", SOURCE, fixed), 7), (FileChange("stats.py", SOURCE, overfit), 7)], language_for_path, score)
    assert gains[0] > gains[1]
    assert score("def f():\n    return 1\n") == pytest.approx(score("def f():\n    return 1\n"), abs=1e-6)  # KV reuse changes nothing


@pytest.mark.model
def test_cli_applies_the_natural_fix_not_the_overfitted_one(tmp_path):
    repo = make_repo(tmp_path / "r", MAD_REPO)
    proc = run_cli("fix", str(repo), "--tiers", "cheap", "--json", "--test-cmd", PYTEST, "--time-budget", "120")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["status"] == "fixed" and payload["winner"] == "line 7: 'mean' -> 'len(numbers)'", payload
    assert "most natural" in proc.stderr
    assert "return total / len(numbers)" in (repo / "stats.py").read_text()


def test_a_scorer_that_fails_turns_ranking_off_and_keeps_the_fix(tmp_path):
    repo = make_repo(tmp_path / "r", MAD_REPO)

    def broken_score(text):
        raise RuntimeError("model file gone")

    result, events = drive(repo, [CheapTier(generators_for, share=1.0, workers=1, scorer=broken_score)])
    assert result.status == "fixed" and result.stats.plausible >= 1  # rivals are still checked
    assert any(isinstance(e, Note) and "patch ranking off (RuntimeError: model file gone)" in e.message for e in events)


class _SlowClockContext:
    """Just what _Search.explore reads: a clock that a slow scorer moves on."""

    def __init__(self) -> None:
        self.t = 0.0
        self.language_for = language_for_path

    def now(self) -> float:
        return self.t


def test_a_slow_scorer_does_not_shrink_the_search_for_rivals():
    # A code model scores an edit in seconds: here each score moves the clock past the
    # scoring deadline, so only the plausible edit is scored. The rivals nearest to it
    # are queued anyway (validated later), not dropped for want of a score.
    files = {"stats.py": SOURCE}
    baseline = TestReport(False, 1, [TestFailure("test_stats.py::test_mad", "assert False", "")], structured=True)
    ctx = RepairContext(FixOptions(), baseline, [], [], files.__getitem__, language_for_path, lambda c: None, 0.0, files=list(files))  # type: ignore[arg-type,return-value]
    pending = mutants(ctx, generators_for, 60)
    found = next(m for m in pending if m.mutation.line == 7)
    clock = _SlowClockContext()

    def slow_score(text: str) -> float:
        clock.t += 30.0
        return 0.0

    search = _Search([m for m in pending if m is not found])
    queued = search.explore(found, clock, slow_score, until=10.0, near_until=10.0)  # type: ignore[arg-type]
    assert queued == min(_MAX_RIVALS, len(pending) - 1) and queued > 2
    lines = [m.mutation.line for m in search.queue]
    assert lines == sorted(lines, key=lambda line: abs(line - 7))  # nearest first
