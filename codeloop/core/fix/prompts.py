"""Prompts for the model tier, kept short: the default model is 135M parameters with a small context."""

from __future__ import annotations

from codeloop.core.fix.localize import TestContext
from codeloop.models.base import Message

SYSTEM = "You are an expert Python programmer. You fix bugs so that the tests pass."


def _tests_block(tests: list[TestContext], limit: int = 2) -> str:
    parts = []
    for test in tests[:limit]:
        source = "\n".join(test.sources) or f"# {test.test_id}"
        parts.append(f"```python\n{source.rstrip()}\n```\nError: {test.message.strip()[:300]}")
    return "\n\n".join(parts)


def repair_messages(function: str, path: str, tests: list[TestContext]) -> tuple[Message, ...]:
    user = (
        f"This function from {path} has a bug:\n```python\n{function.rstrip()}\n```\n\n"
        f"This test fails:\n{_tests_block(tests)}\n\n"
        "Write the corrected function. Keep its name and signature."
    )
    return (Message("system", SYSTEM), Message("user", user))


def line_messages(function: str, path: str, tests: list[TestContext], index: int) -> tuple[Message, ...]:
    """Ask for one line: the function is shown with the suspicious line marked."""
    lines = function.rstrip("\n").split("\n")
    lines[index] = lines[index] + "  # <- this line is wrong"
    marked = "\n".join(lines)
    user = (
        f"This function from {path} has a bug on the marked line:\n```python\n{marked}\n```\n\n"
        f"This test fails:\n{_tests_block(tests, 1)}\n\n"
        "Write the corrected function; change only the marked line."
    )
    return (Message("system", SYSTEM), Message("user", user))


def explain_messages(function: str, attempt: str, tests: list[TestContext], failure: str) -> tuple[Message, ...]:
    """Self-debug step 1: say what the code does versus what the test expects."""
    user = (
        f"Function:\n```python\n{attempt.rstrip()}\n```\n\n"
        f"Test:\n{_tests_block(tests, 1)}\n\nIt fails: {failure.strip()[:300]}\n\n"
        "In one sentence: what does the function do wrong compared with what the test expects?"
    )
    return (Message("system", SYSTEM), Message("user", user))


def refine_messages(
    function: str, path: str, attempt: str, tests: list[TestContext], failure: str, explanation: str
) -> tuple[Message, ...]:
    """Self-debug step 2: fix, given the execution feedback and the explanation."""
    user = (
        f"This function from {path} has a bug:\n```python\n{function.rstrip()}\n```\n\n"
        f"This test fails:\n{_tests_block(tests, 1)}\n\n"
        f"A previous fix attempt:\n```python\n{attempt.rstrip()}\n```\n"
        f"still fails: {failure.strip()[:300]}\n"
        + (f"Analysis: {explanation.strip()[:300]}\n" if explanation.strip() else "")
        + "\nWrite the corrected function. Keep its name and signature."
    )
    return (Message("system", SYSTEM), Message("user", user))
