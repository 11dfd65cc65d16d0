"""`codeloop review` as a user runs it: real repos, staged vs unstaged, formats, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from tests.conftest import git, make_repo, run_cli, snapshot

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
GOOD = "def area(w, h):\n    return w * h\n"
BAD = "def area(w, h):\n    return w + h\n"
TEST = "from shop import area\n\n\ndef test_area():\n    assert area(2, 3) == 6\n"


def _repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"shop.py": GOOD, "test_shop.py": TEST})


def test_staged_bug_is_blocking_even_when_the_working_tree_is_fixed(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "shop.py").write_text(BAD)
    git(repo, "add", "shop.py")
    (repo / "shop.py").write_text(GOOD + "# unstaged\n")  # not what would be committed
    before = snapshot(repo)
    proc = run_cli("review", "--no-model", "--format", "json", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    (finding,) = data["findings"]
    assert (finding["path"], finding["start_line"], finding["label"], finding["decoration"]) == ("shop.py", 2, "issue", "blocking")
    assert "codeloop fix" in finding["message"] and "test_area" in finding["message"]
    assert snapshot(repo) == before  # index, working tree and untracked files untouched


def test_staged_fix_passes_even_when_the_working_tree_is_broken(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"shop.py": BAD, "test_shop.py": TEST})
    (repo / "shop.py").write_text(GOOD)
    git(repo, "add", "shop.py")
    (repo / "shop.py").write_text(BAD)
    proc = run_cli("review", "--staged", "--no-model", cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 finding(s), 0 blocking, in 1 changed file(s)" in proc.stdout


def test_worktree_reviews_saved_edits_and_new_files_and_leaves_index_alone(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "shop.py").write_text("def area(w, h):\n    result = w * h\n    return reslt\n")  # unstaged
    (repo / "notes.py").write_text("x = undefined_name\n")  # untracked
    before = snapshot(repo)
    proc = run_cli("review", "--worktree", "--no-model", "--no-tests", "--format", "json", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert sorted(data["files"]) == ["notes.py", "shop.py"]
    found = {(f["path"], f["start_line"], f["suggestion"]) for f in data["findings"]}
    assert found == {("notes.py", 1, ""), ("shop.py", 3, "    return result")}
    only = json.loads(run_cli("review", "--worktree", "--no-model", "--no-tests", "--format", "json", "shop.py", cwd=repo).stdout)
    assert only["files"] == ["shop.py"]
    staged = run_cli("review", "--staged", "--no-model", "--no-tests", "--format", "json", cwd=repo)
    assert staged.returncode == 0 and json.loads(staged.stdout)["findings"] == []  # nothing was staged
    assert snapshot(repo) == before


def test_sarif_output_validates_against_the_2_1_0_schema(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "shop.py").write_text(BAD + "\n\ndef total():\n    return aera(1, 2)\n")
    git(repo, "add", "shop.py")
    proc = run_cli("review", "--no-model", "--format", "sarif", "--fail-on", "never", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    log = json.loads(proc.stdout)
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text())).validate(log)
    results = log["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"codeloop/test-failure", "codeloop/undefined-name"}
    fix = next(r for r in results if r["ruleId"] == "codeloop/undefined-name")["fixes"][0]
    assert fix["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"] == "    return area(1, 2)\n"
    assert all(r["level"] == "error" for r in results)


def test_rev_range_and_path_limits(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "shop.py").write_text(BAD)
    (repo / "notes.py").write_text("x = undefined_name\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "bug")
    whole = json.loads(run_cli("review", "--rev", "HEAD~1..HEAD", "--no-model", "--no-tests", "--format", "json", cwd=repo).stdout)
    assert [f["path"] for f in whole["findings"]] == ["notes.py"] and whole["files"] == ["notes.py", "shop.py"]
    only = run_cli("review", "--rev", "HEAD~1..HEAD", "--no-model", "--no-tests", "--format", "json", "shop.py", cwd=repo)
    assert only.returncode == 0 and json.loads(only.stdout)["files"] == ["shop.py"]


def test_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    for args in (["--format", "xml"], ["--staged", "--rev", "HEAD~1..HEAD"], ["--staged", "--worktree"], ["--rev", "nope..HEAD"], ["--fail-on", "sometimes"], ["missing.py"]):
        proc = run_cli("review", "--no-model", *args, cwd=repo)
        assert proc.returncode == 2, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("codeloop: ")
    outside = run_cli("review", "--no-model", cwd=tmp_path)
    assert outside.returncode == 2 and "git" in outside.stderr


def test_nothing_staged_is_a_clean_pass(tmp_path: Path) -> None:
    proc = run_cli("review", "--no-model", cwd=_repo(tmp_path))
    assert proc.returncode == 0 and "Nothing to review" in proc.stdout
