"""Folders for the bad-input matrix: real git repos in every awkward state a user's can be in.

Each builder makes its folder under ``base`` and returns it; nothing here runs codeloop.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_ENV = {"GIT_AUTHOR_NAME": "bad", "GIT_AUTHOR_EMAIL": "bad@x", "GIT_COMMITTER_NAME": "bad", "GIT_COMMITTER_EMAIL": "bad@x"}

CALC_OK = "def add(a, b):\n    return a + b\n\n\ndef total(values):\n    result = 0\n    for v in values:\n        result = add(result, v)\n    return result\n"
CALC_BUGGY = CALC_OK.replace("return a + b", "return a - b")
TESTS = "from calc import add, total\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\ndef test_total():\n    assert total([1, 2, 3]) == 6\n"
PYPROJECT = "[tool.codeloop]\ntest-cmd = 'python -m pytest -q -p no:cacheprovider'\n"
STUB = 'def double(x):\n    """Twice x.\n\n    >>> double(2)\n    4\n    """\n'


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env={**os.environ, **GIT_ENV})
    if done.returncode != 0 and args[0] not in ("merge", "rebase"):  # those two are meant to stop halfway
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr}")
    return done.stdout


def write(repo: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)


def project(base: Path, extra: dict[str, str | bytes] | None = None, buggy: bool = True, name: str = "repo") -> Path:
    """A committed project whose tests fail on an unstaged edit, plus staged, untracked
    and ignored files (what a user's tree holds mid-work)."""
    repo = base / name
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    write(repo, {"calc.py": CALC_OK, "test_calc.py": TESTS, "pyproject.toml": PYPROJECT, "gen.py": STUB, ".gitignore": "*.log\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "initial")
    write(repo, {"notes.md": "staged\n"})
    git(repo, "add", "notes.md")
    write(repo, {"scratch.txt": "untracked\n", "debug.log": "ignored\n"})
    if buggy:
        write(repo, {"calc.py": CALC_BUGGY})
    write(repo, extra or {})
    return repo


def plain_folder(base: Path) -> Path:
    """The same files, no git at all."""
    folder = base / "plain"
    folder.mkdir(parents=True)
    write(folder, {"calc.py": CALC_BUGGY, "test_calc.py": TESTS, "pyproject.toml": PYPROJECT, "gen.py": STUB})
    return folder


def bare(base: Path) -> Path:
    repo = project(base, name="src")
    target = base / "bare.git"
    git(base, "clone", "-q", "--bare", str(repo), str(target))
    return target


def detached(base: Path) -> Path:
    repo = project(base)
    git(repo, "checkout", "-q", "--detach", "HEAD")
    return repo


def empty(base: Path) -> Path:
    """git init, files on disk, nothing committed (one staged)."""
    repo = base / "repo"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    write(repo, {"calc.py": CALC_BUGGY, "test_calc.py": TESTS, "pyproject.toml": PYPROJECT, "gen.py": STUB})
    git(repo, "add", "calc.py")
    return repo


def _stopped_on_a_conflict(base: Path, operation: str) -> Path:
    """``git merge``/``git rebase`` of a branch that edits calc.py's line differently,
    stopped on the conflict (markers in the file)."""
    repo = project(base, buggy=False)
    git(repo, "stash", "-q", "--include-untracked")
    git(repo, "checkout", "-q", "-b", "other")
    write(repo, {"calc.py": CALC_OK.replace("a + b", "b + a")})
    git(repo, "commit", "-qam", "other")
    git(repo, "checkout", "-q", "main")
    write(repo, {"calc.py": CALC_OK.replace("a + b", "(a + b)")})
    git(repo, "commit", "-qam", "main")
    git(repo, operation, "-q", "other")
    return repo


def merging(base: Path) -> Path:
    """A merge stopped on a conflict in calc.py (conflict markers in the file)."""
    return _stopped_on_a_conflict(base, "merge")


def rebasing(base: Path) -> Path:
    """A rebase stopped on a conflict."""
    return _stopped_on_a_conflict(base, "rebase")


def corrupt_gguf(base: Path) -> Path:
    path = base / "bad.gguf"
    path.write_bytes(b"GGUF" + os.urandom(4096))
    return path


def huge_gguf(base: Path, size: int = 1 << 40) -> Path:
    """A GGUF far bigger than this machine's memory: a valid header, then a sparse 1 TiB
    (or ``size`` bytes) of "weights" (no disk space used)."""
    import struct

    path = base / "huge.gguf"
    with path.open("wb") as handle:
        handle.write(b"GGUF" + struct.pack("<IQQ", 3, 1, 0))
        handle.truncate(size)
    return path
