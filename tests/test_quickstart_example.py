"""The README Quickstart: `codeloop fix examples/shop` repairs the planted bug."""

import json
import shutil

from tests.conftest import PROJECT_ROOT, git, run_cli, snapshot


def shop_repo(tmp_path):
    repo = tmp_path / "shop"
    shutil.copytree(PROJECT_ROOT / "examples" / "shop", repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "shop")
    return repo


def test_default_settings_fix_the_example_project(tmp_path):
    repo = shop_repo(tmp_path)
    proc = run_cli("fix", str(repo), "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    payload = json.loads(proc.stdout)
    assert payload["status"] == "fixed" and payload["files"] == ["shop/pricing.py"]
    assert "+    return round(price * (1 - percent / 100), 2)" in payload["diff"]
    assert git(repo, "status", "--porcelain").strip() == "M shop/pricing.py"
    assert run_cli("undo", str(repo)).returncode == 0
    assert git(repo, "status", "--porcelain").strip() == ""


def test_dry_run_prints_the_diff_and_changes_nothing(tmp_path):
    repo = shop_repo(tmp_path)
    before = snapshot(repo)
    proc = run_cli("fix", str(repo), "--dry-run", env={"NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "+++ b/shop/pricing.py" in proc.stdout
    assert "not applied (--dry-run)" in proc.stderr
    assert snapshot(repo) == before
