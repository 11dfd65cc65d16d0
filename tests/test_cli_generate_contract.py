"""The `codeloop generate` CLI contract (bad input -> exit 2, one line, nothing changed)."""

import json

from codeloop.core.changes import ChangeSet, FileChange
from codeloop.workspace import checkpoint

from tests.conftest import make_repo, run_cli, snapshot

FILES = {
    "pyproject.toml": "[project]\nname = 'x'\n",
    "mathx.py": 'def add(a, b):\n    """Sum.\n\n    >>> add(1, 2)\n    3\n    """\n    ...\n\n\ndef bare(x):\n    pass\n',
}


def test_bad_targets_and_options_are_exit_2_with_one_line_and_change_nothing(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    before = snapshot(repo)
    cases = [
        ([str(repo / "mathx.py")], "::function_name"),
        ([f"{repo}/missing.py::add"], "not a Python file"),
        ([f"{repo}/mathx.py::nope"], "no module-level function nope"),
        ([f"{repo}/mathx.py::bare"], "no visible tests for bare"),
        ([f"{repo}/mathx.py::add", "--spec", "x"], "either"),
        (["--spec", "add two numbers"], "--spec needs --out"),
        ([f"{repo}/mathx.py::add", "--plans", "0"], "at least 1"),
        ([f"{repo}/mathx.py::add", "--backend", "openai"], "--base-url"),
        ([f"{repo}/mathx.py::add", "--test", str(repo / "nope.py")], "test file not found"),
        (["--spec", "add", "--out", str(repo / "mathx.py::add")], "already defines add"),
        (["--spec", "add", "--out", str(repo / "new.py")], "function's name"),
    ]
    for args, message in cases:
        proc = run_cli("generate", *args, cwd=repo)
        assert proc.returncode == 2, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1 and message in proc.stderr, (args, proc.stderr)
        assert proc.stdout == ""
    assert snapshot(repo) == before


def test_json_error_is_one_object(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    proc = run_cli("generate", f"{repo}/mathx.py::bare", "--json", cwd=repo)
    assert proc.returncode == 2
    payload = json.loads(proc.stdout)
    assert payload["status"] == "error" and "doctest" in payload["message"]


def test_checkpoint_creates_a_new_file_and_undo_removes_it(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    before = snapshot(repo)
    checkpoint.apply(repo, ChangeSet((FileChange("pkg/new.py", "", "def f():\n    return 1\n"),)), label="generate")
    assert (repo / "pkg" / "new.py").read_text() == "def f():\n    return 1\n"
    assert checkpoint.undo(repo) == ["pkg/new.py"]
    assert not (repo / "pkg" / "new.py").exists()
    after = {k: v for k, v in snapshot(repo).items() if not k.startswith(".codeloop/")}
    assert after == before
