"""`codeloop fix --commit`: commit exactly the verified fix, nothing else of the user's.

The fix is staged blob by blob (the fixed file's bytes become the index entry), so only
what codeloop changed is committed: the check up front refuses an index that already
holds staged changes, and a fixed file that also carries the user's uncommitted edits is
left uncommitted (committing it would commit those edits too).
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from pathlib import Path

from codeloop.core.changes import ChangeSet
from codeloop.errors import RefusedError, UsageError


def _repo(top: Path):  # type: ignore[no-untyped-def]
    import git

    return git.Repo(top)


def ensure_nothing_staged(top: Path) -> None:
    """UsageError (exit 2, before any search) when the index holds staged changes."""
    repo = _repo(top)
    if repo.head.is_valid():
        staged = repo.git.diff("--cached", "--name-only")
    else:  # no commit yet: everything in the index is staged
        staged = repo.git.ls_files()
    if staged.strip():
        first = staged.split("\n")[0]
        raise UsageError(f"--commit needs an index with nothing staged, and {first} is: commit or unstage it first, or drop --commit")


def _paths(top: Path, project: Path, changes: ChangeSet) -> list[str]:
    prefix = "" if project == top else project.relative_to(top).as_posix() + "/"
    return [prefix + change.path for change in changes.files]


def check_committable(top: Path, project: Path, changes: ChangeSet) -> None:
    """RefusedError when a file the fix changes holds uncommitted edits of the user's:
    committing the file would commit those edits too (checked before anything is applied)."""
    repo = _repo(top)
    for change, path in zip(changes.files, _paths(top, project, changes)):
        if _index_bytes(repo, path) != change.before.encode("utf-8"):
            raise RefusedError(f"{path} holds uncommitted edits of yours, which --commit would commit too: commit or stash them, or drop --commit")


def commit_fix(top: Path, project: Path, changes: ChangeSet, message_for: Callable[[str], str]) -> str:
    """Stage exactly ``changes`` (already written to the tree), commit, return the new sha.

    ``message_for(staged diff)`` writes the message (codeloop's commit-msg). The user's
    commit hooks run; if the commit fails the index is put back and RefusedError says why.
    """
    from gitdb import IStream

    repo = _repo(top)
    paths = _paths(top, project, changes)
    try:
        for change, path in zip(changes.files, paths):
            mode = _index_mode(repo, path)
            data = change.after.encode("utf-8")
            blob = repo.odb.store(IStream("blob", len(data), BytesIO(data))).hexsha.decode()
            repo.git.update_index("--cacheinfo", f"{mode},{blob},{path}")
        diff = repo.git.diff("--cached", "--no-color", "--no-ext-diff")
        repo.git.commit("-q", "-m", message_for(diff))
    except Exception as exc:
        import git

        if repo.head.is_valid():
            repo.git.reset("-q", "--", *paths)
        if isinstance(exc, git.GitCommandError):
            why = (exc.stderr or str(exc)).strip().splitlines()[-1:] or ["git commit failed"]
            raise RefusedError(f"git commit failed: {why[0][:200]}") from None
        raise
    return str(repo.head.commit.hexsha)


def _index_bytes(repo, path: str) -> bytes | None:  # type: ignore[no-untyped-def]
    try:
        out = repo.git.execute(["git", "cat-file", "blob", f":{path}"], stdout_as_string=False, strip_newline_in_stdout=False)
    except Exception:
        return None
    return bytes(out)


def _index_mode(repo, path: str) -> str:  # type: ignore[no-untyped-def]
    line = repo.git.ls_files("-s", "--", path)
    return line.split(" ", 1)[0] if line else "100644"
