"""Java extract-method: the Python extractor's rules, plus Java's one-return-value limit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeloop.core.changes import ChangeSet, FileChange
from codeloop.core.refactor import RefactorRefused
from codeloop.core.refactor.extract import Extraction
from codeloop.errors import UsageError

from codeloop_java.resolve import Local, Use, declarations, text, uses

_METHODS = ("method_declaration", "constructor_declaration")
_LOOPS = ("for_statement", "enhanced_for_statement", "while_statement", "do_statement")
_JUMP_TARGETS = _LOOPS + ("switch_expression", "switch_statement")
_NESTED = ("lambda_expression", "class_body")
KEYWORDS = set(
    "abstract assert boolean break byte case catch char class const continue default do double else enum extends "
    "final finally float for goto if implements import instanceof int interface long native new package private "
    "protected public return short static strictfp super switch synchronized this throw throws transient try void "
    "volatile while true false null var record yield sealed permits".split()
)


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

    from codeloop_java.plugin import JAVA

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
        raise UsageError(f"--lines {start}-{end} is outside the file (1-{len(lines)})")
    s0, e0 = start - 1, end - 1
    while s0 <= e0 and not lines[s0].strip():
        s0 += 1
    while e0 >= s0 and not lines[e0].strip():
        e0 -= 1
    if s0 > e0:
        raise RefactorRefused(f"lines {start}-{end} are blank: select the statements to extract")
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
    mods_node = next((c for c in method.children if c.type == "modifiers"), None)
    head_row = (mods_node or method).start_point[0]
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
    del head_row
    return "".join(lines[:first] + call_lines + tail + ["\n"] * gap + new + lines[end_row + 1 :])


class JavaExtractor:
    language = "java"

    def extract(self, source: str, path: str, start: int, end: int, name: str | None, backend: Any) -> Extraction:
        from codeloop_java.plan import plan as make_plan

        tree = _parse(source)
        if tree.root_node.has_error:
            raise RefactorRefused("the file does not parse as Java: fix the syntax error first")
        plan = make_plan(select(tree, source.splitlines(keepends=True), start, end))
        taken = _taken(tree)
        if name is not None:
            problem = check_name(name, taken)
            if problem is not None:
                raise UsageError(f"--name {problem}")
            how = "given"
        else:
            name, how = _fallback(plan, taken), "fallback"
        after = render(plan, name, source)
        if _parse(after).root_node.has_error:
            raise RefactorRefused("internal check failed: the rewritten file does not parse; nothing was changed")
        details = {
            "function": plan.method_name,
            "params": [p.name for p in plan.params],
            "returns": [plan.out.name] if plan.out is not None else [],
            "lines": [start, end],
        }
        return Extraction(ChangeSet((FileChange(path, source, after),)), name, how, details, plan)

    def check_built(self, workdir: Path, path: str) -> str | None:
        from codeloop_java.javac import compile_problem

        return compile_problem(workdir, path)
