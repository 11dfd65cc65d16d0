"""End to end with the real embedded model (SmolLM2-135M GGUF through llama.cpp)."""

import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT, git, run_cli, snapshot

pytestmark = pytest.mark.model


def test_embedded_model_fixes_the_example_project(tmp_path):
    repo = tmp_path / "shop"
    shutil.copytree(PROJECT_ROOT / "examples" / "shop", repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "shop")
    proc = run_cli("fix", str(repo), "--json", timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    payload = json.loads(proc.stdout)
    assert payload["status"] == "fixed" and payload["stage"] == "model"
    assert payload["files"] == ["shop/pricing.py"]
    assert payload["llm_calls"] >= 1 and payload["completion_tokens"] > 0
    # The fix is in the working tree and the project's own tests pass there.
    assert git(repo, "status", "--porcelain").strip() == "M shop/pricing.py"
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=repo, capture_output=True, text=True)
    assert tests.returncode == 0, tests.stdout[-2000:]
    # And `codeloop undo` puts the bug back, byte for byte.
    undo = run_cli("undo", str(repo))
    assert undo.returncode == 0, undo.stderr
    assert git(repo, "status", "--porcelain").strip() == ""


def test_dry_run_prints_the_diff_and_changes_nothing(tmp_path):
    repo = tmp_path / "shop"
    shutil.copytree(PROJECT_ROOT / "examples" / "shop", repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "shop")
    before = snapshot(repo)
    proc = run_cli("fix", str(repo), "--dry-run", env={"NO_COLOR": "1"}, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "+++ b/shop/pricing.py" in proc.stdout
    assert "not applied (--dry-run)" in proc.stderr
    assert snapshot(repo) == before
