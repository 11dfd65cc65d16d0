"""A unified diff as the review sees it: per file, the hunks and the added line numbers.

Parsed with ``unidiff`` because git's diff format has corner cases (renames, binary
files, "\\ No newline at end of file", quoted paths) that a hand-written parser gets wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from codeloop.core.errors import InvalidInput


@dataclass(frozen=True)
class Hunk:
    path: str
    new_start: int  # first line of the hunk's span in the new file (>= 1)
    new_end: int  # last line of that span (== new_start for a pure deletion)
    added: tuple[int, ...]  # new-file line numbers of added lines
    removed: tuple[str, ...]  # the text of removed lines (for messages)
    text: str  # the hunk in diff form, header included (the model reads diffs best)

    @property
    def anchor(self) -> tuple[int, int]:
        """The lines a comment about this hunk sits on: the added lines, else the deletion point."""
        if self.added:
            return self.added[0], self.added[-1]
        return self.new_start, self.new_start


@dataclass(frozen=True)
class ChangedFile:
    path: str  # in the new version
    old_path: str | None  # None when added
    removed_file: bool
    binary: bool
    hunks: tuple[Hunk, ...]

    @property
    def added_lines(self) -> frozenset[int]:
        return frozenset(n for h in self.hunks for n in h.added)

    def touches(self, start: int, end: int) -> bool:
        """Does [start, end] hold an added line, or the point where lines were deleted?"""
        return any(start <= n <= end for n in self.added_lines) or any(
            start <= h.new_start <= end for h in self.hunks if h.removed and not h.added
        )


def _strip(path: str) -> str:
    return path[2:] if path.startswith(("a/", "b/")) else path


def parse_diff(text: str) -> list[ChangedFile]:
    import unidiff

    try:
        patch = unidiff.PatchSet(text)
    except unidiff.UnidiffParseError as exc:
        raise InvalidInput("diff", f"could not parse the diff ({exc}); pass output of git diff") from None
    files = []
    for pf in patch:
        path = _strip(pf.source_file if pf.is_removed_file else pf.target_file)
        hunks = []
        for h in pf:
            added = tuple(ln.target_line_no for ln in h if ln.is_added and ln.target_line_no)
            removed = tuple(ln.value.rstrip("\n") for ln in h if ln.is_removed)
            start = max(1, h.target_start)
            end = max(start, h.target_start + h.target_length - 1)
            hunks.append(Hunk(path, start, end, added, removed, str(h)))
        files.append(
            ChangedFile(
                path=path,
                old_path=None if pf.is_added_file else _strip(pf.source_file),
                removed_file=pf.is_removed_file,
                binary=pf.is_binary_file,
                hunks=tuple(hunks),
            )
        )
    return files
