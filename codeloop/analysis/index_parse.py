"""Parse many files for the index, in worker processes when there are enough of them.

A cold index of a large repo is dominated by tree-sitter parsing, which holds the GIL,
so threads do not help: a process pool (fork on Linux, so workers start in
milliseconds with the grammars already imported) parses batches of files and sends
back compact tuples. Small jobs (a warm run with a few edits) stay in-process.
"""

from __future__ import annotations

import functools
import hashlib
import multiprocessing
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import NamedTuple

from codeloop.analysis.languages import Language
from codeloop.analysis.tags import index_records

# Below this many files a pool costs more to start than it saves.
POOL_MIN_FILES = 48


class ParsedFile(NamedTuple):
    path: str
    language: str
    mtime_ns: int
    size: int
    sha1: str
    # Plain tuples in Definition's field order: they pickle back from workers much
    # faster than named tuples (no class lookup per record).
    definitions: list[tuple[str, str, int, int, int, str]]
    references: list[tuple[str, int, str]]  # (name, count, "line,line,...") per name


class Job(NamedTuple):
    path: str  # relative, posix
    language: str
    size: int  # for balancing batches


@functools.cache
def _languages() -> dict[str, Language]:
    from codeloop import plugins

    return plugins.languages()


def parse_one(root: str, job: Job) -> ParsedFile | None:
    """None when the file vanished or cannot be read between listing and parsing."""
    full = os.path.join(root, job.path)
    try:
        with open(full, "rb") as handle:
            st = os.fstat(handle.fileno())
            source = handle.read()
    except OSError:
        return None
    language = _languages()[job.language]
    definitions, references = index_records(language, source, language.extra.get("ignored_references", frozenset()))
    return ParsedFile(
        job.path,
        job.language,
        st.st_mtime_ns,
        st.st_size,
        hashlib.sha1(source).hexdigest(),
        [tuple(d) for d in definitions],  # type: ignore[misc]
        references,
    )


def _parse_batch(root: str, jobs: list[Job]) -> list[ParsedFile]:
    return [parsed for job in jobs if (parsed := parse_one(root, job)) is not None]


def _batches(jobs: list[Job], count: int) -> list[list[Job]]:
    """Roughly equal bytes per batch, biggest files first so no worker ends last on a giant."""
    ordered = sorted(jobs, key=lambda j: -j.size)
    bins: list[list[Job]] = [[] for _ in range(count)]
    loads = [0] * count
    for job in ordered:
        i = loads.index(min(loads))
        bins[i].append(job)
        loads[i] += job.size + 2048  # per-file overhead counts too
    return [b for b in bins if b]


def available_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def parse_files(root: str, jobs: list[Job], workers: int | None = None) -> Iterator[ParsedFile]:
    """Parse ``jobs`` (in a pool when worthwhile); yields results as batches finish."""
    workers = available_cpus() if workers is None else workers
    if workers <= 1 or len(jobs) < POOL_MIN_FILES:
        yield from _parse_batch(root, jobs)
        return
    # Several batches per worker so an unlucky batch of slow files does not dominate.
    batches = _batches(jobs, workers * 4)
    method = "fork" if sys.platform.startswith("linux") else None
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for result in pool.map(_parse_batch, [root] * len(batches), batches):
            yield from result
