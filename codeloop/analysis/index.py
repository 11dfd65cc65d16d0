"""The symbol index: definitions and references of every source file, kept in SQLite.

This module (with its helpers index_parse, index_write, index_schema) is analysis's one
I/O adapter (see docs/ARCHITECTURE.md): it stats and reads the files it is given and
owns the database file the caller names (``<repo>/.codeloop/index.sqlite``, from
``workspace.symbols.open_index``). Which files exist is the caller's business (git's
tracked plus untracked-not-ignored files), so .gitignore is respected without this
module running git.

A file is re-parsed only when its content changed: same mtime and size means unchanged
(a stat, no read); when they disagree but the size is the same, the SHA-1 decides (a
``touch`` or a checkout of identical bytes costs a read, not a parse). A new file with
the bytes of a vanished one is a rename: its rows move, nothing is parsed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import time
from pathlib import Path
from typing import Any, NamedTuple

from codeloop.analysis import index_schema
from codeloop.analysis.index_parse import Job, parse_files
from codeloop.analysis.index_write import Changes, Known, Writer, settled
from codeloop.analysis.languages import Language


class SyncStats(NamedTuple):
    files: int  # indexed files now
    parsed: int
    rehashed: int  # stat changed, bytes did not
    renamed: int
    deleted: int
    seconds: float


class Location(NamedTuple):
    path: str
    name: str
    qualname: str
    kind: str
    line: int
    end_line: int
    sig_end: int


class Use(NamedTuple):
    path: str
    line: int
    enclosing: str | None  # qualname of the innermost definition around the use


class GraphRows(NamedTuple):
    """The whole index as parallel integer arrays, for ranking (see analysis.ranking)."""

    paths: list[str]  # file index -> path
    is_test: Any  # bool per file index
    ref_file: Any  # file index per reference row
    ref_name: Any  # name id
    ref_count: Any
    ref_private: Any  # bool: the name starts with "_"
    def_rowid: Any
    def_file: Any
    def_name: Any


def _sha1_of(path: Path) -> str | None:
    try:
        return hashlib.sha1(path.read_bytes()).hexdigest()
    except OSError:
        return None


class SymbolIndex:
    def __init__(self, root: Path, db_path: Path, languages: dict[str, Language]) -> None:
        self.root = root
        self.languages = languages
        self._by_suffix = {ext: lang for lang in languages.values() for ext in lang.extensions}
        try:
            self.conn = index_schema.connect(str(db_path), languages)
        except sqlite3.DatabaseError:  # a corrupt cache is rebuilt, never fatal
            for suffix in ("", "-wal", "-shm"):
                Path(str(db_path) + suffix).unlink(missing_ok=True)
            self.conn = index_schema.connect(str(db_path), languages)
        self._writer = Writer(self.conn, root, lambda rel: self._is_test(rel))

    def close(self) -> None:
        self.conn.close()

    def language_of(self, rel: str) -> Language | None:
        return self._by_suffix.get(os.path.splitext(rel)[1])

    @property
    def generation(self) -> int:
        return int(self.conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])

    # -- keeping the index in step with the files -------------------------------------

    def sync(self, files: list[str], workers: int | None = None) -> SyncStats:
        """Bring the index in line with ``files`` (relative posix paths that exist now)."""
        start = time.perf_counter()
        known = {
            row[0]: Known(*row[1:])
            for row in self.conn.execute("SELECT path, id, mtime_ns, size, sha1, language FROM files")
        }
        jobs: list[Job] = []
        restat: list[tuple[int, int, int]] = []  # (mtime_ns, size, id)
        present: set[str] = set()
        root = str(self.root)
        for rel in files:
            language = self.language_of(rel)
            if language is None:
                continue
            try:
                st = os.stat(os.path.join(root, rel))
                rel.encode("utf-8")  # git hands back undecodable names escaped; SQLite cannot store them
            except (OSError, UnicodeEncodeError):
                continue
            if not stat.S_ISREG(st.st_mode):  # a symlink to a folder, a socket...
                continue
            present.add(rel)
            old = known.get(rel)
            if old is not None and old.mtime_ns == st.st_mtime_ns and old.size == st.st_size:
                continue
            if old is not None and old.size == st.st_size and _sha1_of(self.root / rel) == old.sha1:
                restat.append((settled(st.st_mtime_ns), st.st_size, old.id))
                continue
            jobs.append(Job(rel, language.name, st.st_size))
        gone = {path: row for path, row in known.items() if path not in present}
        renames, jobs = self._renames(gone, jobs, known)
        for new_path, old_path in renames:
            del gone[old_path]
        parsed = 0
        if jobs or gone or restat or renames:
            # Rows are written while the pool still parses: the main process is idle otherwise.
            changes = Changes(parse_files(root, jobs, workers), len(jobs), gone, restat, renames)
            parsed = self._writer.apply(changes, known)
        return SyncStats(len(present), parsed, len(restat), len(renames), len(gone), time.perf_counter() - start)

    def _renames(self, gone: dict[str, Known], jobs: list[Job], known: dict[str, Known]) -> tuple[list[tuple[str, str]], list[Job]]:
        """(new, old) pairs for new files holding a vanished file's exact bytes."""
        if not gone:
            return [], jobs
        by_sha = {(row.sha1, row.language): path for path, row in gone.items()}
        renames, rest = [], []
        for job in jobs:
            if job.path in known:  # an edited file keeps its own row
                rest.append(job)
                continue
            old_path = by_sha.pop((_sha1_of(self.root / job.path) or "", job.language), None)
            if old_path is not None:
                renames.append((job.path, old_path))
            else:
                rest.append(job)
        return renames, rest

    def _is_test(self, rel: str) -> bool:
        language = self.language_of(rel)
        return language is not None and language.is_test_file(rel)

    # -- questions other commands ask -------------------------------------------------

    _LOCATION_SQL = (
        "SELECT f.path, n.name, d.qualname, d.kind, d.line, d.end_line, d.sig_end"
        " FROM defs d JOIN names n ON n.id = d.name_id JOIN files f ON f.id = d.file_id"
    )

    def definitions_of(self, name: str) -> list[Location]:
        """Where ``name`` is defined; a dotted name ("Cart.total") matches qualified names."""
        bare = name.rsplit(".", 1)[-1]
        rows = self.conn.execute(self._LOCATION_SQL + " WHERE n.name = ? ORDER BY f.path, d.line", (bare,))
        found = [Location(*row) for row in rows]
        if "." in name:
            found = [loc for loc in found if loc.qualname == name or loc.qualname.endswith("." + name)]
        return found

    def locations(self, rowids: list[int]) -> dict[int, Location]:
        """Definitions by their rowid (what the ranking hands back)."""
        found: dict[int, Location] = {}
        for start in range(0, len(rowids), 500):
            chunk = rowids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sql = self._LOCATION_SQL.replace("SELECT ", "SELECT d.rowid, ", 1) + f" WHERE d.rowid IN ({marks})"
            found.update((row[0], Location(*row[1:])) for row in self.conn.execute(sql, chunk))
        return found

    def references_to(self, name: str) -> list[Use]:
        """Every use of ``name`` (calls, imports, base classes, type uses) with its caller."""
        bare = name.rsplit(".", 1)[-1]
        rows = self.conn.execute(
            "SELECT f.id, f.path, r.lines FROM refs r JOIN names n ON n.id = r.name_id"
            " JOIN files f ON f.id = r.file_id WHERE n.name = ? ORDER BY f.path",
            (bare,),
        ).fetchall()
        uses = []
        for file_id, path, lines in rows:
            spans = self.conn.execute(
                "SELECT line, end_line, qualname FROM defs WHERE file_id = ? ORDER BY line", (file_id,)
            ).fetchall()
            for line in map(int, lines.split(",")):
                around = [s for s in spans if s[0] <= line <= s[1]]
                uses.append(Use(path, line, around[-1][2] if around else None))
        return uses

    callers_of = references_to

    def tests_exercising(self, name: str) -> list[str]:
        """Test files that use ``name`` directly (by call, import or type)."""
        bare = name.rsplit(".", 1)[-1]
        rows = self.conn.execute(
            "SELECT DISTINCT f.path FROM refs r JOIN names n ON n.id = r.name_id"
            " JOIN files f ON f.id = r.file_id WHERE n.name = ? AND f.is_test = 1 ORDER BY f.path",
            (bare,),
        )
        return [row[0] for row in rows]

    def enclosing_definition(self, path: str, line: int) -> Location | None:
        """The innermost definition whose span holds ``line`` (1-based) in ``path``."""
        row = self.conn.execute(
            self._LOCATION_SQL + " WHERE f.path = ? AND d.line <= ? AND d.end_line >= ?"
            " ORDER BY d.line DESC, d.end_line ASC LIMIT 1",
            (path, line, line),
        ).fetchone()
        return Location(*row) if row is not None else None

    def name_ids(self, names: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for name in names:
            row = self.conn.execute("SELECT id FROM names WHERE name = ?", (name.rsplit(".", 1)[-1],)).fetchone()
            if row is not None:
                found[name] = row[0]
        return found

    def graph_rows(self) -> GraphRows:
        """The arrays ranking needs, read from the per-file packed arrays."""
        import numpy as np

        paths, is_test, ids = [], [], []
        for file_id, path, test in self.conn.execute("SELECT id, path, is_test FROM files ORDER BY id"):
            ids.append(file_id)
            paths.append(path)
            is_test.append(bool(test))
        index_of = {file_id: i for i, file_id in enumerate(ids)}
        owners, ref_blobs, def_blobs = [], [], []
        for file_id, refs, defs in self.conn.execute("SELECT file_id, refs, defs FROM file_graph"):
            owners.append(index_of[file_id])
            ref_blobs.append(refs)
            def_blobs.append(defs)
        refs = np.frombuffer(b"".join(ref_blobs), dtype=np.int64).reshape(-1, 2)
        defs = np.frombuffer(b"".join(def_blobs), dtype=np.int64).reshape(-1, 2)
        owner = np.array(owners, dtype=np.int64)
        private = np.array(
            [row[0] for row in self.conn.execute("SELECT id FROM names WHERE name LIKE '\\_%' ESCAPE '\\'")], dtype=np.int64
        )
        return GraphRows(
            paths=paths,
            is_test=np.array(is_test, dtype=bool),
            ref_file=np.repeat(owner, [len(b) // 16 for b in ref_blobs]),
            ref_name=refs[:, 0],
            ref_count=refs[:, 1],
            ref_private=np.isin(refs[:, 0], private),
            def_rowid=defs[:, 0],
            def_file=np.repeat(owner, [len(b) // 16 for b in def_blobs]),
            def_name=defs[:, 1],
        )

    # -- small results cache (a warm run with the same question reads one row) ---------

    def cached(self, key: str) -> str | None:
        """A value ``remember`` stored for ``key`` at this generation of the index."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", ("cache:" + key,)).fetchone()
        if row is None:
            return None
        generation, _, value = str(row[0]).partition("\n")
        return value if generation == str(self.generation) else None

    def remember(self, key: str, value: str) -> None:
        generation = str(self.generation)
        self.conn.execute("BEGIN IMMEDIATE")
        # Entries of older generations can never be read again.
        self.conn.execute("DELETE FROM meta WHERE key LIKE 'cache:%' AND substr(value, 1, ?) != ?", (len(generation) + 1, generation + "\n"))
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES(?, ?)", ("cache:" + key, generation + "\n" + value))
        self.conn.execute("COMMIT")
