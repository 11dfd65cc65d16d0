"""Precision end to end: two one-token edits pass a weak test; codeloop must not apply a
guess. Real pytest, real git repo, the real CLI as a subprocess (no model)."""

import json

from tests.conftest import make_repo, run_cli, snapshot

# The bug: ``== 0`` where ``< 0`` is meant. Both ``< 0`` and ``<= 0`` pass this test;
# they differ on ``below_zero([0, 2])`` (``<=`` says True).
WEAK = {
    "bank.py": (
        "def below_zero(operations):\n"
        "    balance = 0\n"
        "    for op in operations:\n"
        "        balance += op\n"
        "        if balance == 0:\n"
        "            return True\n"
        "    return False\n"
    ),
    "test_bank.py": (
        "from bank import below_zero\n\n\n"
        "def check(candidate):\n"
        "    assert candidate([1, 2, 3]) is False\n"
        "    assert candidate([1, 2, -4, 5]) is True\n\n\n"
        "def test_below_zero():\n"
        "    check(below_zero)\n"
    ),
}


def test_weak_test_with_disagreeing_one_token_fixes_abstains_then_applies_on_request(tmp_path):
    repo = make_repo(tmp_path / "r", WEAK)
    before = snapshot(repo)
    proc = run_cli("fix", str(repo), "--no-model", "--time-budget", "120")
    assert proc.returncode == 1, proc.stderr
    assert snapshot(repo) == before  # nothing changed
    # Every candidate diff, and the inputs where they disagree, with the original's answer.
    assert "candidate 0 (best" in proc.stdout and "candidate 1 (rival" in proc.stdout
    assert "balance < 0" in proc.stdout and "balance <= 0" in proc.stdout
    assert "below_zero(" in proc.stdout and "original True" in proc.stdout
    assert "Not applied:" in proc.stderr and "--accept-ambiguous" in proc.stderr and "Confidence" not in proc.stderr

    forced = run_cli("fix", str(repo), "--no-model", "--json", "--time-budget", "120", "--accept-ambiguous")
    assert forced.returncode == 0, forced.stderr
    payload = json.loads(forced.stdout)
    assert payload["status"] == "fixed" and payload["applied"] is True
    assert payload["confidence"] < 0.5
    assert any("different ways" in r for r in payload["confidence_reasons"])
    diffs = [payload["diff"]] + [r["diff"] for r in payload["rivals"]]
    assert any("balance < 0" in d for d in diffs) and any("balance <= 0" in d for d in diffs)
    assert payload["rivals"][0]["same_behaviour"] is False
    assert payload["probe_inputs"] > 0
    shown = {d["input"]: {o["output"] for o in d["outputs"]} for d in payload["disagreements"]}
    assert shown and all(outputs == {"True", "False"} for outputs in shown.values())
    assert (repo / "bank.py").read_text() != WEAK["bank.py"]
