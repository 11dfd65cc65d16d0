"""Writing one sync's changes into the index database, in one transaction.

Kept apart from analysis/index.py (which decides what changed and answers queries):
this is the part that knows the row layout, interns names, and keeps each file's
packed graph arrays in step with its rows.
"""

from __future__ import annotations

import os
import sqlite3
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from codeloop.analysis import index_schema
from codeloop.analysis.index_parse import ParsedFile

# A file written within this many ns of being indexed may be written again within the
# same mtime tick with the same size ("racily clean", as git calls it): its stat is not
# trusted next time, so the next sync hashes it (a read, not a parse).
_RACY_NS = 2_000_000_000

# A write this large is a cold build: secondary indexes are built once, at the end.
_BULK_FILES = 1000


class Known(NamedTuple):
    """A file's row as the last sync left it."""

    id: int
    mtime_ns: int
    size: int
    sha1: str
    language: str


class Changes(NamedTuple):
    parsed: Iterable[ParsedFile]  # may still be arriving from the worker pool
    expected: int  # how many parsed files to expect
    gone: dict[str, Known]
    restat: list[tuple[int, int, int]]  # (mtime_ns, size, id): same bytes, new stat
    renames: list[tuple[str, str]]  # (new path, old path)


def settled(mtime_ns: int) -> int:
    return 0 if mtime_ns > time.time_ns() - _RACY_NS else mtime_ns


def _chunks(items: Iterable[ParsedFile], size: int) -> Iterator[list[ParsedFile]]:
    batch: list[ParsedFile] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _packed(file_id: int, defs: list[tuple[Any, ...]], refs: list[tuple[int, int, int, str]]) -> tuple[int, bytes, bytes]:
    """(file_id, [name_id, count]... as int64, [def rowid, name_id]... as int64)."""
    ref_ints = array("q", [x for r in refs for x in (r[1], r[2])])
    def_ints = array("q", [x for d in defs for x in (d[0], d[2])])
    return file_id, ref_ints.tobytes(), def_ints.tobytes()


class Writer:
    def __init__(self, conn: sqlite3.Connection, root: Path, is_test: Callable[[str], bool]) -> None:
        self.conn = conn
        self.root = root
        self.is_test = is_test
        self._name_ids: dict[str, int] | None = None

    def apply(self, changes: Changes, known: dict[str, Known]) -> int:
        """Apply one sync in one transaction; returns how many files were parsed."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._forget(changes, known)
            bulk = changes.expected > _BULK_FILES
            if bulk:
                for name in index_schema.SECONDARY_INDEXES:
                    conn.execute(f"DROP INDEX IF EXISTS {name}")
            count = 0
            for batch in _chunks(changes.parsed, 256):
                self._insert(batch, known)
                count += len(batch)
            if bulk:
                for sql in index_schema.SECONDARY_INDEXES.values():
                    conn.execute(sql)
            if count or changes.gone or changes.renames:  # a touch (same bytes) changes no answer
                conn.execute("UPDATE meta SET value=value+1 WHERE key='generation'")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            self._name_ids = None
            raise
        return count

    def _forget(self, changes: Changes, known: dict[str, Known]) -> None:
        """Deleted files' rows go; touched and renamed files' rows get their new stat."""
        stale = [(row.id,) for row in changes.gone.values()]
        for table in ("defs", "refs", "file_graph", "files"):
            column = "id" if table == "files" else "file_id"
            self.conn.executemany(f"DELETE FROM {table} WHERE {column}=?", stale)
        self.conn.executemany("UPDATE files SET mtime_ns=?, size=? WHERE id=?", changes.restat)
        for new_path, old_path in changes.renames:
            st = os.stat(self.root / new_path)
            self.conn.execute(
                "UPDATE files SET path=?, mtime_ns=?, size=?, is_test=? WHERE id=?",
                (new_path, settled(st.st_mtime_ns), st.st_size, int(self.is_test(new_path)), known[old_path].id),
            )

    def _intern(self, names: set[str]) -> dict[str, int]:
        """Ids for ``names``, creating the missing ones (all names are loaded once for a
        big write; a small edit looks up only its own)."""
        if self._name_ids is None and len(names) <= 2000:
            found: dict[str, int] = {}
            wanted = list(names)
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                found.update(self.conn.execute(f"SELECT name, id FROM names WHERE name IN ({','.join('?' * len(chunk))})", chunk))
            next_id = int(self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM names").fetchone()[0])
            fresh = {name: next_id + i for i, name in enumerate(n for n in wanted if n not in found)}
            self.conn.executemany("INSERT INTO names VALUES(?, ?)", [(i, n) for n, i in fresh.items()])
            return {**found, **fresh}
        if self._name_ids is None:
            self._name_ids = dict(self.conn.execute("SELECT name, id FROM names"))
        ids = self._name_ids
        next_id = max(ids.values(), default=0) + 1
        fresh_names = [name for name in names if name not in ids]
        for offset, name in enumerate(fresh_names):
            ids[name] = next_id + offset
        self.conn.executemany("INSERT INTO names VALUES(?, ?)", [(ids[n], n) for n in fresh_names])
        return ids

    def _insert(self, parsed: list[ParsedFile], known: dict[str, Known]) -> None:
        conn = self.conn
        ids = self._intern({d[0] for p in parsed for d in p.definitions} | {r[0] for p in parsed for r in p.references})
        next_rowid = int(conn.execute("SELECT coalesce(max(rowid), 0) + 1 FROM defs").fetchone()[0])
        # New files get explicit ids too: one executemany instead of an INSERT per file.
        next_file_id = int(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM files").fetchone()[0])
        defs, refs, blobs, new_files = [], [], [], []
        for p in parsed:
            row = (p.language, settled(p.mtime_ns), p.size, p.sha1, int(self.is_test(p.path)))
            if p.path in known:
                file_id = known[p.path].id
                for table in ("defs", "refs", "file_graph"):
                    conn.execute(f"DELETE FROM {table} WHERE file_id=?", (file_id,))
                conn.execute("UPDATE files SET language=?, mtime_ns=?, size=?, sha1=?, is_test=? WHERE id=?", (*row, file_id))
            else:
                file_id = next_file_id
                next_file_id += 1
                new_files.append((file_id, p.path, *row))
            # Explicit rowids, so the file's packed arrays can name its definitions.
            file_defs = [(next_rowid + i, file_id, ids[d[0]], *d[1:]) for i, d in enumerate(p.definitions)]
            next_rowid += len(file_defs)
            file_refs = [(file_id, ids[name], count, lines) for name, count, lines in p.references]
            defs += file_defs
            refs += file_refs
            blobs.append(_packed(file_id, file_defs, file_refs))
        conn.executemany("INSERT INTO files VALUES(?, ?, ?, ?, ?, ?, ?)", new_files)
        conn.executemany("INSERT INTO defs(rowid, file_id, name_id, kind, line, end_line, sig_end, qualname) VALUES(?, ?, ?, ?, ?, ?, ?, ?)", defs)
        conn.executemany("INSERT INTO refs VALUES(?, ?, ?, ?)", refs)
        conn.executemany("INSERT INTO file_graph VALUES(?, ?, ?)", blobs)
