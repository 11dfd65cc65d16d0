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
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # ValueError: a NUL or a lone surrogate
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
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return a == b


# -- answers that must change something ------------------------------------------------
# A small model asked to fix a function often copies it back unchanged (or copies a
# marker comment back): a wasted sample. The grammars below make such answers
# impossible: the rewritten line must differ from the original one, and no line may
# carry a comment (nothing to echo).

SEARCH, DIVIDER, REPLACE = "<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE"


def gbnf_char(ch: str) -> str:
    """``ch`` escaped for a GBNF string literal or character class."""
    if ch.isalnum() or ch in " _.,:;()=+*/<>!%&|{}'@$?~`":
        return ch
    code = ord(ch)
    return f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}"


def gbnf_literal(text: str) -> str:
    return '"' + "".join(gbnf_char(c) for c in text) + '"'


def strip_comment(line: str) -> str:
    """``line`` without a trailing ``# comment`` (a '#' inside a string literal stays)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            return line[:i].rstrip()
    return line.rstrip()


def differing_line_rules(name: str, line: str) -> list[str]:
    """GBNF rules: ``name`` is one non-blank line (with its newline) that differs from
    ``line`` and has no '#'. A chain of rules, one per character: follow the original for
    a while, then leave it (another character, an early end past the indentation, or
    more text after its end)."""
    line = strip_comment(line)
    indent = len(line) - len(line.lstrip())
    rules = []
    for j, ch in enumerate(line):
        options = []
        if j > 0 or indent == 0:  # an indented line stays indented: prose cannot slip in
            options.append(f"[^{gbnf_char(ch)}\\x0A\\x23] [^\\x0A\\x23]* \"\\n\"")
        if j > indent:
            options.append('"\\n"')
        options.append(f"{gbnf_literal(ch)} {name}-{j + 1}")
        rules.append(f"{name}-{j} ::= " + " | ".join(options))
    # Past the original's end, a continuation must read as code: an operator, a call or
    # an index, at most one space first. Models forced to differ otherwise copy the line
    # and tack junk on ("balance = 0 0 0 0", "x = 1  <<<<<<<", "x = 1  This fixes ...").
    rules.append(f"{name}-{len(line)} ::= \" \"? [-+*/%<>=!&|^.,(\\x5B\\x5D@] [^\\x0A\\x23]* \"\\n\"")
    rules.append(f"{name} ::= {name}-0")
    return rules


# Any further replacement line: indented code (the shown functions' bodies are) without
# a comment, never a marker line nor prose; small models otherwise ramble on in it.
_CODE_LINE = 'code-line ::= [ \\t]+ [^ \\t\\x0A\\x23=>] [^\\x0A\\x23]* "\\n" | "\\n"'


def search_replace_grammar(lines: list[str], max_blocks: int = 2) -> str:
    """GBNF for 1..``max_blocks`` SEARCH/REPLACE blocks, the first block's SEARCH header
    prefilled. SEARCH is exactly one of ``lines`` (the code lines shown to the model);
    REPLACE is 0+ lines and never the same as SEARCH: a different first line (then any
    lines: a statement added after the change, or the old line after a new statement),
    or nothing (a statement too many). Copying SEARCH and appending was allowed once;
    small models then copied and went on copying the function."""
    unique = list(dict.fromkeys(line for line in lines if line.strip() and not line.lstrip().startswith("#")))
    alternatives, rules = [], []
    for k, line in enumerate(unique):
        rules += differing_line_rules(f"d{k}", line)
        rules.append(f"s{k} ::= {gbnf_literal(line + chr(10))} sep ( d{k} code-line* | \"\" )")
        alternatives.append(f"s{k}")
    end = gbnf_literal(REPLACE + chr(10))
    more = " ".join(["block?"] * (max_blocks - 1))
    return "\n".join([
        f"root ::= body {more}".rstrip(),
        f"body ::= ( {' | '.join(alternatives)} ) {end}",
        f"block ::= {gbnf_literal(SEARCH + chr(10))} body",
        f"sep ::= {gbnf_literal(DIVIDER + chr(10))}",
        _CODE_LINE,
        *rules,
    ]) + "\n"


def parse_search_replace(answer: str) -> list[tuple[str, list[str]]] | None:
    """The (search line, replacement lines) of each block, or None when any block is
    malformed: strict, a half-written block is not guessed at."""
    blocks: list[tuple[str, list[str]]] = []
    lines = answer.split("\n")
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        if lines[i].strip() != SEARCH or i + 2 >= len(lines) or lines[i + 2].strip() != DIVIDER:
            return None
        search = lines[i + 1]
        j = i + 3
        while j < len(lines) and lines[j].strip() != REPLACE:
            j += 1
        if j == len(lines):
            return None
        blocks.append((search, lines[i + 3 : j]))
        i = j + 1
    return blocks or None
