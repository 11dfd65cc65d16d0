"""Whether git is in the middle of something (a merge, rebase, cherry-pick or revert that
stopped for the user): then the tree holds conflict markers and half-applied commits, and
a command that writes to it must wait until the user finishes or aborts."""

from __future__ import annotations

import subprocess
from pathlib import Path

from codeloop.errors import UsageError

# (marker in the git dir, what is going on, how to end it)
_OPERATIONS = (
    ("rebase-merge", "a rebase", "git rebase --continue or git rebase --abort"),
    ("rebase-apply", "a rebase or git am", "git rebase --continue / git am --continue, or --abort"),
    ("MERGE_HEAD", "a merge", "git merge --continue or git merge --abort"),
    ("CHERRY_PICK_HEAD", "a cherry-pick", "git cherry-pick --continue or git cherry-pick --abort"),
    ("REVERT_HEAD", "a revert", "git revert --continue or git revert --abort"),
)


def operation_in_progress(top: Path) -> tuple[str, str] | None:
    """(what, how to end it) of the operation stopped in the work tree at ``top``, or None."""
    done = subprocess.run(["git", "rev-parse", "--absolute-git-dir"], cwd=top, capture_output=True, text=True)
    if done.returncode != 0:
        return None
    git_dir = Path(done.stdout.strip())
    for marker, what, how in _OPERATIONS:
        if (git_dir / marker).exists():
            return what, how
    return None


def ensure_no_operation(top: Path, command: str) -> None:
    """UsageError (exit 2) when git stopped halfway through something at ``top``."""
    found = operation_in_progress(top)
    if found is not None:
        what, how = found
        raise UsageError(f"{what} is in progress in {top}: finish it first ({how}), then run codeloop {command}")
