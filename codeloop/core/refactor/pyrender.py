"""Write the planned extraction into the source: the new def and the call that replaces the lines."""

from __future__ import annotations

from typing import Any

from codeloop.core.refactor.pyplan import ExtractPlan


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _string_rows(nodes: list[Any]) -> set[int]:
    """Rows that continue a multi-line string: re-indenting them would change the string."""
    rows: set[int] = set()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if node.type in ("string", "concatenated_string") and node.end_point[0] > node.start_point[0]:
            rows.update(range(node.start_point[0] + 1, node.end_point[0] + 1))
        else:
            stack.extend(node.children)
    return rows


def _unit(plan: ExtractPlan, lines: list[str]) -> str:
    """The file's indentation step, read off the enclosing function."""
    fn = plan.selection.function
    body = fn.child_by_field_name("body")
    def_indent = _indent_of(lines[fn.start_point[0]])
    first = next((c for c in body.named_children if c.type != "comment"), None)
    if first is not None and first.start_point[0] > fn.start_point[0]:
        body_indent = _indent_of(lines[first.start_point[0]])
        if body_indent.startswith(def_indent) and len(body_indent) > len(def_indent):
            return body_indent[len(def_indent) :]
    return "    "


def _blank_lines(plan: ExtractPlan, lines: list[str]) -> int:
    """Keep the gap the file already uses between this def and its neighbours."""
    outer = plan.selection.outer
    top_level = outer.parent is not None and outer.parent.type == "module"
    gap = 0
    row = outer.start_point[0] - 1
    while row >= 0 and not lines[row].strip():
        gap += 1
        row -= 1
    if row < 0 or outer.prev_named_sibling is None:
        gap = 0
        row = outer.end_point[0] + 1
        while row < len(lines) and not lines[row].strip():
            gap += 1
            row += 1
        if row >= len(lines):
            gap = 0
    if gap == 0:
        gap = 2 if top_level else 1
    return min(gap, 2)


def _moved_lines(plan: ExtractPlan, lines: list[str], body_indent: str) -> list[str]:
    sel = plan.selection
    strings = _string_rows(list(sel.statements))
    base = _indent_of(lines[sel.first_row])
    out = []
    for row in range(sel.first_row, sel.last_row + 1):
        line = lines[row]
        if row in strings:
            out.append(line)
        elif not line.strip():
            out.append("\n" if line.endswith("\n") else "")
        elif line.startswith(base):
            out.append(body_indent + line[len(base) :])
        else:
            out.append(body_indent + line.lstrip(" \t"))
    if out and not out[-1].endswith("\n"):
        out[-1] += "\n"
    return out


def call_text(plan: ExtractPlan, name: str) -> str:
    target = f"{plan.receiver}." if plan.kind != "function" else ""
    call = f"{'await ' if plan.is_async else ''}{target}{name}({', '.join(plan.params)})"
    if plan.returns_from_function:
        return f"return {call}"
    if plan.returns:
        return f"{', '.join(plan.returns)} = {call}"
    return call


def definition_lines(plan: ExtractPlan, name: str, lines: list[str]) -> list[str]:
    sel = plan.selection
    def_indent = _indent_of(lines[sel.outer.start_point[0]])
    body_indent = def_indent + _unit(plan, lines)
    notes = dict(plan.annotations)
    params = [f"{p}: {notes[p]}" if p in notes else p for p in plan.params]
    if plan.kind in ("method", "classmethod") and plan.receiver:
        params.insert(0, plan.receiver)
    head = []
    if plan.kind in ("classmethod", "staticmethod"):
        head.append(f"{def_indent}@{plan.kind}\n")
    head.append(f"{def_indent}{'async ' if plan.is_async else ''}def {name}({', '.join(params)}):\n")
    head.extend(f"{body_indent}{decl}\n" for decl in plan.declarations)
    tail = []
    if plan.returns and not plan.returns_from_function:
        tail.append(f"{body_indent}return {', '.join(plan.returns)}\n")
    return head + _moved_lines(plan, lines, body_indent) + tail


def rewrite(plan: ExtractPlan, name: str, source: str) -> str:
    """The whole new source text, in the file's own line endings."""
    if "\r\n" in source:
        return _rewrite(plan, name, source.replace("\r\n", "\n")).replace("\n", "\r\n")
    return _rewrite(plan, name, source)


def _rewrite(plan: ExtractPlan, name: str, source: str) -> str:
    lines = source.splitlines(keepends=True)
    sel = plan.selection
    new_def = definition_lines(plan, name, lines)
    gap = ["\n"] * _blank_lines(plan, lines)
    end_row = sel.outer.end_point[0]
    after_def = lines[end_row + 1 :]
    fn_tail = lines[sel.last_row + 1 : end_row + 1]
    if fn_tail and not fn_tail[-1].endswith("\n"):
        fn_tail[-1] += "\n"
    indent = _indent_of(lines[sel.first_row])
    call = [f"{indent}{call_text(plan, name)}\n"]
    return "".join(lines[: sel.first_row] + call + fn_tail + gap + new_def + after_def)
