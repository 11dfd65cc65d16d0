"""review(): facts first (tests, then parser checks), the model last, within a time budget.

A generator like the fix loop: it yields events for the CLI and returns a ReviewResult.
It reads the reviewed version only through the callables it is given, so the same core
serves a staged index, a revision range or a benchmark's temp repo.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path

from codeloop.analysis.functions import called_names, enclosing_function, functions
from codeloop.analysis.languages import FunctionSpan, Language
from codeloop.core import events as ev
from codeloop.core.review import callers, checks
from codeloop.core.review.diffs import ChangedFile, parse_diff
from codeloop.core.review.execution import test_findings
from codeloop.core.review.findings import Finding, ReviewResult, dedupe
from codeloop.core.review.model_review import ModelReviewer
from codeloop.models.base import DeadlinePassed, ModelError
from codeloop.runners.base import TestRunner

Reader = Callable[[str], "str | None"]
LanguageFor = Callable[[str], "Language | None"]


@dataclass(frozen=True)
class ReviewOptions:
    time_budget: float = 120.0
    run_tests: bool = True
    use_model: bool = True
    tests_share: float = 0.7  # of the budget, at most, for the test command
    seconds_per_hunk: float = 4.0  # what a model hunk costs; fewer left -> skip it


@dataclass
class ReviewInput:
    diff: str
    read_new: Reader
    read_old: Reader
    tree_files: Callable[[], dict[str, str]]  # every source file of the new version (for callers)
    run_root: Path | None = None  # where the test command runs, in a copy of the new version
    run_dir: str = ""  # that folder relative to the repository top
    only: tuple[str, ...] = field(default=())  # limit to these paths (prefixes), when given


def _selected(change: ChangedFile, only: tuple[str, ...]) -> bool:
    return not only or any(change.path == p or change.path.startswith(p.rstrip("/") + "/") for p in only)


def review(inp: ReviewInput, runner: TestRunner | None, reviewer: ModelReviewer | None, language_for: LanguageFor, options: ReviewOptions) -> Generator[ev.Event, None, ReviewResult]:
    started = time.perf_counter()
    changes = [c for c in parse_diff(inp.diff) if _selected(c, inp.only) and not c.removed_file and not c.binary]
    result = ReviewResult(files=[c.path for c in changes])
    by_path = {c.path: c for c in changes}
    texts = {c.path: inp.read_new(c.path) for c in changes}
    findings: list[Finding] = []
    if not changes:
        result.seconds = time.perf_counter() - started
        return result

    if options.run_tests and runner is not None and inp.run_root is not None:
        yield ev.StageStarted("tests", runner.command)
        report = runner.run(inp.run_root, timeout=max(5.0, options.time_budget * options.tests_share))
        yield ev.TestsRan(report.passed, report.failed_ids, report.seconds, purpose="review")
        if report.timed_out:
            result.skipped.append("tests: timed out within the time budget")
        if report.exit_code == 5 and "pytest" in runner.command:
            result.skipped.append("tests: none collected")  # pytest's "no tests ran" is not a failure of the change
        else:
            findings += test_findings(report, by_path, _spans_cache(texts, language_for), _called_by(inp.read_new, language_for), inp.run_dir, str(inp.run_root))
    else:
        result.skipped.append("tests: not run")

    yield ev.StageStarted("checks", f"{len(changes)} file(s)")
    findings += _deterministic(inp, changes, texts, language_for)

    if options.use_model and reviewer is not None:
        yield from _model_stage(inp, changes, texts, findings, reviewer, language_for, options, started, result)
    else:
        result.skipped.append("model: not used")
    result.findings = dedupe(findings)
    result.seconds = time.perf_counter() - started
    return result


def _spans_cache(texts: dict[str, str | None], language_for: LanguageFor) -> Callable[[str], list[FunctionSpan]]:
    cache: dict[str, list[FunctionSpan]] = {}

    def spans_of(path: str) -> list[FunctionSpan]:
        if path not in cache:
            language, text = language_for(path), texts.get(path)
            cache[path] = functions(language, text.encode()) if language is not None and text is not None else []
        return cache[path]

    return spans_of


def _called_by(read: Reader, language_for: LanguageFor) -> Callable[[str, int], list[str]]:
    def called(path: str, line: int) -> list[str]:
        language, text = language_for(path), read(path)
        if language is None or text is None:
            return []
        span = enclosing_function(language, text.encode(), line)
        return called_names(language, text.encode(), span) if span is not None else []

    return called


def _deterministic(inp: ReviewInput, changes: list[ChangedFile], texts: dict[str, str | None], language_for: LanguageFor) -> list[Finding]:
    found: list[Finding] = []
    tree: dict[str, str] | None = None
    for change in changes:
        language, new = language_for(change.path), texts[change.path]
        if language is None or new is None or language.name != "python":
            continue  # the name and caller checks read Python syntax; other languages get the parse check only
        old = inp.read_old(change.old_path) if change.old_path else None
        syntax = checks.syntax_findings(language, change, new, old)
        found += syntax
        if syntax:
            continue  # names and calls of a file that does not parse are guesses
        found += checks.undefined_findings(language, change, new, old)
        sigs = callers.changed_signatures(language, change, new, old)
        if sigs or old is not None:
            tree = tree if tree is not None else inp.tree_files()
            others = {p: t for p, t in tree.items() if language_for(p) == language}
            found += checks.removed_export_findings(language, change, new, old, {p: t for p, t in others.items() if p != change.path})
            for sig in sigs:
                found += callers.stale_callers(language, sig, others)
    return found


def _model_stage(inp: ReviewInput, changes: list[ChangedFile], texts: dict[str, str | None], findings: list[Finding], reviewer: ModelReviewer, language_for: LanguageFor, options: ReviewOptions, started: float, result: ReviewResult) -> Generator[ev.Event, None, None]:
    hunks = [(c, h) for c in changes if language_for(c.path) is not None and texts[c.path] is not None for h in c.hunks if h.added or h.removed]
    covered = {(f.path, n) for f in findings if f.blocking for n in range(f.start_line, f.end_line + 1)}
    todo = [(c, h) for c, h in hunks if not any((c.path, n) in covered for n in h.added)]
    yield ev.StageStarted("model", f"{len(todo)} hunk(s)")
    skipped = 0
    for change, hunk in todo:
        if options.time_budget - (time.perf_counter() - started) < options.seconds_per_hunk:
            skipped += 1
            continue
        language = language_for(change.path)
        text = texts[change.path] or ""
        span = enclosing_function(language, text.encode(), hunk.anchor[0]) if language is not None else None
        function = text.encode()[span.start_byte : span.end_byte].decode("utf-8", "replace") if span is not None else ""
        deadline = time.monotonic() + options.time_budget - (time.perf_counter() - started)
        try:
            verdict = reviewer.review_hunk(change.path, hunk, "\n".join(function.splitlines()[:40]), deadline)
        except DeadlinePassed:
            skipped += 1
            continue
        except ModelError as exc:  # the facts found so far still make a review
            result.model_error = str(exc)
            result.skipped.append(f"model: {exc}")
            yield ev.ModelFailed(str(exc))
            return
        result.model_calls += verdict.calls
        result.dropped += int(verdict.dropped)
        if verdict.finding is not None:
            findings.append(verdict.finding)
    if skipped:
        result.skipped.append(f"model: {skipped} hunk(s) not reviewed, the time budget ran out")
        yield ev.Note(f"model skipped {skipped} hunk(s): time budget spent")
