"""Test failures in the reviewed state, anchored on the changed lines they implicate.

A traceback frame on an added line is the strongest evidence; a frame inside a function
the change edited is next (the bug is often a line or two from where it surfaces). A
failure whose traceback never enters changed code is still reported, but non-blocking:
it may have been failing before this change.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from codeloop.analysis.languages import FunctionSpan
from codeloop.core.review.diffs import ChangedFile
from codeloop.core.review.findings import Finding
from codeloop.runners.base import TestFailure, TestReport

FIX_HINT = "run `codeloop fix` to search for a verified repair"
SpansOf = Callable[[str], "list[FunctionSpan]"]
CalledBy = Callable[[str, int], "list[str]"]  # (test file, line) -> names the test calls


def _top_relative(frame_path: str, run_dir: str, sandbox_root: str) -> str:
    """Frame paths are relative to the run folder, or absolute inside the sandbox copy."""
    path = frame_path.replace("\\", "/")
    root = sandbox_root.rstrip("/") + "/"
    if path.startswith(root):
        return path[len(root):]
    if path.startswith("/"):
        return path
    return str(PurePosixPath(run_dir) / path) if run_dir not in ("", ".") else path


def _changed_span(change: ChangedFile, span: FunctionSpan) -> tuple[int, int] | None:
    """The changed lines inside ``span``: added lines, or where lines were only deleted."""
    inside = sorted(n for n in change.added_lines if span.start_line <= n <= span.end_line)
    if not inside:  # a deletion-only change ("missing logic") has no added line to point at
        inside = sorted(h.new_start for h in change.hunks if h.removed and not h.added and span.start_line <= h.new_start <= span.end_line)
    return (inside[0], inside[-1]) if inside else None


def _called(failure: TestFailure, changed: dict[str, ChangedFile], spans_of: SpansOf, called_by: CalledBy, run_dir: str, sandbox_root: str) -> tuple[str, int, int, float] | None:
    """A wrong value fails in the test's own assert: blame a changed function the test calls."""
    if not failure.file:
        return None
    names = set(called_by(_top_relative(failure.file, run_dir, sandbox_root), failure.line))
    for path, change in changed.items():
        for span in spans_of(path):
            lines = _changed_span(change, span) if span.name in names else None
            if lines is not None:
                return path, lines[0], lines[1], 0.8
    return None


def _anchor(failure: TestFailure, changed: dict[str, ChangedFile], spans_of: SpansOf, called_by: CalledBy, run_dir: str, sandbox_root: str) -> tuple[str, int, int, float] | None:
    """(path, start, end, confidence) of the changed code this failure runs through."""
    frames = [(_top_relative(f.path, run_dir, sandbox_root), f.line) for f in failure.frames]
    for path, line in reversed(frames):  # innermost first: closest to where it broke
        change = changed.get(path)
        if change is not None and line in change.added_lines:
            return path, line, line, 1.0
    for path, line in reversed(frames):
        change = changed.get(path)
        if change is None:
            continue
        for span in spans_of(path):
            lines = _changed_span(change, span) if span.start_line <= line <= span.end_line else None
            if lines is not None:
                return path, lines[0], lines[1], 0.9
    return _called(failure, changed, spans_of, called_by, run_dir, sandbox_root)


def test_findings(report: TestReport, changed: dict[str, ChangedFile], spans_of: SpansOf, called_by: CalledBy, run_dir: str, sandbox_root: str) -> list[Finding]:
    if report.passed:
        return []
    findings = []
    for failure in report.failures[:20]:
        what = failure.message.strip().splitlines()[0][:200] if failure.message.strip() else "it fails"
        anchor = _anchor(failure, changed, spans_of, called_by, run_dir, sandbox_root)
        if anchor is not None:
            path, start, end, confidence = anchor
            findings.append(
                Finding(path, start, end, "issue", True,
                        f"`{failure.test_id}` fails with this change ({what}) and it runs these changed lines; {FIX_HINT}, or correct the change",
                        "tests", confidence, rule="codeloop/test-failure")
            )
            continue
        path = _top_relative(failure.file, run_dir, sandbox_root) if failure.file else ""
        if not path:
            path = next(iter(changed), "")
        findings.append(
            Finding(path, max(1, failure.line), max(1, failure.line), "issue", False,
                    f"`{failure.test_id}` fails in the reviewed state ({what}), but its traceback does not enter the changed lines: it may have been failing before; {FIX_HINT}",
                    "tests", 0.6, rule="codeloop/test-failure-unanchored")
        )
    return findings
