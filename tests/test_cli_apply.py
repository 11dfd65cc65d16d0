"""`codeloop apply`: a patch previewed with --dry-run --json is written later exactly, through
the undo checkpoint, and refused when a file changed since the preview."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_ROOT, git, make_repo, run_cli, snapshot
from tests.fakes import scripted_openai_server

BUGGY = {
    "calc.py": "def add(a, b):\n    return a - b\n",
    "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
}


def _preview(tmp_path: Path) -> tuple[Path, Path, dict]:
    repo = make_repo(tmp_path / "r", BUGGY)
    proc = run_cli("fix", str(repo), "--no-model", "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = tmp_path / "result.json"
    result.write_text(proc.stdout)
    return repo, result, json.loads(proc.stdout)


def test_a_previewed_fix_is_applied_exactly_and_undo_restores_it(tmp_path: Path) -> None:
    repo, result, payload = _preview(tmp_path)
    assert (repo / "calc.py").read_text() == BUGGY["calc.py"]  # the preview wrote nothing
    proc = run_cli("apply", str(result), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"status": "applied", "root": str(repo.resolve()), "files": ["calc.py"]}
    assert (repo / "calc.py").read_text() == payload["patch"]["files"][0]["after"] == "def add(a, b):\n    return a + b\n"
    assert git(repo, "diff").count("+    return a + b") == 1
    undone = run_cli("undo", str(repo), "--json")
    assert undone.returncode == 0 and json.loads(undone.stdout)["files"] == ["calc.py"]
    assert git(repo, "status", "--porcelain") == ""


def test_apply_reads_stdin_and_a_saved_event_stream(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", BUGGY)
    proc = run_cli("fix", str(repo), "--no-model", "--dry-run", "--events", "jsonl")
    assert proc.returncode == 0, proc.stderr[-3000:]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-m", "codeloop", "apply", "-"], input=proc.stderr, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "applied to calc.py" in done.stderr and "return a + b" in (repo / "calc.py").read_text()


def test_apply_is_refused_after_an_edit_and_changes_nothing(tmp_path: Path) -> None:
    repo, result, _ = _preview(tmp_path)
    (repo / "calc.py").write_text(BUGGY["calc.py"] + "# the user kept working\n")
    before = snapshot(repo)
    proc = run_cli("apply", str(result))
    assert proc.returncode == 1
    assert proc.stderr == "codeloop: calc.py changed since the preview; nothing was applied (run the command again for a new patch)\n"
    assert snapshot(repo) == before and not (repo / ".codeloop" / "undo").exists()
    # A second apply of the same preview after a successful one is refused the same way.
    (repo / "calc.py").write_text(BUGGY["calc.py"])
    assert run_cli("apply", str(result)).returncode == 0
    again = run_cli("apply", str(result), "--json")
    assert again.returncode == 1 and json.loads(again.stdout)["status"] == "error"


def test_bad_input_is_exit_2_one_line_nothing_changed(tmp_path: Path) -> None:
    repo, result, payload = _preview(tmp_path)
    before = snapshot(repo)
    bad = tmp_path / "bad.json"
    cases = {
        "missing.json": "cannot read",
        "not json": "is not JSON",
        json.dumps({"status": "unfixed", "diff": ""}): "carries no patch",
        json.dumps({**payload, "patch": {**payload["patch"], "v": 9}}): "patch version 9",
        json.dumps({**payload, "patch": {**payload["patch"], "files": [{"path": "../x.py", "before_sha256": None, "after": ""}]}}): "only relative paths",
        json.dumps({**payload, "patch": {**payload["patch"], "files": [{"path": ".git/config", "before_sha256": None, "after": ""}]}}): "only relative paths",
        json.dumps({**payload, "patch": {**payload["patch"], "root": str(tmp_path / "gone")}}): "does not exist",
    }
    for text, message in cases.items():
        if text == "missing.json":
            target = str(tmp_path / "missing.json")
        else:
            bad.write_text(text)
            target = str(bad)
        proc = run_cli("apply", target)
        assert proc.returncode == 2, (text, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1 and message in proc.stderr, (text, proc.stderr)
    assert snapshot(repo) == before


def test_scripted_generate_preview_creates_the_new_file_on_apply_and_undo_removes_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"test_slug.py": "from slug import slugify\n\n\ndef test_slug():\n    assert slugify('A b') == 'a-b'\n"})
    answer = "```python\ndef slugify(text: str) -> str:\n    return text.lower().replace(' ', '-')\n```"
    with scripted_openai_server(lambda prompt: answer) as url:
        proc = run_cli("generate", "--spec", "Lowercase and join words with dashes.", "--out", str(repo / "slug.py::slugify"),
                       "--signature", "def slugify(text: str) -> str", "--test", str(repo / "test_slug.py"),
                       "--backend", "openai", "--base-url", url, "--candidates", "1", "--dry-run", "--json", cwd=repo)
    assert proc.returncode == 0, proc.stderr[-3000:]
    patch = json.loads(proc.stdout)["patch"]
    assert patch["files"][0]["path"] == "slug.py" and patch["files"][0]["before_sha256"] is None and not (repo / "slug.py").exists()
    result = tmp_path / "gen.json"
    result.write_text(proc.stdout)
    assert run_cli("apply", str(result)).returncode == 0
    assert "return text.lower()" in (repo / "slug.py").read_text()
    assert run_cli("undo", str(repo)).returncode == 0 and not (repo / "slug.py").exists()
