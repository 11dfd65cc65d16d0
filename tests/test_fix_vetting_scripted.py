"""The loop's vetting seam, driven by a scripted tier (it proposes two fixed patches) with
the real behaviour probe, real pytest and a real git repo."""

import sys
from pathlib import Path

from codeloop.plugins import language_for_path
from codeloop.core.changes import ChangeSet, FileChange
from codeloop.core.fix.behaviour import PatchVetting
from codeloop.core.fix.context import Candidate, FixOptions, RepairContext, TierRun
from codeloop.core.fix.loop import repair
from codeloop.runners.pytest_runner import PytestRunner
from codeloop.workspace.behaviour_probe import SandboxProbe
from codeloop.workspace.environment import resolve_environment
from codeloop.workspace.sandbox import SandboxPool
from tests.conftest import drive_events, make_repo
from tests.test_fix_precision_e2e import WEAK


class ScriptedTier:
    """Validates the given replacements of ``balance == 0`` in order; returns the first that passes."""

    name = "cheap"

    def __init__(self, operators: list[str]) -> None:
        self.operators = operators

    def run(self, ctx: RepairContext) -> TierRun:
        before = ctx.read("bank.py")
        winner = None
        for op in self.operators:
            change = ChangeSet((FileChange("bank.py", before, before.replace("balance == 0", f"balance {op} 0")),))
            candidate = Candidate(change, "cheap", f"'==' -> '{op}'", "bank.py")
            if ctx.validate(candidate).passed and winner is None:
                winner = candidate
        return winner
        yield  # a generator, like every tier


def vetted(repo: Path, scorer=None):  # type: ignore[no-untyped-def]
    env = resolve_environment(repo, python=sys.executable)
    with SandboxPool(repo, size=2) as pool:
        vetting = PatchVetting(SandboxProbe(pool, env, pool.scratch), scorer)
        loop = repair(pool, PytestRunner(f"{sys.executable} -m pytest -q"), [ScriptedTier(["<=", "<"])], language_for_path, FixOptions(time_budget=120), vetting=vetting)
        return drive_events(loop, lambda event: None)


def test_scripted_tier_disagreeing_patches_without_a_scorer_are_ambiguous(tmp_path):
    result = vetted(make_repo(tmp_path / "r", WEAK))
    assert result.status == "ambiguous" and "--accept-ambiguous" in result.message
    assessment = result.assessment
    assert assessment is not None and not assessment.confident
    assert [p.origin for p in assessment.plausible] == ["'==' -> '<='", "'==' -> '<'"]
    assert assessment.disagreements and assessment.inputs > 0
    payload = result.to_dict()
    assert payload["status"] == "ambiguous" and payload["confidence"] == assessment.confidence


def test_scripted_tier_the_natural_behaviour_wins_over_the_tiers_pick(tmp_path):
    def scripted_score(text: str) -> float:  # a stand-in for the model: "<" reads naturally
        return 5.0 if "balance < 0" in text else 0.0

    result = vetted(make_repo(tmp_path / "r", WEAK), scripted_score)
    assert result.status == "fixed" and result.winner == "'==' -> '<'"
    assert result.assessment is not None and result.assessment.confident


class ScriptedModelTier:
    """A scripted stand-in for the model tier (loop logic only): validates its
    replacements of ``balance == 0``; returns the first that passes."""

    name = "model"

    def __init__(self, replacements: list[str], second_opinions: bool = False) -> None:
        self.replacements = replacements
        self.second_opinions = second_opinions  # a code model: may confirm a confident fix
        self.asked = False
        self.time_given: float | None = None

    def run(self, ctx: RepairContext) -> TierRun:
        self.asked = True
        self.time_given = ctx.remaining()
        before = ctx.read("bank.py")
        for text in self.replacements:
            change = ChangeSet((FileChange("bank.py", before, before.replace("balance == 0", text)),))
            candidate = Candidate(change, "model", f"model: {text}", "bank.py")
            if ctx.validate(candidate).passed:
                return candidate
        return None
        yield  # a generator, like every tier


def routed(repo: Path, model: ScriptedModelTier, operators: tuple[str, ...] = ("<=", "<"), events: list | None = None):  # type: ignore[no-untyped-def]
    env = resolve_environment(repo, python=sys.executable)
    with SandboxPool(repo, size=2) as pool:
        vetting = PatchVetting(SandboxProbe(pool, env, pool.scratch))
        tiers = [ScriptedTier(list(operators)), model]
        loop = repair(pool, PytestRunner(f"{sys.executable} -m pytest -q"), tiers, language_for_path, FixOptions(time_budget=120), vetting=vetting)
        return drive_events(loop, (events.append if events is not None else lambda event: None))


