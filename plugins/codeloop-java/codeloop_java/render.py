"""Write a planned Java extraction into the source; names for the new method."""

from __future__ import annotations

from typing import Any

from codeloop_java.resolve import text
from codeloop_java.selection import _walk

KEYWORDS = set(
    "abstract assert boolean break byte case catch char class const continue default do double else enum extends "
    "final finally float for goto if implements import instanceof int interface long native new package private "
    "protected public return short static strictfp super switch synchronized this throw throws transient try void "
    "volatile while true false null var record yield sealed permits".split()
)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _taken(tree: Any) -> set[str]:
    return {text(n) for n in _walk(tree.root_node) if n.type == "identifier"}


def check_name(name: str, taken: set[str]) -> str | None:
    if not (name.isidentifier() and name.isascii()):
        return f"{name!r} is not a Java identifier: use letters, digits and underscores, not starting with a digit"
    if name in KEYWORDS:
        return f"{name!r} is a Java keyword: choose another name"
    if name in taken:
        return f"{name!r} is already used in this file: choose a name that appears nowhere in it"
    return None


def _fallback(plan: Any, taken: set[str]) -> str:
    base = "compute" + plan.out.name[:1].upper() + plan.out.name[1:] if plan.out is not None else "extracted"
    name, n = base, 2
    while check_name(name, taken) is not None:
        name, n = f"{base}{n}", n + 1
    return name


def render(plan: Any, name: str, source: str) -> str:
    sel = plan.selection
    lines = source.splitlines(keepends=True)
    first, last = sel.statements[0].start_point[0], sel.statements[-1].end_point[0]
    method = sel.method
    def_indent = _indent(lines[method.start_point[0]])
    base = _indent(lines[first])
    unit = base[len(def_indent):] if base.startswith(def_indent) and len(base) > len(def_indent) else "    "
    if sel.block.id != method.child_by_field_name("body").id:
        body_first = [c for c in method.child_by_field_name("body").named_children]
        if body_first:
            outer = _indent(lines[body_first[0].start_point[0]])
            unit = outer[len(def_indent):] if outer.startswith(def_indent) and len(outer) > len(def_indent) else "    "
    body_indent = def_indent + unit
    strings = {r for n in _walk(method) if n.type == "string_literal" for r in range(n.start_point[0] + 1, n.end_point[0] + 1)}
    moved = []
    for row in range(first, last + 1):
        line = lines[row]
        if row in strings:
            moved.append(line)
        elif not line.strip():
            moved.append("\n")
        else:
            moved.append(body_indent + (line[len(base):] if line.startswith(base) else line.lstrip(" \t")))
    if moved and not moved[-1].endswith("\n"):
        moved[-1] += "\n"
    args = ", ".join(p.name for p in plan.params)
    call = f"{name}({args})"
    if plan.returns_from_method:
        call_lines = [f"{base}return {call};\n"] if plan.return_type != "void" else [f"{base}{call};\n", f"{base}return;\n"]
    elif plan.out is not None:
        decl = f"{plan.out.type} " if plan.out_declared_inside else ""
        call_lines = [f"{base}{decl}{plan.out.name} = {call};\n"]
    else:
        call_lines = [f"{base}{call};\n"]
    if plan.out is not None and not plan.returns_from_method:
        moved.append(f"{body_indent}return {plan.out.name};\n")
        if not plan.out_declared_inside and all(p.key != plan.out.key for p in plan.params):
            moved.insert(0, f"{body_indent}{plan.out.type} {plan.out.name};\n")  # written before any read: declared here
    signature = ", ".join(f"{p.type} {p.name}" for p in plan.params)
    mods = "private static " if plan.static else "private "
    throws = f" {plan.throws}" if plan.throws else ""
    new = [f"{def_indent}{mods}{plan.type_parameters}{plan.return_type} {name}({signature}){throws} {{\n"] + moved + [f"{def_indent}}}\n"]
    end_row = method.end_point[0]
    gap = 1
    tail = lines[last + 1 : end_row + 1]
    if tail and not tail[-1].endswith("\n"):
        tail[-1] += "\n"
    return "".join(lines[:first] + call_lines + tail + ["\n"] * gap + new + lines[end_row + 1 :])
