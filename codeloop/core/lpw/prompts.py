"""LPW prompts, kept short (the default model is 135M parameters), and the grammars
that make a small model answer in a form we can parse.

The paper's prompts are ~3k tokens of few-shot examples; here each step is one short
instruction plus a grammar or JSON schema, so the answer always parses.
"""

from __future__ import annotations

from codeloop.core.lpw.spec import Example, Spec
from codeloop.models.base import Message

SYSTEM = "You are an expert Python programmer."

# A numbered plan: 2 to 5 one-line steps (the prefill writes "1. ").
PLAN_GRAMMAR = (
    'root ::= step ("\\n" [2-5] ". " step){1,4} "\\n"\n'
    'step ::= [A-Za-z] [^\\n]{4,140}\n'
)
# One sentence on one line.
SENTENCE_GRAMMAR = 'root ::= [A-Za-z] [^\\n]{4,200} "\\n"\n'

# No maxLength: llama.cpp expands it into deeply nested optionals that made sampling
# ~30x slower; max_tokens bounds the answer instead.
VERIFY_SCHEMA: dict = {  # type: ignore[type-arg]
    "type": "object",
    "properties": {
        "steps": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 4},
        "result": {"type": "string"},
    },
    "required": ["steps", "result"],
}


def _stub(spec: Spec) -> str:
    return f"```python\n{spec.header.rstrip()}\n```"


def _tests(spec: Spec, limit: int = 600) -> str:
    if not spec.test_sources:
        return ""
    text = "\n".join(spec.test_sources)[:limit]
    return f"\nTests:\n```python\n{text.rstrip()}\n```"


def _clarified(spec: Spec) -> str:
    return "".join(f"\nNote: {c}" for c in spec.clarifications)


def plan_messages(spec: Spec) -> tuple[Message, ...]:
    user = (
        f"{_stub(spec)}{_tests(spec)}{_clarified(spec)}\n\n"
        f"Write a short numbered plan (2 to 5 steps) to implement {spec.name}. No code."
    )
    return (Message("system", SYSTEM), Message("user", user))


def verify_messages(spec: Spec, plan: str, example: Example) -> tuple[Message, ...]:
    user = (
        f"{_stub(spec)}\n\nPlan:\n{plan.strip()}\n\n"
        f"Follow the plan for {example.call}. Give the value after each step, "
        "then the final result as a Python literal. Answer in JSON."
    )
    return (Message("system", SYSTEM), Message("user", user))


def revise_messages(spec: Spec, plan: str, example: Example, got: str) -> tuple[Message, ...]:
    user = (
        f"{_stub(spec)}\n\nPlan:\n{plan.strip()}\n\n"
        f"This plan gives {got[:120]} for {example.call}, but the right result is {example.expected}.\n"
        "Write a corrected numbered plan (2 to 5 steps). No code."
    )
    return (Message("system", SYSTEM), Message("user", user))


def code_messages(spec: Spec, plan: str, walkthrough: str) -> tuple[Message, ...]:
    parts = [_stub(spec) + _tests(spec) + _clarified(spec)]
    if plan:
        parts.append(f"Plan:\n{plan.strip()}")
    if walkthrough:
        parts.append(f"Check:\n{walkthrough}")
    parts.append(f"Write the complete function {spec.name}" + (" following the plan." if plan else "."))
    return (Message("system", SYSTEM), Message("user", "\n\n".join(parts)))


def explain_messages(spec: Spec, code: str, failure: str, walkthrough: str, trace: str = "") -> tuple[Message, ...]:
    user = (
        f"```python\n{code.rstrip()}\n```\n\nIt fails: {failure[:300]}\n"
        + (f"Its variables, line by line:\n{trace[-400:]}\n" if trace else "")
        + (f"The plan's walk-through:\n{walkthrough}\n" if walkthrough else "")
        + "\nIn one sentence: where does the code go wrong?"
    )
    return (Message("system", SYSTEM), Message("user", user))


def fix_messages(spec: Spec, plan: str, code: str, failure: str, explanation: str) -> tuple[Message, ...]:
    parts = [_stub(spec) + _clarified(spec)]
    if plan:
        parts.append(f"Plan:\n{plan.strip()}")
    parts.append(f"This attempt:\n```python\n{code.rstrip()}\n```\nfails: {failure[:300]}")
    if explanation:
        parts.append(f"Analysis: {explanation[:300]}")
    parts.append(f"Write the corrected function {spec.name}.")
    return (Message("system", SYSTEM), Message("user", "\n\n".join(parts)))


def walkthrough_text(example: Example, steps: list[str], result: str) -> str:
    lines = [f"{example.call}:"] + [f"- {s[:120]}" for s in steps[:5]] + [f"result: {result[:120]} (expected {example.expected[:120]})"]
    return "\n".join(lines)
