"""Test failures become findings on the changed lines they implicate (or honest non-blocking ones)."""

from __future__ import annotations

from codeloop.analysis.functions import functions
from codeloop.analysis.python_lang import PYTHON
from codeloop.core.review.diffs import parse_diff
from codeloop.core.review.execution import test_findings as findings_for
from codeloop.runners.base import Frame, TestFailure, TestReport

NEW = "def area(w, h):\n    x = w\n    y = h\n    return x / (y - h)\n\n\ndef other():\n    return 1\n"
DIFF = "--- a/pkg/shop.py\n+++ b/pkg/shop.py\n@@ -1,4 +1,4 @@\n def area(w, h):\n-    x = w * h\n+    x = w\n     y = h\n     return x / (y - h)\n"
CHANGED = {c.path: c for c in parse_diff(DIFF)}


def _spans(path: str):  # type: ignore[no-untyped-def]
    return functions(PYTHON, NEW.encode()) if path == "pkg/shop.py" else []


def _report(*frames: Frame, file: str = "tests/test_shop.py") -> TestReport:
    failure = TestFailure("tests/test_shop.py::test_area", "ZeroDivisionError: division by zero", "...", frames, file, 3)
    return TestReport(False, 1, [failure])


def test_frame_on_an_added_line_anchors_there_from_a_project_subfolder() -> None:
    """Tests ran in proj/ of the sandbox copy: absolute and run-relative frames both map back."""
    changed = {c.path: c for c in parse_diff(DIFF.replace("pkg/shop.py", "proj/pkg/shop.py"))}
    for frame_path in ("/tmp/box/proj/pkg/shop.py", "pkg/shop.py"):
        report = _report(Frame("tests/test_shop.py", 4, "test_area"), Frame(frame_path, 2, "area"))
        (finding,) = findings_for(report, changed, lambda p: [], lambda p, n: [], "proj", "/tmp/box")
        assert (finding.path, finding.start_line, finding.blocking, finding.confidence) == ("proj/pkg/shop.py", 2, True, 1.0)


def test_frame_inside_a_changed_function_anchors_on_its_changed_lines() -> None:
    report = _report(Frame("tests/test_shop.py", 4, "test_area"), Frame("pkg/shop.py", 4, "area"))
    (finding,) = findings_for(report, CHANGED, _spans, lambda p, n: [], "", "/tmp/box")
    assert (finding.path, finding.start_line, finding.end_line, finding.blocking, finding.confidence) == ("pkg/shop.py", 2, 2, True, 0.9)
    assert "ZeroDivisionError" in finding.message and "codeloop fix" in finding.message


def test_a_changed_function_the_test_calls_is_blamed_for_a_wrong_value() -> None:
    report = _report(Frame("tests/test_shop.py", 4, "test_area"))
    (finding,) = findings_for(report, CHANGED, _spans, lambda p, n: ["area"] if p == "tests/test_shop.py" else [], "", "/tmp/box")
    assert (finding.start_line, finding.blocking, finding.confidence) == (2, True, 0.8)


def test_a_failure_that_never_touches_the_change_is_not_blocking() -> None:
    report = _report(Frame("tests/test_shop.py", 4, "test_area"), Frame("pkg/shop.py", 8, "other"))
    (finding,) = findings_for(report, CHANGED, _spans, lambda p, n: ["other"], "", "/tmp/box")
    assert (finding.path, finding.start_line, finding.blocking) == ("tests/test_shop.py", 3, False)
    assert "may have been failing before" in finding.message
    assert findings_for(TestReport(True, 0), CHANGED, _spans, lambda p, n: [], "", "/tmp/box") == []


def test_a_deletion_only_change_is_anchored_at_the_deletion_point() -> None:
    new = "def area(w, h):\n    return w\n"
    diff = "--- a/shop.py\n+++ b/shop.py\n@@ -1,3 +1,2 @@\n def area(w, h):\n-    w = w * h\n     return w\n"
    changed = {c.path: c for c in parse_diff(diff)}
    spans = functions(PYTHON, new.encode())
    report = _report(Frame("tests/test_shop.py", 4, "test_area"))
    (finding,) = findings_for(report, changed, lambda p: spans, lambda p, n: ["area"], "", "/tmp/box")
    assert (finding.path, finding.start_line, finding.blocking) == ("shop.py", 1, True)
