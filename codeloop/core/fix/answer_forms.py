"""The shapes a model answer may take, each with its prefill, grammar and assembly.

A small model answers reliably only when the answer's shape is forced. Every form is
a continuation of the same prompt (the shared prefix: see prompts.py); only the
prefill differs, so a form costs its own tokens and nothing more. Three forms:

- edit: SEARCH/REPLACE blocks (aider's format, which code models know). SEARCH must be
  a line of a shown function, REPLACE must differ from it (grammar): the model picks
  the place, the answer is short, it cannot come back unchanged, and two blocks may
  touch two functions, add a statement or drop one.
- whole function: the header (signature + docstring) is prefilled and a GBNF grammar
  pins the body's indentation; the model writes the body. It may come back unchanged
  (checked after, and such a draw is cheap to follow with an edit).
- single line: the function is prefilled up to a suspicious line and the grammar allows
  exactly one line there that differs from the original and carries no comment (small
  models copied the old line back, or the old "this line is wrong" marker).

``assemble`` maps an answer to {index of the shown function: its new dedented source}.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from codeloop.core.edits import (
    FENCE,
    SEARCH,
    body_grammar,
    differing_line_rules,
    extract_function,
    gbnf_literal,
    header_and_body_indent,
    is_one_function,
    parse_search_replace,
    search_replace_grammar,
)

Assembled = dict[int, str]

# What small models tack onto a rewritten line although the grammar bars '#': another
# language's comment ("  // fixed", "<!-- ... -->") or an arrow note ("  <- here").
# "a + b  // fixed" even parses (a floor division by a name that does not exist).
_TRAILING_NOTE = re.compile(r"(\s{2,}(//|<-)|\s*<!--|\s*-->)")


def without_note(line: str) -> str:
    """``line`` without a trailing note, unless the note starts inside a string."""
    for match in _TRAILING_NOTE.finditer(line):
        before = line[: match.start()]
        if before.count('"') % 2 == 0 and before.count("'") % 2 == 0:
            return before.rstrip()
    return line


@dataclass(frozen=True)
class AnswerForm:
    label: str  # "edit" | "function" | "line N" (N: 1-based line within the dedented function)
    prefill: str
    grammar: str | None
    max_tokens: int
    assemble: Callable[[str], "Assembled | None"]
    stop: tuple[str, ...] = ()


def whole_function(original: str, name: str, max_tokens: int, index: int = 0) -> AnswerForm:
    header, indent = header_and_body_indent(original)
    prefill = f"{FENCE}python\n{header}" if header else f"{FENCE}python\n"
    grammar = body_grammar(indent) if header else None

    def assemble(answer: str) -> Assembled | None:
        source = extract_function(answer, prefill, name)
        return None if source is None else {index: source}

    return AnswerForm("function", prefill, grammar, max_tokens, assemble, () if grammar else (FENCE,))


def single_line(original: str, line_index: int, index: int = 0) -> AnswerForm | None:
    """Rewrite line ``line_index`` (0-based, in the dedented function); None if it is not code."""
    lines = original.splitlines(keepends=True)
    if not 0 < line_index < len(lines) or not lines[line_index].strip() or lines[line_index].lstrip().startswith("#"):
        return None
    target = lines[line_index].rstrip("\n")
    prefix, suffix = "".join(lines[:line_index]), "".join(lines[line_index + 1 :])
    indent = target[: len(target) - len(target.lstrip())]
    # Same indentation (a line of the same block), then anything but the old line.
    rules = differing_line_rules("new", target)
    grammar = "\n".join([f"root ::= {gbnf_literal(indent)} new-{len(indent)}", *rules]) + "\n"

    def assemble(answer: str) -> Assembled | None:
        line = answer.split("\n", 1)[0]
        if not line.strip() or FENCE in line:
            return None
        if without_note(target) == target:  # a note the original did not have is dropped
            line = without_note(line)
        source = prefix + line + "\n" + suffix
        return {index: source} if is_one_function(source) else None

    return AnswerForm(f"line {line_index + 1}", f"{FENCE}python\n{prefix}", grammar, 48, assemble)


def edit_blocks(originals: Sequence[str], max_tokens: int, weights: dict[tuple[int, int], float] | None = None) -> AnswerForm:
    """SEARCH/REPLACE over the shown functions (dedented, as the prompt shows them).

    A SEARCH line found in several places goes where ``weights`` (suspiciousness of
    (function, line)) is highest, else to its first place in the prompt's order."""
    code_lines = [(f, i, line) for f, source in enumerate(originals) for i, line in enumerate(source.rstrip("\n").split("\n"))]
    body_start = {f: _body_start(source) for f, source in enumerate(originals)}
    editable = [line for f, i, line in code_lines if i >= body_start[f]]
    grammar = search_replace_grammar(editable)
    prefill = SEARCH + "\n"

    def place(search: str) -> tuple[int, int] | None:
        found = [(f, i) for f, i, line in code_lines if line == search and i >= body_start[f]]
        if not found:
            return None
        return max(found, key=lambda spot: (weights or {}).get(spot, 0.0) - found.index(spot) * 1e-9)

    def assemble(answer: str) -> Assembled | None:
        blocks = parse_search_replace(prefill + answer)
        if blocks is None:
            return None
        edited = {f: source.rstrip("\n").split("\n") for f, source in enumerate(originals)}
        spots: list[tuple[tuple[int, int], list[str]]] = []
        for search, replacement in blocks:
            spot = place(search)
            if spot is None or spot in [s for s, _ in spots]:
                return None
            spots.append((spot, replacement))
        for (f, i), replacement in sorted(spots, key=lambda item: item[0], reverse=True):
            edited[f][i : i + 1] = replacement
        result = {}
        for f in {f for (f, _), _ in spots}:
            noted = [i for i, line in enumerate(originals[f].split("\n")) if without_note(line) != line]
            lines = edited[f] if noted else [without_note(line) for line in edited[f]]
            source = "\n".join(lines) + "\n"
            if not is_one_function(source):
                return None
            result[f] = source
        return result

    return AnswerForm("edit", prefill, grammar, max_tokens, assemble)


LOCATE_PREFILL = "The buggy line is:\n```python\n"


def locate(originals: Sequence[str]) -> tuple[str, Callable[[str], "tuple[int, int] | None"]]:
    """A question, not a fix: which body line is buggy (grammar: exactly one of them).
    (grammar, answer -> (function, line index)). About 15 tokens; the single-line form
    then rewrites the line the model chose instead of one SBFL ties with all others."""
    spots: dict[str, tuple[int, int]] = {}
    for f, source in enumerate(originals):
        lines = source.rstrip("\n").split("\n")
        for i in range(_body_start(source), len(lines)):
            if lines[i].strip() and not lines[i].lstrip().startswith("#"):
                spots.setdefault(lines[i], (f, i))
    grammar = "root ::= ( " + " | ".join(gbnf_literal(line + "\n") for line in spots) + f" ) {gbnf_literal(FENCE)}\n"

    def where(answer: str) -> tuple[int, int] | None:
        return spots.get(answer.split("\n", 1)[0])

    return grammar, where


def _body_start(source: str) -> int:
    """0-based index of the first body line after the header (signature, docstring)."""
    try:
        header, _ = header_and_body_indent(source)
    except (SyntaxError, AssertionError, IndexError):
        return 1
    return max(1, header.count("\n"))
