"""Signatures of the functions a suspect calls: what a developer glances at before
editing a call site (arguments, their order, what comes back), in a few tokens."""

from __future__ import annotations

import ast
import textwrap

from codeloop.analysis.functions import called_names, functions
from codeloop.analysis.languages import FunctionSpan
from codeloop.core.edits import function_source
from codeloop.core.fix.context import RepairContext
from codeloop.core.fix.localize import Suspect


def signature_of(source: str) -> str | None:
    """``def name(args) -> ret: ...`` (decorators dropped), with the docstring's first line
    as a comment; None if ``source`` is not one function."""
    try:
        node = ast.parse(source).body[0]
    except (SyntaxError, IndexError):
        return None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.body[0].lineno == node.lineno:
        return None
    lines = source.split("\n")[node.lineno - 1 : node.body[0].lineno - 1]
    while lines and not lines[-1].rstrip().endswith(":"):  # comments between signature and body
        lines.pop()
    if not lines:
        return None
    text = "\n".join(lines).rstrip() + " ..."
    doc = ast.get_docstring(node)
    if doc and doc.strip():
        text += f"  # {doc.strip().splitlines()[0][:100]}"
    return text


def callee_signatures(ctx: RepairContext, shown: list[Suspect], limit: int = 5) -> list[str]:
    """Signatures of the repo functions the ``shown`` suspects call, not shown themselves
    (nor defined inside them); found through the symbol index when the run has one."""
    inside = [(s.path, s.function) for s in shown]
    found: list[str] = []
    for suspect in shown:
        language = ctx.language_for(suspect.path)
        if language is None:
            continue
        for name in called_names(language, ctx.read(suspect.path).encode("utf-8"), suspect.function):
            for rel, span in _definitions(ctx, name):
                if any(rel == path and f.start_byte <= span.start_byte < f.end_byte for path, f in inside):
                    continue
                text = signature_of(function_source(ctx.read(rel), span))
                if text is not None and text not in found:
                    found.append(textwrap.dedent(text))
                if len(found) >= limit:
                    return found
    return found


def _definitions(ctx: RepairContext, name: str) -> list[tuple[str, FunctionSpan]]:
    from codeloop.analysis.functions import enclosing_function

    spans: list[tuple[str, FunctionSpan]] = []
    if ctx.find_definitions is not None:
        for rel, line in ctx.find_definitions(name):
            language = ctx.language_for(rel)
            if language is None or language.is_test_file(rel) or rel not in ctx.files:
                continue
            span = enclosing_function(language, ctx.read(rel).encode("utf-8"), line)
            if span is not None and span.name == name:
                spans.append((rel, span))
        return spans
    for rel in ctx.files:  # no index: scan the source files that mention the name
        language = ctx.language_for(rel)
        if language is None or language.is_test_file(rel):
            continue
        text = ctx.read(rel)
        if name in text:
            spans += [(rel, span) for span in functions(language, text.encode("utf-8")) if span.name == name]
    return spans
