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
