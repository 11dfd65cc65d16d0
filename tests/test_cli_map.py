"""The `codeloop map` CLI contract, run as a real subprocess on real git repos."""

import json

from tests.conftest import make_repo, run_cli, snapshot

FILES = {
    "shop/pricing.py": "def add_tax(price, rate=0.2):\n    return price * (1 + rate)\n",
    "shop/cart.py": "from shop.pricing import add_tax\n\n\nclass Cart:\n    def total(self):\n        return add_tax(1)\n",
    "web/app.js": "function render(cart) {\n  return cart;\n}\n",
}


def _user_files(repo):
    return {k: v for k, v in snapshot(repo).items() if not k.startswith(".codeloop/")}


def test_not_a_git_repo_is_exit_2_with_one_line(tmp_path):
    (tmp_path / "x").mkdir()
    proc = run_cli("map", str(tmp_path / "x"))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "git" in proc.stderr
    assert proc.stdout == ""
    proc = run_cli("map", str(tmp_path / "x"), "--json")
    assert proc.returncode == 2 and json.loads(proc.stdout)["status"] == "error"


def test_bad_tokens_and_unknown_focus_are_exit_2_and_change_nothing(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    before = snapshot(repo)
    proc = run_cli("map", str(repo), "--tokens", "0")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert snapshot(repo) == before
    proc = run_cli("map", str(repo), "--focus", "no_such_thing")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "--focus" in proc.stderr
    assert _user_files(repo) == before


def test_text_map_lists_signatures(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    proc = run_cli("map", str(repo), "--focus", "shop/cart.py")
    assert proc.returncode == 0, proc.stderr
    assert "shop/pricing.py:" in proc.stdout and "def add_tax(price, rate=0.2):" in proc.stdout
    assert "return price" not in proc.stdout
    assert "indexed 3 files" in proc.stderr


def test_json_is_one_object_and_path_limits_the_listing(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    proc = run_cli("map", str(repo / "shop"), "--json", "--tokens", "200", "--focus", "add_tax")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["status"] == "ok" and data["tokens"] <= 200 and data["focus"]["symbols"] == ["add_tax"]
    paths = [f["path"] for f in data["files"]]
    assert paths[0] == "shop/pricing.py" and "web/app.js" not in paths
    assert data["files"][0]["definitions"][0]["signature"] == "def add_tax(price, rate=0.2):"