def test_scripted_an_unsure_cheap_fix_is_held_and_a_model_that_reaches_one_of_its_behaviours_settles_it(tmp_path):
    model = ScriptedModelTier(["0 > balance"])  # another spelling of "balance < 0"
    result = routed(make_repo(tmp_path / "r", WEAK), model)
    assert model.asked
    assert result.status == "fixed", result.message
    assert result.winner == "'==' -> '<'"  # the smallest edit with the corroborated behaviour
    assessment = result.assessment
    assert assessment is not None and assessment.confident
    assert any("model tier, asked on its own, reached only this behaviour" in r for r in assessment.reasons)


def test_scripted_a_model_that_reaches_a_third_behaviour_leaves_the_fix_unapplied(tmp_path):
    model = ScriptedModelTier(["balance < 0 or op == 0"])
    result = routed(make_repo(tmp_path / "r", WEAK), model)
    assert model.asked and result.status == "ambiguous"
    assert result.assessment is not None and len(result.assessment.plausible) == 3


def test_scripted_a_model_with_no_fix_leaves_the_held_cheap_fix_reported_not_applied(tmp_path):
    model = ScriptedModelTier(["balance == 1"])  # fails the tests
    result = routed(make_repo(tmp_path / "r", WEAK), model)
    assert model.asked and result.status == "ambiguous" and result.stage == "cheap"
    assert result.assessment is not None and [p.origin for p in result.assessment.plausible] == ["'==' -> '<='", "'==' -> '<'"]
    # The report says the model was asked and how far it looked.
    assert any("found no other fix in 1 answer" in r for r in result.assessment.reasons), result.assessment.reasons
    assert "found no other fix in 1 answer" in result.message


# A lone one-token fix ("balance < 0": the only edit tried, so no rival) is confident
# (0.8) but not firm: it rests on two asserts. A code model is asked on its own first.

def test_scripted_a_lone_cheap_fix_is_applied_without_asking_a_model_that_gives_no_second_opinions(tmp_path):
    model = ScriptedModelTier(["balance <= 0"], second_opinions=False)  # the embedded 135M
    result = routed(make_repo(tmp_path / "r", WEAK), model, ("<",))
    assert not model.asked
    assert result.status == "fixed" and result.winner == "'==' -> '<'"
    assert result.assessment is not None and result.assessment.confident and not result.assessment.firm


def test_scripted_a_code_model_that_reaches_another_behaviour_keeps_a_lone_cheap_fix_from_being_applied(tmp_path):
    model = ScriptedModelTier(["balance <= 0"], second_opinions=True)
    events: list = []
    result = routed(make_repo(tmp_path / "r", WEAK), model, ("<",), events)
    assert model.asked
    assert result.status == "ambiguous", result.message
    assessment = result.assessment
    assert assessment is not None and len(assessment.plausible) == 2 and assessment.disagreements
    assert any("rests on the tests alone" in str(getattr(e, "message", "")) for e in events)


def test_scripted_a_code_model_that_reaches_the_same_behaviour_makes_a_lone_cheap_fix_firm(tmp_path):
    model = ScriptedModelTier(["0 > balance"], second_opinions=True)
    result = routed(make_repo(tmp_path / "r", WEAK), model, ("<",))
    assert model.asked and result.status == "fixed", result.message
    assert result.winner == "'==' -> '<'"  # the one-token edit, not the model's respelling
    assert result.assessment is not None and result.assessment.firm


def test_scripted_a_code_model_that_finds_nothing_within_its_time_leaves_the_lone_fix_applied(tmp_path):
    model = ScriptedModelTier(["balance == 1"], second_opinions=True)  # fails the tests
    result = routed(make_repo(tmp_path / "r", WEAK), model, ("<",))
    assert model.asked and result.status == "fixed" and result.stage == "cheap"
    assessment = result.assessment
    assert assessment is not None and assessment.confident
    assert any("asked on its own for" in r and "found no other fix in 1 answer" in r for r in assessment.reasons), assessment.reasons
    # Confirming costs about what finding did: at least 30 s, not the other ~100 s of the budget.
    assert model.time_given is not None and model.time_given <= max(30.0, result.seconds) + 1.0


def test_scripted_a_code_model_that_gives_no_answer_in_time_is_not_reported_as_a_search(tmp_path):
    model = ScriptedModelTier([], second_opinions=True)  # its time ran out before any answer
    result = routed(make_repo(tmp_path / "r", WEAK), model, ("<",))
    assert model.asked and result.status == "fixed" and result.stage == "cheap"
    assert result.assessment is not None
    assert any("asked on its own, gave no answer within" in r for r in result.assessment.reasons), result.assessment.reasons


def test_confirm_seconds_are_as_long_again_as_the_run_so_far_within_the_budget():
    from codeloop.core.fix.loop import _confirm_seconds

    assert _confirm_seconds(5.0, 500.0) == 30.0  # at least one small-model answer
    assert _confirm_seconds(80.0, 500.0) == 80.0
    assert _confirm_seconds(80.0, 20.0) == 20.0  # never past the budget
    assert _confirm_seconds(80.0, -1.0) == 0.0
