"""Parse model answers into whole-function replacements and splice them into source text.

Whole-function replacement is the edit form for small models: they rewrite a function
far more reliably than they produce a valid diff or search/replace block, and the
result is checked here by parsing before anything runs.
"""

from __future__ import annotations

import ast
import re
import textwrap

from codeloop.analysis.languages import FunctionSpan

FENCE = "```"


def function_source(text: str, span: FunctionSpan) -> str:
    """The function's source, dedented to column 0."""
    raw = text.encode("utf-8")[span.start_byte : span.end_byte].decode("utf-8")
    return textwrap.dedent(raw)


def header_and_body_indent(source: str) -> tuple[str, str]:
    """Split a dedented function into its fixed header (decorators, signature, docstring)
    and the indentation of its body.

    The header becomes the answer's prefill: the model writes only the body, so it
    cannot rename the function or drop its docstring, and spends its tokens on logic.
    """
    tree = ast.parse(source)
    node = tree.body[0]
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    lines = source.splitlines(keepends=True)
    first = node.body[0]
    body_line = lines[first.lineno - 1]
    indent = body_line[: len(body_line) - len(body_line.lstrip())] or "    "
    docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
    end = (first.end_lineno or first.lineno) if docstring else first.lineno - 1
    if end < node.lineno:  # one-line def ("def f(): return 1"): nothing to pin
        return "", indent
    header = "".join(lines[:end])
    if not header.endswith("\n"):
        header += "\n"
    return header, indent


def body_grammar(indent: str) -> str:
    """GBNF for the text after the header: indented body lines, then a closing fence.

    The first line must be a statement (not blank): otherwise a small model, having
    seen the docstring, closes the fence at once and every sample is empty.
    """
    return (
        'root ::= first line* "```"\n'
        f'first ::= "{indent}" [^ \\t\\n] [^\\n]* "\\n"\n'
        f'line ::= "{indent}" [^\\n]* "\\n" | "\\n"\n'
    )


def extract_function(answer: str, prefill: str, name: str) -> str | None:
    """The complete function ``name`` from a model answer, dedented, or None if unusable."""
    pattern = re.compile(rf"^[ \t]*(async[ \t]+)?def[ \t]+{re.escape(name)}[ \t]*\(", re.M)
    code = answer if pattern.search(answer) else prefill + answer
    if FENCE in code:
        start = code.find(FENCE)
        if pattern.search(code[:start]) is None:  # fence opens the code: skip its info line
            code = code[code.find("\n", start) + 1 :] if "\n" in code[start:] else ""
        if FENCE in code:
            code = code[: code.find(FENCE)]
    match = pattern.search(code)
    if match is None:
        return None
    lines = code[match.start() :].splitlines()
    # Keep decorators directly above the def.
    before = code[: match.start()].splitlines()
    decorators: list[str] = []
    for line in reversed(before):
        if line.strip().startswith("@"):
            decorators.insert(0, line)
        else:
            break
    def_indent = len(lines[0]) - len(lines[0].lstrip())
    body = [lines[0]]
    for line in lines[1:]:
        if line.strip() and len(line) - len(line.lstrip()) <= def_indent:
            break
        body.append(line)
    source = textwrap.dedent("\n".join(decorators + body)).rstrip() + "\n"
    return source if is_one_function(source, name) else None


def is_one_function(source: str, name: str | None = None) -> bool:
    """True when ``source`` parses as exactly one function definition (named ``name``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    if len(tree.body) != 1 or not isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    return name is None or tree.body[0].name == name


def replace_function(text: str, span: FunctionSpan, new_source: str) -> str:
    """Splice ``new_source`` (column 0) into ``text`` in place of ``span``, re-indented."""
    data = text.encode("utf-8")
    indented = textwrap.indent(new_source.rstrip("\n"), span.indent, lambda line: bool(line.strip()))
    return (data[: span.start_byte] + indented.encode("utf-8") + data[span.end_byte :]).decode("utf-8")


def same_code(a: str, b: str) -> bool:
    """True when two sources differ only in formatting or comments."""
    try:
        return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))
    except SyntaxError:
        return a == b
