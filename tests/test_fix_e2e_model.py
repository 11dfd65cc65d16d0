"""End to end with the real embedded model (SmolLM2-135M GGUF through llama.cpp)."""

import json
import subprocess
import sys

import pytest

from tests.conftest import git, make_repo, run_cli, snapshot

pytestmark = pytest.mark.model

ADD_BUG = {
    "calc.py": 'def add(a, b):\n    """Return the sum of a and b."""\n    return a - b\n',
    "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
}


def test_embedded_model_fixes_a_bug_with_the_model_tier_alone(tmp_path):
    repo = make_repo(tmp_path / "calc", ADD_BUG)
    proc = run_cli("fix", str(repo), "--tiers", "model", "--json", "--time-budget", "400", timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    payload = json.loads(proc.stdout)
    assert payload["status"] == "fixed" and payload["stage"] == "model"
    assert payload["files"] == ["calc.py"] and payload["applied"] is True
    assert payload["llm_calls"] >= 1 and payload["completion_tokens"] > 0
    # The shared prompt is evaluated once for all samples (KV cache reuse): visible from
    # the second call on (a first answer that fixes it leaves nothing to reuse).
    assert payload["llm_calls"] == 1 or payload["prompt_tokens_evaluated"] < payload["prompt_tokens"], payload
    assert git(repo, "status", "--porcelain").strip() == "M calc.py"
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=repo, capture_output=True, text=True)
    assert tests.returncode == 0, tests.stdout[-2000:]
    undo = run_cli("undo", str(repo))
    assert undo.returncode == 0, undo.stderr
    assert git(repo, "status", "--porcelain").strip() == ""


def test_unfixable_with_the_model_leaves_every_byte(tmp_path):
    # The test contradicts itself: no candidate can pass; the tree must stay byte-identical.
    repo = make_repo(tmp_path / "r", {**ADD_BUG, "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5 and add(2, 3) == 6\n"})
    (repo / "calc.py").write_text(ADD_BUG["calc.py"] + "\n# an uncommitted edit\n")
    (repo / "scratch.txt").write_text("untracked\n")
    before = snapshot(repo)
    proc = run_cli("fix", str(repo), "--json", "--samples", "2", "--max-rounds", "1", "--time-budget", "120", timeout=600)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["status"] == "unfixed"
    assert snapshot(repo) == before
