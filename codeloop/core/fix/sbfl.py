"""Spectrum-based fault localization: rank lines by how much more failing tests run them.

The spectrum (which tests executed which lines, and which tests failed) is collected by
the runner with coverage.py; this module only scores it. Ochiai is used because it is
the best-performing classic formula in the SBFL literature for single-fault programs and
needs nothing but the counts:

    ochiai(line) = ef / sqrt(F * (ef + ep))

where ef/ep are the failing/passing tests that executed the line and F all failing tests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

LineKey = tuple[str, int]  # (repo-relative posix path, 1-based line)


@dataclass(frozen=True)
class Spectrum:
    """Which tests executed each line, plus the outcome of every test."""

    lines: Mapping[LineKey, frozenset[str]]  # line -> ids of the tests that executed it
    failed: frozenset[str]
    passed: frozenset[str]
    # Lines that ran only while the tests were imported (module bodies, helpers called at
    # import time): counted as run by every test, but no evidence about a function.
    import_only: frozenset[LineKey] = frozenset()

    def to_dict(self) -> dict[str, object]:
        tests = sorted(self.failed | self.passed)
        index = {t: i for i, t in enumerate(tests)}
        files: dict[str, dict[str, list[int]]] = {}
        for (path, line), ids in self.lines.items():
            files.setdefault(path, {})[str(line)] = sorted(index[t] for t in ids if t in index)
        at_import = sorted([path, line] for path, line in self.import_only)
        return {"tests": tests, "failed": sorted(index[t] for t in self.failed), "files": files, "import_only": at_import}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Spectrum:
        tests = list(data["tests"])  # type: ignore[call-overload]
        failed = frozenset(tests[i] for i in data["failed"])  # type: ignore[attr-defined]
        lines: dict[LineKey, frozenset[str]] = {}
        for path, per_line in data["files"].items():  # type: ignore[attr-defined]
            for line, ids in per_line.items():
                lines[(path, int(line))] = frozenset(tests[i] for i in ids)
        at_import = frozenset((str(p), int(n)) for p, n in data.get("import_only", []))  # type: ignore[attr-defined]
        return cls(lines, failed, frozenset(tests) - failed, at_import)


@dataclass(frozen=True)
class RankedLine:
    path: str
    line: int
    score: float
    failed_hits: int
    passed_hits: int
    at_import: bool = False  # ran only while the tests were imported


@dataclass
class Ranking:
    """Suspiciousness per line, best first; ``score(path, line)`` is 0 for unranked lines."""

    lines: list[RankedLine] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_key = {(r.path, r.line): r.score for r in self.lines}

    def score(self, path: str, line: int) -> float:
        return self._by_key.get((path, line), 0.0)

    def function_score(self, path: str, start_line: int, end_line: int) -> float:
        """A function is as suspicious as its most suspicious line run by a test (its
        ``def`` line runs at import for every test, which says nothing about it)."""
        return max((r.score for r in self.lines if r.path == path and start_line <= r.line <= end_line and not r.at_import), default=0.0)

    def files(self) -> list[str]:
        return list(dict.fromkeys(r.path for r in self.lines))


def ochiai(failed_hits: int, passed_hits: int, total_failed: int) -> float:
    if failed_hits == 0 or total_failed == 0:
        return 0.0
    return failed_hits / math.sqrt(total_failed * (failed_hits + passed_hits))


def rank(spectrum: Spectrum, keep: Iterable[str] | None = None) -> Ranking:
    """Ochiai ranking of every line some failing test executed (restricted to ``keep`` files)."""
    allowed = set(keep) if keep is not None else None
    total_failed = len(spectrum.failed)
    ranked = []
    for (path, line), tests in spectrum.lines.items():
        if allowed is not None and path not in allowed:
            continue
        ef = len(tests & spectrum.failed)
        if ef == 0:
            continue
        ep = len(tests & spectrum.passed)
        ranked.append(RankedLine(path, line, ochiai(ef, ep, total_failed), ef, ep, (path, line) in spectrum.import_only))
    # Ties broken by position so the order is deterministic (and reads top-down).
    ranked.sort(key=lambda r: (-r.score, r.path, r.line))
    return Ranking(ranked)
