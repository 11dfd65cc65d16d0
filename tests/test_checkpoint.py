import pytest

from codeloop.core.changes import ChangeSet, FileChange
from codeloop.errors import RefusedError, UsageError
from codeloop.workspace import checkpoint

from tests.conftest import git, make_repo


def test_apply_then_undo_restores_bytes_and_mode(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.py": "x = 1\n", "b.py": "y = 2\n"})
    (repo / "a.py").chmod(0o755)
    status_before = git(repo, "status", "--porcelain")
    changes = ChangeSet((FileChange("a.py", "x = 1\n", "x = 2\n"),))
    checkpoint.apply(repo, changes)
    assert (repo / "a.py").read_text() == "x = 2\n"
    assert (repo / "a.py").stat().st_mode & 0o777 == 0o755
    # codeloop's state never shows up as untracked work.
    assert git(repo, "status", "--porcelain") == " M a.py\n"
    assert checkpoint.undo(repo) == ["a.py"]
    assert (repo / "a.py").read_text() == "x = 1\n"
    assert git(repo, "status", "--porcelain") == status_before


def test_apply_refuses_when_file_changed_meanwhile(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.py": "x = 1\n"})
    (repo / "a.py").write_text("x = 5\n")
    with pytest.raises(RefusedError):
        checkpoint.apply(repo, ChangeSet((FileChange("a.py", "x = 1\n", "x = 2\n"),)))
    assert (repo / "a.py").read_text() == "x = 5\n"
    assert not (repo / ".codeloop").exists() or not any((repo / ".codeloop").rglob("manifest.json"))


def test_undo_refuses_to_lose_later_edits(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.py": "x = 1\n"})
    checkpoint.apply(repo, ChangeSet((FileChange("a.py", "x = 1\n", "x = 2\n"),)))
    (repo / "a.py").write_text("x = 3\n")
    with pytest.raises(RefusedError):
        checkpoint.undo(repo)
    assert (repo / "a.py").read_text() == "x = 3\n"


def test_undo_without_checkpoint_is_a_usage_error(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.py": "x = 1\n"})
    with pytest.raises(UsageError):
        checkpoint.undo(repo)


def test_interrupted_apply_rolls_back(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "r", {"a.py": "a\n", "b.py": "b\n"})
    real = checkpoint._write_atomic
    calls = []

    def flaky(target, data):
        calls.append(target.name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(target, data)

    monkeypatch.setattr(checkpoint, "_write_atomic", flaky)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.apply(repo, ChangeSet((FileChange("a.py", "a\n", "A\n"), FileChange("b.py", "b\n", "B\n"))))
    monkeypatch.setattr(checkpoint, "_write_atomic", real)
    assert (repo / "a.py").read_text() == "a\n" and (repo / "b.py").read_text() == "b\n"


def test_apply_refuses_a_symlinked_target_and_the_outside_file_is_untouched(tmp_path):
    import os

    outside = tmp_path / "outside.py"
    outside.write_text("x = 1\n")
    repo = make_repo(tmp_path / "r", {"a.py": "a\n"})
    os.symlink(outside, repo / "linked.py")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "m.py").write_text("m\n")
    os.symlink(tmp_path / "elsewhere", repo / "pkg")
    for path, before in (("linked.py", "x = 1\n"), ("pkg/m.py", "m\n")):
        with pytest.raises(RefusedError, match="symbolic link"):
            checkpoint.apply(repo, ChangeSet((FileChange("a.py", "a\n", "A\n"), FileChange(path, before, "changed\n"))))
    assert outside.read_text() == "x = 1\n" and (tmp_path / "elsewhere" / "m.py").read_text() == "m\n"
    assert (repo / "linked.py").is_symlink() and (repo / "a.py").read_text() == "a\n"


def test_undo_leaves_symlinks_in_the_tree_as_symlinks(tmp_path):
    import os

    repo = make_repo(tmp_path / "r", {"real.py": "x = 1\n"})
    os.symlink("real.py", repo / "alias.py")
    checkpoint.apply(repo, ChangeSet((FileChange("real.py", "x = 1\n", "x = 2\n"),)))
    assert (repo / "alias.py").is_symlink() and (repo / "alias.py").read_text() == "x = 2\n"
    checkpoint.undo(repo)
    assert os.readlink(repo / "alias.py") == "real.py" and (repo / "real.py").read_text() == "x = 1\n"


KILL_MIDWAY = """
import os, signal, sys
from pathlib import Path
from codeloop.core.changes import ChangeSet, FileChange
from codeloop.workspace import checkpoint
real = checkpoint._write_atomic
calls = []
def dying(target, data):
    calls.append(target)
    if target.name == "b.py":  # SIGKILL in the middle of writing b.py: a temp file is left beside it
        Path(target.parent, ".b.py.codeloop-half").write_bytes(data[:1])
        os.kill(os.getpid(), signal.SIGKILL)
    real(target, data)
checkpoint._write_atomic = dying
checkpoint.apply(Path(sys.argv[1]), ChangeSet((FileChange("a.py", "a\\n", "A\\n"), FileChange("b.py", "b\\n", "B\\n"), FileChange("c.py", "", "new\\n"))))
"""


def test_an_apply_killed_midway_is_rolled_back_by_the_next_run(tmp_path):
    import signal
    import subprocess
    import sys

    from tests.conftest import PROJECT_ROOT

    repo = make_repo(tmp_path / "r", {"a.py": "a\n", "b.py": "b\n"})
    proc = subprocess.run([sys.executable, "-c", KILL_MIDWAY, str(repo)], env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == -signal.SIGKILL
    assert (repo / "a.py").read_text() == "A\n"  # half applied: the state a SIGKILL leaves
    assert checkpoint.recover(repo) == ["a.py"]
    assert (repo / "a.py").read_text() == "a\n" and (repo / "b.py").read_text() == "b\n"
    assert not (repo / "c.py").exists() and not list(repo.glob(".*.codeloop-*"))
    assert checkpoint.latest(repo) is None
    with pytest.raises(UsageError):
        checkpoint.undo(repo)


def test_an_undo_cut_short_can_be_run_again(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.py": "a\n", "b.py": "b\n"})
    checkpoint.apply(repo, ChangeSet((FileChange("a.py", "a\n", "A\n"), FileChange("b.py", "b\n", "B\n"))))
    (repo / "a.py").write_text("a\n")  # what an undo killed after its first file leaves
    assert checkpoint.undo(repo) == ["a.py", "b.py"]
    assert (repo / "a.py").read_text() == "a\n" and (repo / "b.py").read_text() == "b\n"


def test_a_signal_during_apply_waits_until_every_file_is_written(tmp_path, monkeypatch):
    import os
    import signal

    from codeloop.cli import signals

    repo = make_repo(tmp_path / "r", {"a.py": "a\n", "b.py": "b\n"})
    real = checkpoint._write_atomic

    def interrupted(target, data):
        os.kill(os.getpid(), signal.SIGTERM)  # e.g. the editor cancels right now
        real(target, data)

    monkeypatch.setattr(checkpoint, "_write_atomic", interrupted)
    old = {s: signal.getsignal(s) for s in signals.HANDLED}
    signals.install()
    try:
        with pytest.raises(signals.Interrupted) as stop:
            checkpoint.apply(repo, ChangeSet((FileChange("a.py", "a\n", "A\n"), FileChange("b.py", "b\n", "B\n"))))
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    assert (repo / "a.py").read_text() == "A\n" and (repo / "b.py").read_text() == "B\n"
    assert stop.value.exit_code == 143 and "after the verified change was applied" in stop.value.message()
    checkpoint.APPLIED.clear()
