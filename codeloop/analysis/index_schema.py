"""The symbol index's SQLite schema and the fingerprint that says when to rebuild it.

Names are interned (``names``) so definitions and references join on integers;
references are one row per (file, name) with a count and the lines, not one row per
node: Django has 196k reference nodes but 49k distinct (file, name) pairs.
``file_graph`` repeats each file's rows as two packed integer arrays: ranking reads the
whole graph as ~3k blobs (milliseconds) instead of ~100k rows, and a one-file edit
rewrites one blob.
"""

from __future__ import annotations

import hashlib
import sqlite3

from codeloop.analysis.languages import Language

SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value);
CREATE TABLE IF NOT EXISTS files(
    id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, language TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL, sha1 TEXT NOT NULL, is_test INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS names(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS defs(
    file_id INTEGER NOT NULL, name_id INTEGER NOT NULL, kind TEXT NOT NULL, line INTEGER NOT NULL,
    end_line INTEGER NOT NULL, sig_end INTEGER NOT NULL, qualname TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS refs(
    file_id INTEGER NOT NULL, name_id INTEGER NOT NULL, count INTEGER NOT NULL, lines TEXT NOT NULL,
    PRIMARY KEY(file_id, name_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS file_graph(file_id INTEGER PRIMARY KEY, refs BLOB NOT NULL, defs BLOB NOT NULL);
"""

# Kept apart so a cold build can drop them and build each once, after the bulk insert.
SECONDARY_INDEXES = {
    "defs_by_name": "CREATE INDEX IF NOT EXISTS defs_by_name ON defs(name_id)",
    "defs_by_file": "CREATE INDEX IF NOT EXISTS defs_by_file ON defs(file_id, line)",
    "refs_by_name": "CREATE INDEX IF NOT EXISTS refs_by_name ON refs(name_id)",
}

TABLES = ("meta", "files", "names", "defs", "refs", "file_graph")


def fingerprint(languages: dict[str, Language]) -> str:
    """Changes whenever stored rows could differ: schema, languages, their queries."""
    from codeloop.analysis.tags import TAGS_VERSION

    digest = hashlib.sha1(f"schema {SCHEMA_VERSION} tags {TAGS_VERSION}".encode())
    for name in sorted(languages):
        language = languages[name]
        ignored = sorted(language.extra.get("ignored_references", ()))
        digest.update(repr((name, language.extensions, language.test_file_globs, ignored)).encode())
        digest.update(language.query_text("tags").encode())
    return digest.hexdigest()


def connect(path: str, languages: dict[str, Language]) -> sqlite3.Connection:
    """Open (creating or rebuilding when the fingerprint changed) the index database."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    # WAL: readers never block the one writer; NORMAL is crash-safe in WAL mode, and
    # the index is a cache that can be rebuilt anyway.
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(SCHEMA)
    for sql in SECONDARY_INDEXES.values():
        conn.execute(sql)
    wanted = fingerprint(languages)
    row = conn.execute("SELECT value FROM meta WHERE key='fingerprint'").fetchone()
    if row is None or row[0] != wanted:
        conn.execute("BEGIN IMMEDIATE")
        for table in TABLES:
            conn.execute(f"DELETE FROM {table}")
        conn.execute("INSERT INTO meta VALUES('fingerprint', ?)", (wanted,))
        conn.execute("INSERT INTO meta VALUES('generation', 0)")
        conn.execute("COMMIT")
    return conn
