"""The model's part of a review, per hunk, in the LLaMA-Reviewer shape.

Step 1 asks only whether the hunk needs a comment (a yes/no grammar: the cheapest
question, and most hunks stop here). Step 2 writes one comment under a JSON schema
with a self-score; findings scored under ``min_score`` are dropped and counted, as
pr-agent drops its own low-scored suggestions. The model reads the hunk as a diff
(diff input beats before/after code) plus the enclosing function for context.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from codeloop.core.review.diffs import Hunk
from codeloop.core.review.findings import LABELS, Finding
from codeloop.models.base import Backend, CompletionRequest, Message

SYSTEM = "You are a careful senior Python reviewer. You comment only on real bugs in a code change."

EXAMPLE = (
    "Example change:\n```diff\n@@ -1,2 +1,2 @@\n def last(xs):\n-    return xs[-1]\n+    return xs[len(xs)]\n```\n"
    'Example comment: {"label": "issue", "blocking": true, "comment": "xs[len(xs)] is past the end and raises IndexError; use xs[-1].", "score": 5}'
)

NECESSITY_GRAMMAR = 'root ::= "yes" | "no"'

COMMENT_SCHEMA = {
    "type": "object",
    "properties": {
        "label": {"type": "string", "enum": list(LABELS)},
        "blocking": {"type": "boolean"},
        "comment": {"type": "string", "maxLength": 200},
        "score": {"type": "integer", "enum": [1, 2, 3, 4, 5]},
    },
    "required": ["label", "blocking", "comment", "score"],
}


def _context_block(path: str, hunk: Hunk, function: str) -> str:
    context = f"The changed function after the change:\n```python\n{function.rstrip()}\n```\n\n" if function.strip() else ""
    return f"{context}The change to {path}:\n```diff\n{hunk.text.rstrip()}\n```\n"


def necessity_messages(path: str, hunk: Hunk, function: str) -> tuple[Message, ...]:
    user = _context_block(path, hunk, function) + "\nDoes this change introduce a bug that a reviewer must point out? Answer yes or no."
    return (Message("system", SYSTEM), Message("user", user))


def comment_messages(path: str, hunk: Hunk, function: str) -> tuple[Message, ...]:
    user = (
        EXAMPLE + "\n\n" + _context_block(path, hunk, function)
        + "\nWrite one review comment on this change as JSON: label (issue, suggestion, nitpick or question), "
        "blocking (true only if the change breaks behaviour), comment (what goes wrong and the concrete fix), "
        "score (1-5: how sure you are that this is a real problem)."
    )
    return (Message("system", SYSTEM), Message("user", user))


@dataclass
class HunkVerdict:
    finding: Finding | None
    dropped: bool  # a comment was written but scored too low
    calls: int
    tokens: int


class ModelReviewer:
    def __init__(self, backend: Callable[[], Backend], min_score: int = 4, seed: int = 0) -> None:
        self._factory = backend
        self._backend: Backend | None = None
        self.min_score = min_score
        self.seed = seed

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = self._factory()
        return self._backend

    def review_hunk(self, path: str, hunk: Hunk, function: str, deadline: float | None = None) -> HunkVerdict:
        first = self.backend.complete(
            CompletionRequest(necessity_messages(path, hunk, function), max_tokens=2, grammar=NECESSITY_GRAMMAR, seed=self.seed, deadline=deadline)
        )
        tokens = first.completion_tokens
        if not first.texts or first.texts[0].strip().lower() != "yes":
            return HunkVerdict(None, False, 1, tokens)
        second = self.backend.complete(
            CompletionRequest(comment_messages(path, hunk, function), max_tokens=160, json_schema=COMMENT_SCHEMA, seed=self.seed, deadline=deadline)
        )
        tokens += second.completion_tokens
        parsed = parse_comment(second.texts[0] if second.texts else "")
        if parsed is None:
            return HunkVerdict(None, False, 2, tokens)
        label, blocking, comment, score = parsed
        if score < self.min_score:
            return HunkVerdict(None, True, 2, tokens)
        start, end = hunk.anchor
        finding = Finding(path, start, end, label, blocking and label == "issue", comment, "model", score / 5.0, rule="codeloop/model-review")
        return HunkVerdict(finding, False, 2, tokens)


def parse_comment(text: str) -> tuple[str, bool, str, int] | None:
    """Defensive: a constrained answer can still be cut off by max_tokens."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None
    if not isinstance(data, dict):
        return None
    label, blocking, comment, score = data.get("label"), data.get("blocking"), data.get("comment"), data.get("score")
    if label not in LABELS or not isinstance(blocking, bool) or not isinstance(comment, str) or not isinstance(score, int):
        return None
    comment = " ".join(comment.split())
    if len(comment) < 8:
        return None
    return label, blocking, comment, max(1, min(5, score))
