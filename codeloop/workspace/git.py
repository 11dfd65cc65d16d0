"""Locate the git work tree and list the files a test run can see."""

from __future__ import annotations

import subprocess
from pathlib import Path

from codeloop.errors import UsageError


def find_worktree(path: Path) -> Path:
    """The top of the git work tree containing ``path`` (UsageError if there is none)."""
    import git

    if not path.exists():
        raise UsageError(f"path does not exist: {path} (pass a folder inside a git repository)")
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise UsageError(
            f"{path} is not inside a git work tree: run codeloop inside a repository (git init) or pass one as PATH"
        ) from None
    if repo.bare or repo.working_tree_dir is None:
        raise UsageError(f"{path} is a bare git repository: pass a folder with a work tree")
    return Path(repo.working_tree_dir).resolve()


_PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "pytest.ini", "tox.ini")


def find_project(path: Path) -> Path:
    """The folder tests run in: the nearest one at or above ``path`` with a project marker
    (pyproject.toml, setup.py, setup.cfg, pytest.ini, tox.ini), not above the git work
    tree; the work tree itself when none has one. Monorepos and examples/ folders get
    their own test command this way, as pytest finds its own rootdir.
    """
    top = find_worktree(path)
    here = path.resolve()
    if here.is_file():
        here = here.parent
    for folder in [here, *here.parents]:
        if any((folder / marker).is_file() for marker in _PROJECT_MARKERS):
            return folder
        if folder == top:
            break
    return top


def listed_files(root: Path) -> list[str]:
    """Tracked and untracked-but-not-ignored paths as git lists them (posix, relative,
    first-seen order), deleted-but-still-tracked ones included."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout
    return list(dict.fromkeys(n for n in out.decode("utf-8", "surrogateescape").split("\0") if n))


def visible_files(root: Path) -> list[str]:
    """Tracked and untracked-but-not-ignored files that exist now (posix, relative).

    This is "what the user has": uncommitted edits and new files included, build
    junk that .gitignore excludes left out.
    """
    return [n for n in sorted(listed_files(root)) if (root / n).is_file() or (root / n).is_symlink()]


def ignored_files(root: Path) -> list[str]:
    """Files git ignores under ``root`` (posix, relative); wholly ignored folders such as
    ``.venv/`` or ``build/`` are not listed file by file, nor entered."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory", "--no-empty-directory"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout
    return [n for n in out.decode("utf-8", "surrogateescape").split("\0") if n and not n.endswith("/")]
