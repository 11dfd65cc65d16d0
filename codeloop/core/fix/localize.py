"""From a failing TestReport to ranked suspect functions and the test context.

Two signals, strongest first: traceback frames that land in non-test source (deepest
frame first: that is where the exception was raised), then the functions the failing
test calls or passes around by name (when the bug returns a wrong value, no frame of
the buggy function is on the traceback).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from codeloop.analysis.functions import called_names, enclosing_function, functions
from codeloop.analysis.languages import FunctionSpan, Language
from codeloop.core.fix.sbfl import Ranking
from codeloop.runners.base import TestFailure, TestReport

ReadText = Callable[[str], str]
LanguageFor = Callable[[str], "Language | None"]
# (path, line) of every definition named ``name`` in the repo: the symbol index answers
# in milliseconds what a scan answers by parsing every file that mentions the name.
DefinitionFinder = Callable[[str], list[tuple[str, int]]]


@dataclass(frozen=True)
class Suspect:
    path: str
    function: FunctionSpan
    score: float
    reason: str  # "frame" | "called-by-test"

    @property
    def key(self) -> str:
        return f"{self.path}::{self.function.qualname}"


@dataclass(frozen=True)
class TestContext:
    __test__ = False  # not a pytest test class

    test_id: str
    message: str
    sources: tuple[str, ...]  # the failing test function and test helpers on its traceback
    details: str = ""  # the runner's traceback text (the failing line, the values it saw)


def normalize_path(path: str, run_root: str, known: set[str]) -> str | None:
    """Map a path printed by the runner back to a repo-relative file we know."""
    posix = path.replace("\\", "/")
    root = run_root.rstrip("/") + "/"
    if posix.startswith(root):
        posix = posix[len(root) :]
    posix = str(PurePosixPath(posix))
    if posix in known:
        return posix
    for rel in known:  # runners sometimes print paths relative to a subfolder
        if posix.endswith("/" + rel) or rel.endswith("/" + posix):
            return rel
    return None


def _source_of(text: str, span: FunctionSpan) -> str:
    return text.encode("utf-8")[span.start_byte : span.end_byte].decode("utf-8")


class Localizer:
    def __init__(
        self, files: list[str], read: ReadText, language_for: LanguageFor, run_root: str, find_definitions: DefinitionFinder | None = None
    ) -> None:
        self.files = files
        self.known = set(files)
        self.read = read
        self.language_for = language_for
        self.run_root = run_root
        self.find_definitions = find_definitions

    def _is_test(self, rel: str) -> bool:
        language = self.language_for(rel)
        return language is None or language.is_test_file(rel)

    def _span_at(self, rel: str, line: int) -> FunctionSpan | None:
        language = self.language_for(rel)
        if language is None:
            return None
        return enclosing_function(language, self.read(rel).encode("utf-8"), line)

    def _definitions(self, name: str) -> list[tuple[str, FunctionSpan]]:
        """Functions and methods named ``name`` outside the tests."""
        if self.find_definitions is not None:
            return self._indexed_definitions(name, self.find_definitions)
        found = []
        for rel in self.files:
            if self._is_test(rel):
                continue
            text = self.read(rel)
            if name not in text:
                continue
            language = self.language_for(rel)
            assert language is not None
            found += [(rel, span) for span in functions(language, text.encode("utf-8")) if span.name == name]
        return found

    def _indexed_definitions(self, name: str, find: DefinitionFinder) -> list[tuple[str, FunctionSpan]]:
        found = []
        for rel, line in find(name):
            if rel not in self.known or self._is_test(rel):
                continue
            span = self._span_at(rel, line)  # classes and constants have no function span
            if span is not None and span.name == name:
                found.append((rel, span))
        return found

    def test_context(self, failure: TestFailure) -> TestContext:
        sources: list[str] = []
        spans: list[tuple[str, FunctionSpan]] = []
        if failure.file and failure.file in self.known:
            span = self._span_at(failure.file, failure.line)
            if span is not None:
                spans.append((failure.file, span))
        for frame in failure.frames:
            rel = normalize_path(frame.path, self.run_root, self.known)
            if rel is not None and self._is_test(rel):
                span = self._span_at(rel, frame.line)
                if span is not None:
                    spans.append((rel, span))
        for rel, span in spans:
            source = _source_of(self.read(rel), span)
            if source not in sources:
                sources.append(source)
        return TestContext(failure.test_id, failure.message, tuple(sources), failure.details)

    def frame_lines(self, report: TestReport) -> set[tuple[str, int]]:
        """(repo path, line) of every traceback frame in non-test source: where it broke."""
        found = set()
        for failure in report.failures:
            for frame in failure.frames:
                rel = normalize_path(frame.path, self.run_root, self.known)
                if rel is not None and not self._is_test(rel):
                    found.add((rel, frame.line))
        return found

    def suspects(self, report: TestReport, ranking: Ranking | None = None) -> list[Suspect]:
        """Functions ranked by traceback frames, calls from the failing tests and SBFL;
        never empty while the failing tests import any source file (widening)."""
        ranked = self._from_failures(report)
        if ranking is None:
            self._add_callees(ranked)
            found = sorted(ranked.values(), key=lambda s: -s.score)
            return found or self.widened(report)
        # SBFL adds its evidence to every function it ranks: a function both on the
        # traceback and executed mostly by failing tests beats one with a single signal.
        for rel in ranking.files():
            language = self.language_for(rel)
            if language is None or rel not in self.known:
                continue
            for span in functions(language, self.read(rel).encode("utf-8")):
                score = ranking.function_score(rel, span.start_line, span.end_line)
                if score <= 0:
                    continue
                key = f"{rel}::{span.qualname}"
                old = ranked.get(key)
                if old is None:
                    ranked[key] = Suspect(rel, span, score, "sbfl")
                else:
                    ranked[key] = Suspect(rel, span, old.score + score, old.reason + "+sbfl")
        # Inner functions and their outer function both match; keep the innermost only
        # when they score the same, since rewriting the outer one is a bigger edit.
        found = sorted(ranked.values(), key=lambda s: (-s.score, s.function.end_line - s.function.start_line))
        return found or self.widened(report)

    def _add_callees(self, ranked: dict[str, Suspect], depth: int = 2) -> None:
        """Without line coverage, the functions the suspects call (two levels down) are
        suspects too, weaker: a wrong value often comes from a helper below the function
        the test calls."""
        frontier = list(ranked.values())
        for _ in range(depth):
            found: list[Suspect] = []
            for suspect in frontier:
                language = self.language_for(suspect.path)
                if language is None:
                    continue
                for name in called_names(language, self.read(suspect.path).encode("utf-8"), suspect.function)[:20]:
                    for rel, span in self._definitions(name):
                        key = f"{rel}::{span.qualname}"
                        if key not in ranked:
                            ranked[key] = Suspect(rel, span, suspect.score * 0.5, "callee")
                            found.append(ranked[key])
            frontier = found

    def widened(self, report: TestReport, max_files: int = 5) -> list[Suspect]:
        """No evidence points anywhere: the functions of the source files the failing
        tests import (then any source file), weakest of all suspects."""
        source = [f for f in self.files if not self._is_test(f)]
        found = []
        for rel in files_tests_import(report, source, self.files, self.read)[:max_files]:
            language = self.language_for(rel)
            assert language is not None
            found += [Suspect(rel, span, 0.01, "imported-by-test") for span in functions(language, self.read(rel).encode("utf-8"))]
        return found

    def _from_failures(self, report: TestReport) -> dict[str, Suspect]:
        ranked: dict[str, Suspect] = {}

        def add(rel: str, span: FunctionSpan, score: float, reason: str) -> None:
            suspect = Suspect(rel, span, score, reason)
            if suspect.key not in ranked or ranked[suspect.key].score < score:
                ranked[suspect.key] = suspect

        for failure in report.failures:
            frames = list(failure.frames)
            for depth, frame in enumerate(reversed(frames)):
                rel = normalize_path(frame.path, self.run_root, self.known)
                if rel is None or self._is_test(rel):
                    continue
                span = self._span_at(rel, frame.line)
                if span is not None:
                    add(rel, span, 1.0 / (1 + depth), "frame")
            # Functions the failing test (and its helpers) call or pass by name.
            test_spans: list[tuple[str, FunctionSpan]] = []
            if failure.file in self.known:
                span = self._span_at(failure.file, failure.line)
                if span is not None:
                    test_spans.append((failure.file, span))
            for frame in frames:
                rel = normalize_path(frame.path, self.run_root, self.known)
                if rel is not None and self._is_test(rel):
                    span = self._span_at(rel, frame.line)
                    if span is not None:
                        test_spans.append((rel, span))
            for order, (rel, span) in enumerate(test_spans):
                language = self.language_for(rel)
                assert language is not None
                names = called_names(language, self.read(rel).encode("utf-8"), span)
                for rank, name in enumerate(names):
                    for def_rel, def_span in self._definitions(name):
                        add(def_rel, def_span, 0.5 / (1 + order + rank * 0.1), "called-by-test")
        return ranked


def files_tests_import(report: TestReport, source: list[str], files: list[str], read: ReadText) -> list[str]:
    """``source`` files, those the failing tests' modules import first (by module name)."""
    imported: set[str] = set()
    for failure in report.failures:
        test_file = failure.file or failure.test_id.split("::")[0]
        if test_file in files:
            imported |= imported_modules(read(test_file))

    def is_imported(path: str) -> bool:
        # "src/calc/ops.py" is what `import calc` or `from calc.ops import x` reaches:
        # the module or a package it belongs to, wherever the import root is.
        dotted = "." + path.rsplit(".", 1)[0].replace("/", ".").removesuffix(".__init__") + "."
        return any(f".{m}." in dotted for m in imported)

    return sorted(source, key=lambda f: not is_imported(f))


_IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import\s+\(?([\w, ]+)|import\s+([\w., ]+))", re.M)


def imported_modules(text: str) -> set[str]:
    """Dotted names a Python file imports (``import a.b``; ``from a.b import c``: a.b and a.b.c)."""
    found = set()
    for m in _IMPORT.finditer(text):
        if m.group(1):
            found.add(m.group(1))
            found |= {f"{m.group(1)}.{n.strip().split(' ')[0]}" for n in m.group(2).split(",") if n.strip()}
        else:
            found |= {n.strip().split(" ")[0] for n in m.group(3).split(",") if n.strip()}
    return found
