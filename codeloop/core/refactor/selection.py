"""Turn ``--lines START-END`` into whole statements of one block inside one function."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codeloop.core.refactor import RefactorRefused
from codeloop.core.errors import InvalidInput

_COMPOUND = {
    "if_statement": "if",
    "for_statement": "for",
    "while_statement": "while",
    "try_statement": "try",
    "with_statement": "with",
    "function_definition": "def",
    "class_definition": "class",
    "decorated_definition": "decorated def",
    "match_statement": "match",
}
_SUB_BLOCK_HOLDERS = ("elif_clause", "else_clause", "except_clause", "except_group_clause", "finally_clause", "case_clause", "block")


@dataclass(frozen=True)
class Selection:
    start: int  # the user's lines, 1-based inclusive
    end: int
    function: Any  # the function_definition the statements live in
    outer: Any  # that function with its decorators (what the new def goes after)
    block: Any  # the block holding the selected statements
    statements: tuple[Any, ...]  # selected children of ``block`` (comments included)
    klass: Any | None  # class_definition when ``function`` is a method

    @property
    def code(self) -> list[Any]:
        return [s for s in self.statements if s.type != "comment"]

    @property
    def first_row(self) -> int:
        return int(self.statements[0].start_point[0])

    @property
    def last_row(self) -> int:
        return int(self.statements[-1].end_point[0])

    @property
    def start_byte(self) -> int:
        return int(self.statements[0].start_byte)

    @property
    def end_byte(self) -> int:
        return int(self.statements[-1].end_byte)


def trim_blank_lines(lines: list[str], start: int, end: int) -> tuple[int, int]:
    """The 0-based first and last non-blank lines of START..END (1-based); refuse all-blank."""
    s0, e0 = start - 1, end - 1
    while s0 <= e0 and not lines[s0].strip():
        s0 += 1
    while e0 >= s0 and not lines[e0].strip():
        e0 -= 1
    if s0 > e0:
        raise RefactorRefused(f"lines {start}-{end} are blank: select the statements to extract")
    return s0, e0


def _rows(node: Any) -> tuple[int, int]:
    return int(node.start_point[0]), int(node.end_point[0])


def _name(node: Any) -> str:
    name = node.child_by_field_name("name")
    return name.text.decode() if name is not None else "?"


def _functions(node: Any) -> list[Any]:
    found = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "function_definition":
            found.append(current)
        stack.extend(current.named_children)
    return found


def _outer(function: Any) -> Any:
    parent = function.parent
    return parent if parent is not None and parent.type == "decorated_definition" else function


def _enclosing(root: Any, s0: int, e0: int, start: int, end: int) -> Any:
    best = None
    for fn in _functions(root):
        body = fn.child_by_field_name("body")
        if body is None or not (int(fn.start_point[0]) < s0 <= e0 <= int(fn.end_point[0])):
            continue
        header = fn.child_by_field_name("return_type") or fn.child_by_field_name("parameters")
        if _rows(header)[1] < s0 and (best is None or fn.start_byte > best.start_byte):
            best = fn
    if best is None:
        for fn in _functions(root):
            if _rows(_outer(fn))[0] >= s0 and _rows(_outer(fn))[0] <= e0:
                raise RefactorRefused(
                    f"lines {start}-{end} include the def line of {_name(fn)} (line {_rows(fn)[0] + 1}): "
                    "select statements inside a function body"
                )
        raise RefactorRefused(
            f"lines {start}-{end} are not inside a function body: extract-method moves statements out of a def "
            "(module-level and class-level code is left alone)"
        )
    return best


def _cut(child: Any, start: int, end: int) -> RefactorRefused:
    a, b = _rows(child)
    if child.type in _COMPOUND:
        kw = _COMPOUND[child.type]
        if a + 1 < start:
            return RefactorRefused(
                f"lines {start}-{end} start inside the {kw} block at lines {a + 1}-{b + 1}: select all of "
                f"lines {a + 1}-{b + 1}, or only whole statements inside one of its blocks"
            )
        return RefactorRefused(
            f"line {a + 1} starts a {kw} block that ends at line {b + 1}, after the selection: "
            f"extend the selection to line {b + 1} or start it after line {a + 1}"
        )
    return RefactorRefused(
        f"lines {start}-{end} cut the statement at lines {a + 1}-{b + 1} in half: select whole statements "
        f"(all of lines {a + 1}-{b + 1})"
    )


def _sub_blocks(node: Any) -> list[Any]:
    found = []
    for child in node.named_children:
        if child.type == "block":
            found.append(child)
        elif child.type in _SUB_BLOCK_HOLDERS:
            found.extend(_sub_blocks(child))
    return found


def _block_for(function: Any, s0: int, e0: int, start: int, end: int) -> tuple[Any, list[Any]]:
    block = function.child_by_field_name("body")
    while True:
        overlapping = [c for c in block.named_children if _rows(c)[1] >= s0 and _rows(c)[0] <= e0]
        if not overlapping:
            raise RefactorRefused(f"lines {start}-{end} hold no statements: select the statements to extract")
        inside = all(s0 <= _rows(c)[0] and _rows(c)[1] <= e0 for c in overlapping)
        if inside:
            return block, overlapping
        cut = next(c for c in overlapping if not (s0 <= _rows(c)[0] and _rows(c)[1] <= e0))
        if len(overlapping) > 1 or cut.type in ("class_definition", "function_definition", "decorated_definition"):
            if len(overlapping) == 1 and cut.type == "class_definition":
                raise RefactorRefused(
                    f"lines {start}-{end} are in the body of class {_name(cut)}, not in a function: "
                    "extract-method moves statements out of a def"
                )
            raise _cut(cut, start, end)
        holder = next((b for b in _sub_blocks(cut) if _rows(b)[0] <= s0 and _rows(b)[1] >= e0 and _rows(b)[0] > _rows(cut)[0]), None)
        if holder is None:
            raise _cut(cut, start, end)
        block = holder


def _is_docstring(function: Any, statement: Any) -> bool:
    body = function.child_by_field_name("body")
    first = next((c for c in body.named_children if c.type != "comment"), None)
    return (
        first is not None
        and first.id == statement.id
        and statement.type == "expression_statement"
        and len(statement.named_children) == 1
        and statement.named_children[0].type in ("string", "concatenated_string")
    )


def select(tree: Any, lines: list[str], start: int, end: int) -> Selection:
    """The statements on lines ``start``..``end`` (1-based, inclusive), or RefactorRefused."""
    if start < 1 or end < start:
        raise InvalidInput("lines", f"{start}-{end} is not a range: pass START-END with 1 <= START <= END")
    if end > len(lines):
        raise InvalidInput("lines", f"{start}-{end} is past the end of the file ({len(lines)} lines)")
    s0, e0 = trim_blank_lines(lines, start, end)
    function = _enclosing(tree.root_node, s0, e0, start, end)
    block, statements = _block_for(function, s0, e0, start, end)
    code = [s for s in statements if s.type != "comment"]
    if not code:
        raise RefactorRefused(f"lines {start}-{end} hold only comments: select the statements to extract")
    if block.id == function.child_by_field_name("body").id and _is_docstring(function, code[0]):
        raise RefactorRefused(
            f"line {_rows(code[0])[0] + 1} is the docstring of {_name(function)}: start the selection after it"
        )
    parent = _outer(function).parent
    klass = parent.parent if parent is not None and parent.parent is not None and parent.parent.type == "class_definition" else None
    return Selection(start, end, function, _outer(function), block, tuple(statements), klass)
