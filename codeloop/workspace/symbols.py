"""Open the repo's symbol index, brought up to date with the files the user has.

The one place that ties the index to the workspace: the database lives in the
self-ignoring ``.codeloop/`` state folder, and the file list is git's view (tracked
plus untracked-not-ignored), so .gitignore'd build output is never indexed.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from codeloop.analysis.index import SymbolIndex, SyncStats
from codeloop.workspace.checkpoint import _state_dir
from codeloop.workspace.git import listed_files

INDEX_FILE = "index.sqlite"


def open_index(root: Path, workers: int | None = None) -> tuple[SymbolIndex, SyncStats]:
    """The synced index of the work tree ``root`` (caller closes it)."""
    from codeloop import plugins

    index = SymbolIndex(root, _state_dir(root) / INDEX_FILE, plugins.languages())
    try:
        # Not visible_files(): the index stats every file it keeps anyway, and on a warm
        # run visible_files' own existence check was half the time.
        stats = index.sync(listed_files(root), workers)
    except BaseException:
        index.close()
        raise
    return index, stats


def line_reader(root: Path) -> Callable[[str], list[str]]:
    """Read a file's lines once per run (the map asks for the same file repeatedly)."""

    @functools.cache
    def read(rel: str) -> list[str]:
        try:
            return (root / rel).read_text("utf-8", errors="replace").splitlines()
        except OSError:
            return []

    return read


@contextlib.contextmanager
def definition_finder(root: Path) -> Iterator[Callable[[str], list[tuple[str, int]]] | None]:
    """Where functions are defined, from the synced index of ``root``: for localizing a
    failure by what the failing test calls. None when the index cannot be opened (a
    read-only tree, a locked database): callers then scan the files themselves."""
    try:
        index, _ = open_index(root)
    except (OSError, sqlite3.Error):
        yield None
        return

    def find(name: str) -> list[tuple[str, int]]:
        return [(loc.path, loc.line) for loc in index.definitions_of(name) if loc.kind in ("function", "method")]

    try:
        yield find
    finally:
        index.close()
