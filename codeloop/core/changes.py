"""ChangeSet: what a command wants to change, computed before anything is applied."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class FileChange:
    path: str  # posix, relative to the repo root
    before: str
    after: str

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=f"a/{self.path}",
                tofile=f"b/{self.path}",
            )
        )


@dataclass(frozen=True)
class ChangeSet:
    files: tuple[FileChange, ...]

    def diff(self) -> str:
        return "".join(change.diff() for change in self.files)

    @property
    def paths(self) -> list[str]:
        return [change.path for change in self.files]

    def size(self) -> int:
        """Changed lines (added + removed): smaller patches over-fit less."""
        return sum(
            1
            for line in self.diff().splitlines()
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        )

    def new_texts(self) -> dict[str, str]:
        return {change.path: change.after for change in self.files}
