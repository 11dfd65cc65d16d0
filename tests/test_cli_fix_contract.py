"""The `codeloop fix` CLI contract, run as a real subprocess on real git repos."""

import json
import os

import pytest

from tests.conftest import NO_MOUNT_NAMESPACE, make_repo, mount_namespace_permitted, run_cli, snapshot

BUGGY = {
    "calc.py": "def add(a, b):\n    return a - b\n",
    "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
}


def test_not_a_git_repo_is_exit_2_with_one_line(tmp_path):
    (tmp_path / "x").mkdir()
    proc = run_cli("fix", str(tmp_path / "x"))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "git" in proc.stderr
    assert proc.stdout == ""


def test_bad_options_are_exit_2_and_change_nothing(tmp_path):
    repo = make_repo(tmp_path / "r", BUGGY)
    before = snapshot(repo)
    for args in (["--samples", "0"], ["--model", str(tmp_path / "missing.gguf")], ["--backend", "nope"], ["--backend", "openai"], ["--test-cmd", " "]):
        proc = run_cli("fix", str(repo), *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1
    assert snapshot(repo) == before


def test_json_error_is_one_object(tmp_path):
    proc = run_cli("fix", str(tmp_path), "--json")
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["status"] == "error"


def test_passing_suite_exits_0_with_status_passing(tmp_path):
    repo = make_repo(tmp_path / "r", {"test_ok.py": "def test_ok():\n    assert 1\n"})
    proc = run_cli("fix", str(repo), "--json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["status"] == "passing"


def test_unfixable_exits_1_and_tree_is_byte_identical(tmp_path):
    # A model cannot fix a test that fails on its own; with uncommitted, untracked and
    # ignored files around, every byte must stay as it was.
    files = {
        "calc.py": "def add(a, b):\n    return a + b\n",
        "test_calc.py": "def test_impossible():\n    assert 1 == 2\n",
        ".gitignore": "build/\n",
    }
    repo = make_repo(tmp_path / "r", files)
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b  # edited\n")
    (repo / "notes.txt").write_text("untracked\n")
    (repo / "build").mkdir()
    (repo / "build" / "junk.bin").write_bytes(b"\x00\x01")
    (repo / "staged.py").write_text("z = 1\n")
    from tests.conftest import git

    git(repo, "add", "staged.py")
    before = snapshot(repo)
    proc = run_cli("fix", str(repo), "--json", "--time-budget", "60", "--samples", "1", "--max-rounds", "1")
    assert proc.returncode == 1, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["status"] == "unfixed"
    for key in ("diff", "files", "rounds", "candidates", "llm_calls", "prompt_tokens", "completion_tokens", "seconds", "stage"):
        assert key in payload
    assert snapshot(repo) == before


def test_test_cmd_from_pyproject(tmp_path):
    repo = make_repo(tmp_path / "r", {
        "pyproject.toml": "[tool.codeloop]\ntest-cmd = \"python -c 'import sys; sys.exit(0)'\"\n",
        "test_x.py": "def test_x():\n    assert 0\n",
    })
    proc = run_cli("fix", str(repo), "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["status"] == "passing"


def test_help_is_fast_and_lazy(tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import PROJECT_ROOT

    code = "import sys, codeloop.cli.app as a; print(sorted(m for m in ('llama_cpp', 'tree_sitter', 'git', 'httpx') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert out.stdout.strip() == "[]", out.stderr


def test_ctrl_c_mid_run_leaves_the_tree_and_no_sandboxes(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import PROJECT_ROOT

    files = {
        "calc.py": "def add(a, b):\n    return a - b\n",
        "test_calc.py": "import time\nfrom calc import add\n\n\ndef test_add():\n    time.sleep(1)\n    assert add(2, 3) == 5\n",
    }
    repo = make_repo(tmp_path / "r", files)
    (repo / "calc.py").write_text(files["calc.py"] + "# uncommitted\n")
    before = snapshot(repo)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TMPDIR": str(tmpdir)}
    proc = subprocess.Popen([sys.executable, "-m", "codeloop", "fix", str(repo), "--no-model"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)  # inside the baseline or the first candidates
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err.strip().splitlines()[-1]
    assert snapshot(repo) == before
    assert not [p for p in tmpdir.iterdir() if p.name.startswith("codeloop-")]  # sandboxes removed


def test_ctrl_c_while_candidates_run_kills_their_test_commands(tmp_path):
    # Candidates' test runs live in their own process groups (out of the terminal's
    # reach): Ctrl-C must end them, not wait for them (each takes 6 s here).
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import PROJECT_ROOT

    files = {
        "calc.py": "def add(a, b):\n    return a - b\n",
        "test_calc.py": "import time\nfrom calc import add\n\n\ndef test_add():\n    time.sleep(6)\n    assert add(2, 3) == 5\n",
    }
    repo = make_repo(tmp_path / "r", files)
    before = snapshot(repo)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "codeloop", "fix", str(repo), "--no-model", "--workers", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:  # the baseline (6 s) is done once localization starts
        if "[localize]" in line or "[cheap]" in line:
            break
    time.sleep(1.5)  # candidates are running now
    proc.send_signal(signal.SIGINT)
    interrupted = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert time.monotonic() - interrupted < 3, err
    assert snapshot(repo) == before


def test_commit_commits_exactly_the_fix_with_a_conventional_message(tmp_path):
    from tests.conftest import git

    repo = make_repo(tmp_path / "r", {**BUGGY, "notes.py": "x = 1\n"})
    (repo / "notes.py").write_text("x = 2  # unstaged work of the user's\n")
    proc = run_cli("fix", str(repo), "--no-model", "--json", "--commit")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["status"] == "fixed" and payload["commit"]
    assert git(repo, "rev-parse", "HEAD").strip() == payload["commit"]
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["calc.py"]
    subject = git(repo, "log", "-1", "--format=%s")
    assert subject.startswith("fix")
    assert git(repo, "status", "--porcelain").strip() == "M notes.py"  # the user's edit: untouched, unstaged


def test_commit_is_refused_up_front_when_something_is_staged(tmp_path):
    from tests.conftest import git

    repo = make_repo(tmp_path / "r", {**BUGGY, "notes.py": "x = 1\n"})
    (repo / "notes.py").write_text("x = 2\n")
    git(repo, "add", "notes.py")
    before = snapshot(repo)
    proc = run_cli("fix", str(repo), "--no-model", "--commit")
    assert proc.returncode == 2 and "notes.py" in proc.stderr and "--commit" in proc.stderr
    assert snapshot(repo) == before


def test_commit_refuses_a_fix_in_a_file_with_uncommitted_edits(tmp_path):
    repo = make_repo(tmp_path / "r", BUGGY)
    (repo / "calc.py").write_text("def add(a, b):\n    # the user's comment, not committed\n    return a - b\n")
    before = snapshot(repo)
    proc = run_cli("fix", str(repo), "--no-model", "--json", "--commit")
    assert proc.returncode == 1, proc.stderr
    payload = json.loads(proc.stdout)
    assert not payload["applied"] and "uncommitted edits" in payload["message"]
    assert snapshot(repo) == before


def test_tests_that_write_to_a_fixed_path_outside_are_told_how_to_go_on(tmp_path):
    # Test runs may not write outside their copy (containment); a suite that writes to a
    # fixed /tmp path fails there for that reason alone: a set-up error, not a bug to fix.
    if not mount_namespace_permitted():
        pytest.skip(NO_MOUNT_NAMESPACE)
    fixed = f"/tmp/codeloop-fixed-path-{os.getpid()}.txt"
    files = dict(BUGGY)
    files["test_calc.py"] = f"from calc import add\n\n\ndef test_add():\n    open({fixed!r}, 'w').write('x')\n    assert add(2, 3) == 5\n"
    repo = make_repo(tmp_path / "r", files)
    before = snapshot(repo)
    proc = run_cli("fix", str(repo), "--no-model", "--time-budget", "60")
    assert proc.returncode == 2, proc.stderr
    assert f"{fixed} is read-only for test runs under codeloop" in proc.stderr and "CODELOOP_TEST_FILESYSTEM=1" in proc.stderr
    assert snapshot(repo) == before
    opted_out = run_cli("fix", str(repo), "--no-model", "--time-budget", "60", "--json", env={"CODELOOP_TEST_FILESYSTEM": "1"})
    try:
        assert json.loads(opted_out.stdout)["status"] == "fixed", opted_out.stderr
    finally:
        if os.path.exists(fixed):
            os.unlink(fixed)
