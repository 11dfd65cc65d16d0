"""Prompts for the model tier: what a developer looks at, short, one shared prefix.

On a CPU the prompt is the scarce resource (a 0.5B model reads about 20 tokens/s, a
1.5B about 13), so every sample and round continues ONE prefix whose KV state the
model keeps: the problem (the buggy function with its docstring, the signatures of
what it calls, the failing test and what it did). What varies comes last: the
answer's prefill (answer_forms.py), or a failed attempt with its feedback.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from codeloop.core.fix.localize import TestContext
from codeloop.models.base import Message

SYSTEM = "You are an expert Python programmer. You fix bugs so that the tests pass."
_TEST_LINES = 14  # of the failing test's source; the failing line is always kept
_LINE_CHARS = 160


def failure_facts(test: TestContext) -> str:
    """The failing line and what happened there, in one or two lines:
    "`assert f([1, 2]) == 3` failed: f([1, 2]) returned 4"."""
    lines = test.details.splitlines()
    arrows = [ln[1:].strip() for ln in lines if ln.startswith(">")]
    errors = [_readable(ln[1:].strip()) for ln in lines if ln.startswith("E ")]
    failing = arrows[-1] if arrows else ""
    returned = []
    for err in errors:
        match = re.match(r"\+\s*where (.+?) = (.+)$", err)
        if match and "where" not in match.group(2):
            returned.append(f"{match.group(2)[:200]} returned {match.group(1)[:200]}")
    if failing.startswith("assert") and returned:
        return f"`{failing[:300]}` failed: " + "; ".join(returned[:2]) + "."
    message = (errors[-1] if errors else _readable(test.message.strip().split("\n")[0]))[:300]
    if failing:
        return f"`{failing[:300]}` failed with {message}" if not failing.startswith("assert") else f"`{failing[:300]}` failed: {message}"
    return message or "the test fails"


def _readable(text: str) -> str:
    return re.sub(r"<function (\w+) at 0x[0-9a-f]+>", r"\1", text)


def _test_source(test: TestContext) -> str:
    """The failing test (and helpers on its traceback), trimmed around the failing line."""
    source = "\n".join(s.rstrip() for s in test.sources) or f"# {test.test_id}"
    # A long literal says little more than its start, and every token is read at ~20/s.
    lines = [ln if len(ln) <= _LINE_CHARS else ln[:_LINE_CHARS] + " ..." for ln in source.split("\n")]
    source = "\n".join(lines)
    if len(lines) <= _TEST_LINES:
        return source
    failing = next((ln[1:].strip() for ln in reversed(test.details.splitlines()) if ln.startswith(">")), "")
    at = next((i for i, ln in enumerate(lines) if failing and ln.strip() and failing.startswith(ln.strip().removesuffix(" ..."))), 0)
    start = max(0, min(at - _TEST_LINES // 2, len(lines) - _TEST_LINES))
    return "\n".join(lines[start : start + _TEST_LINES])


def problem_messages(functions: list[tuple[str, str]], tests: list[TestContext], signatures: Sequence[str] = ()) -> tuple[Message, ...]:
    """The shared prefix: ``functions`` are (path, dedented source) of the suspects shown,
    most suspicious first; ``signatures`` of the functions they call (stubs)."""
    code = "\n\n".join(f"# {path}\n{source.rstrip()}" for path, source in functions)
    which = "One of these functions has a bug" if len(functions) > 1 else "This function has a bug"
    parts = [f"{which}:\n```python\n{code}\n```"]
    if signatures:
        parts.append("It calls:\n```python\n" + "\n".join(signatures) + "\n```")
    test = tests[0] if tests else None
    if test is not None:
        parts.append(f"This test fails:\n```python\n{_test_source(test)}\n```\n{failure_facts(test)}")
    for other in tests[1:2]:
        parts.append(f"Also failing: {failure_facts(other)}")
    # Form-neutral: asking for SEARCH/REPLACE here made a 0.5B model tack notes onto
    # copied lines; each form's prefill says what shape the answer has.
    parts.append("Fix the bug.")
    return (Message("system", SYSTEM), Message("user", "\n\n".join(parts)))


def feedback_messages(problem: tuple[Message, ...], attempt: str, failure: str) -> tuple[Message, ...]:
    """Self-debug step 1 (explain): the attempt as the model's own answer, then the real
    execution feedback. The problem prefix is unchanged, so its KV state is reused."""
    return problem + (
        Message("assistant", f"```python\n{attempt.rstrip()}\n```"),
        Message("user", f"That version still fails: {failure.strip()[:400]}\nExplain briefly what is wrong with it."),
    )


def refine_messages(feedback: tuple[Message, ...], explanation: str) -> tuple[Message, ...]:
    """Self-debug step 2 (refine): after the explanation, the fix."""
    return feedback + (
        Message("assistant", explanation.strip()[:600] or "The logic is wrong."),
        Message("user", "Write the corrected function."),
    )
