"""Turn --lines into whole statements of one block inside one Java method."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codeloop.core.refactor import RefactorRefused
from codeloop.core.refactor.selection import trim_blank_lines
from codeloop.core.errors import InvalidInput

_METHODS = ("method_declaration", "constructor_declaration")
_LOOPS = ("for_statement", "enhanced_for_statement", "while_statement", "do_statement")
_JUMP_TARGETS = _LOOPS + ("switch_expression", "switch_statement")
_NESTED = ("lambda_expression", "class_body")


@dataclass(frozen=True)
class JavaSelection:
    start: int
    end: int
    method: Any
    block: Any
    statements: tuple[Any, ...]

    @property
    def code(self) -> list[Any]:
        return [s for s in self.statements if "comment" not in s.type]


def _rows(node: Any) -> tuple[int, int]:
    return int(node.start_point[0]), int(node.end_point[0])


def _parse(source: str) -> Any:
    from codeloop.analysis.languages import parser_for

    from codeloop.analysis.java_lang import JAVA

    return parser_for(JAVA).parse(source.encode("utf-8"))


def _walk(node: Any, stop: tuple[str, ...] = ()) -> list[Any]:
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        found.append(current)
        if current.type in stop and current.id != node.id:
            continue
        stack.extend(current.named_children)
    return found


def _method_for(root: Any, s0: int, e0: int, start: int, end: int) -> Any:
    best = None
    for node in _walk(root):
        body = node.child_by_field_name("body") if node.type in _METHODS else None
        if body is not None and _rows(body)[0] < s0 and e0 < _rows(body)[1]:
            if best is None or node.start_byte > best.start_byte:
                best = node
    if best is None:
        raise RefactorRefused(f"lines {start}-{end} are not statements inside one method body: select lines between its braces")
    return best


def _cut(node: Any, start: int, end: int) -> RefactorRefused:
    a, b = _rows(node)
    return RefactorRefused(
        f"lines {start}-{end} cut the {node.type.replace('_', ' ')} at lines {a + 1}-{b + 1}: select all of "
        f"lines {a + 1}-{b + 1}, or only whole statements inside one of its blocks"
    )


def select(tree: Any, lines: list[str], start: int, end: int) -> JavaSelection:
    if start < 1 or end < start or end > len(lines):
        raise InvalidInput("lines", f"{start}-{end} is outside the file (1-{len(lines)})")
    s0, e0 = trim_blank_lines(lines, start, end)
    method = _method_for(tree.root_node, s0, e0, start, end)
    block = method.child_by_field_name("body")
    while True:
        overlapping = [c for c in block.named_children if _rows(c)[1] >= s0 and _rows(c)[0] <= e0]
        if not [c for c in overlapping if "comment" not in c.type]:
            raise RefactorRefused(f"lines {start}-{end} hold no statements: select the statements to extract")
        cut = [c for c in overlapping if not (s0 <= _rows(c)[0] and _rows(c)[1] <= e0)]
        if not cut:
            break
        inner = [
            b for b in _walk(cut[0], _NESTED) if b.type == "block" and _rows(b)[0] < s0 and e0 < _rows(b)[1] and b.id != block.id
        ]
        if len(cut) > 1 or not inner or any(n.type in _NESTED for n in _ancestors(inner[-1], cut[0])):
            raise _cut(cut[0], start, end)
        block = min(inner, key=lambda b: b.end_byte - b.start_byte)
    for stmt in overlapping:
        if stmt.type == "explicit_constructor_invocation":
            raise RefactorRefused(f"line {_rows(stmt)[0] + 1} calls this(...)/super(...), which must stay first in the constructor")
    return JavaSelection(start, end, method, block, tuple(overlapping))


def _ancestors(node: Any, top: Any) -> list[Any]:
    found = []
    node = node.parent
    while node is not None and node.id != top.id:
        found.append(node)
        node = node.parent
    return found
