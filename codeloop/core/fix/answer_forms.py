"""The shapes a model answer may take, each with its prefill, grammar and assembly.

A small model answers reliably only when the answer's shape is forced. Two forms:

- whole function: the header (signature + docstring) is prefilled and a GBNF grammar
  pins the body's indentation; the model writes the body.
- single line: the function is prefilled up to a suspicious line and the grammar allows
  exactly one line at that line's indentation; the rest of the function is kept as it
  was. Answers are ~15 tokens instead of ~100, so the same budget tries many more
  edits exactly where SBFL points, which is what a weak model is good for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from codeloop.core.edits import (
    FENCE,
    body_grammar,
    extract_function,
    header_and_body_indent,
    is_one_function,
)


@dataclass(frozen=True)
class AnswerForm:
    label: str  # "function" | "line N" (N: 1-based line within the dedented function)
    prefill: str
    grammar: str | None
    max_tokens: int
    assemble: Callable[[str], "str | None"]  # answer text -> the new dedented function


def whole_function(original: str, name: str, max_tokens: int) -> AnswerForm:
    header, indent = header_and_body_indent(original)
    prefill = f"{FENCE}python\n{header}" if header else ""
    grammar = body_grammar(indent) if header else None
    return AnswerForm("function", prefill, grammar, max_tokens, lambda answer: extract_function(answer, prefill, name))


def _gbnf_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")


def single_line(original: str, index: int) -> AnswerForm | None:
    """Rewrite line ``index`` (0-based, in the dedented function); None if it is not code."""
    lines = original.splitlines(keepends=True)
    if not 0 < index < len(lines) or not lines[index].strip() or lines[index].lstrip().startswith("#"):
        return None
    target = lines[index]
    indent = target[: len(target) - len(target.lstrip())]
    prefix, suffix = "".join(lines[:index]), "".join(lines[index + 1 :])
    grammar = f'root ::= "{_gbnf_literal(indent)}" [^ \\t\\n] [^\\n]* "\\n"\n'

    def assemble(answer: str) -> str | None:
        line = answer.split("\n", 1)[0]
        if not line.strip() or FENCE in line:
            return None
        source = prefix + line + "\n" + suffix
        return source if is_one_function(source) else None

    return AnswerForm(f"line {index + 1}", f"{FENCE}python\n{prefix}", grammar, 48, assemble)
