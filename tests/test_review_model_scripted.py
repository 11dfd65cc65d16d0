"""The model stage's control flow (necessity, self-score, drops, budget) with a scripted model."""

from __future__ import annotations

import json

from codeloop.analysis.python_lang import PYTHON
from codeloop.core.review.engine import ReviewInput, ReviewOptions, review
from codeloop.core.review.model_review import COMMENT_SCHEMA, ModelReviewer
from tests.fakes import ScriptedBackend

OLD = "def a(x):\n    return x + 1\n\n\ndef b(x):\n    return x * 2\n\n\ndef c(x):\n    return x - 3\n"
NEW = OLD.replace("x + 1", "x + 2").replace("x * 2", "x * 3").replace("x - 3", "x - 4")
DIFF = (
    "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n def a(x):\n-    return x + 1\n+    return x + 2\n"
    "@@ -5,2 +5,2 @@\n def b(x):\n-    return x * 2\n+    return x * 3\n"
    "@@ -9,2 +9,2 @@\n def c(x):\n-    return x - 3\n+    return x - 4\n"
)


def _comment(label: str, blocking: bool, score: int) -> str:
    return json.dumps({"label": label, "blocking": blocking, "comment": "the offset changed; callers expecting +1 break, restore it", "score": score})


def _review(backend: ScriptedBackend, budget: float = 60.0):  # type: ignore[no-untyped-def]
    inp = ReviewInput(DIFF, {"m.py": NEW}.get, {"m.py": OLD}.get, lambda: {"m.py": NEW})
    loop = review(inp, None, ModelReviewer(lambda: backend), lambda p: PYTHON, ReviewOptions(time_budget=budget, run_tests=False))
    try:
        while True:
            next(loop)
    except StopIteration as stop:
        return stop.value


def test_scripted_necessity_then_comment_with_low_scores_dropped() -> None:
    backend = ScriptedBackend(["yes", _comment("issue", True, 5), "no", "yes", _comment("nitpick", True, 2)])
    result = _review(backend)
    (finding,) = result.findings
    assert (finding.path, finding.start_line, finding.end_line, finding.label, finding.blocking) == ("m.py", 2, 2, "issue", True)
    assert finding.confidence == 1.0 and finding.source == "model"
    assert result.dropped == 1 and result.model_calls == 5
    necessity = backend.history[0]
    assert necessity.grammar is not None and "return x + 2" in necessity.messages[-1].content
    assert "def a(x):" in necessity.messages[-1].content  # the enclosing function is the context
    assert backend.history[1].json_schema == COMMENT_SCHEMA


def test_scripted_only_issues_can_block_and_garbage_is_ignored() -> None:
    result = _review(ScriptedBackend(["yes", _comment("suggestion", True, 5), "yes", "{not json", "no"]))
    (finding,) = result.findings
    assert finding.label == "suggestion" and not finding.blocking
    assert result.dropped == 0


def test_scripted_no_time_left_skips_the_model_and_says_so() -> None:
    backend = ScriptedBackend()
    result = _review(backend, budget=1.0)
    assert backend.history == [] and result.findings == []
    assert any("3 hunk(s) not reviewed" in s for s in result.skipped)
