"""What the new Java method takes and returns, or why it cannot exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codeloop.core.refactor import RefactorRefused

from codeloop_java.selection import _JUMP_TARGETS, _LOOPS, _NESTED, JavaSelection, _walk
from codeloop_java.resolve import Local, declarations, text, uses


@dataclass(frozen=True)
class JavaPlan:
    selection: JavaSelection
    method_name: str
    params: tuple[Local, ...]
    out: Local | None  # the one local that flows out
    out_declared_inside: bool  # the call site declares it (``T x = name(...)``)
    returns_from_method: bool
    return_type: str
    static: bool
    type_parameters: str
    throws: str


def _line(node: Any) -> int:
    return int(node.start_point[0]) + 1


def _always_exits(stmt: Any) -> bool:
    if stmt.type in ("return_statement", "throw_statement"):
        return True
    if stmt.type == "block":
        code = [c for c in stmt.named_children if "comment" not in c.type]
        return bool(code) and _always_exits(code[-1])
    if stmt.type == "if_statement":
        alt = stmt.child_by_field_name("alternative")
        return alt is not None and _always_exits(stmt.child_by_field_name("consequence")) and _always_exits(alt)
    return False


def _check_jumps(sel: JavaSelection, nodes: list[Any]) -> None:
    lo, hi = sel.statements[0].start_byte, sel.statements[-1].end_byte
    for node in nodes:
        if node.type in ("break_statement", "continue_statement", "yield_statement"):
            label = next((c for c in node.named_children if c.type == "identifier"), None)
            target = node.parent
            while target is not None:
                if label is None and target.type in (_LOOPS if node.type == "continue_statement" else _JUMP_TARGETS):
                    break
                if label is not None and target.type == "labeled_statement" and text(target.named_children[0]) == text(label):
                    break
                if node.type == "yield_statement" and target.type == "switch_expression":
                    break
                target = target.parent
            if target is None or target.start_byte < lo or target.end_byte > hi:
                word = node.type.split("_")[0]
                raise RefactorRefused(f"line {_line(node)}: `{word}` would leave the selected lines; select the whole loop or leave the jump out")
        if node.type in ("local_class_declaration", "class_declaration") and node.id != sel.method.id:
            raise RefactorRefused(f"line {_line(node)} declares a local class: leave it out of the selection")


def _header(method: Any) -> tuple[bool, str, str, str]:
    mods = next((c for c in method.children if c.type == "modifiers"), None)
    static = mods is not None and "static" in text(mods).split()
    tparams = method.child_by_field_name("type_parameters")
    kind = method.child_by_field_name("type")
    throws = next((c for c in method.children if c.type == "throws"), None)
    return static, text(tparams) + " " if tparams is not None else "", text(kind) if kind is not None else "void", text(throws) if throws is not None else ""


def plan(sel: JavaSelection) -> JavaPlan:
    method = sel.method
    lo, hi = sel.statements[0].start_byte, sel.statements[-1].end_byte
    inside = lambda n: lo <= n.start_byte < hi  # noqa: E731
    same = [n for stmt in sel.code for n in _walk(stmt, _NESTED)]
    _check_jumps(sel, same)
    locals_ = declarations(method)
    all_uses = uses(method, locals_)
    _check_final_fields(sel, same, locals_)
    loop = None
    node = sel.block
    while node is not None and node.id != method.id:
        if node.type in _LOOPS:
            loop = node
        node = node.parent
    top_level = {s.id for s in sel.code}

    params: dict[int, Local] = {}
    outs: dict[int, tuple[Local, bool]] = {}
    relevant = {u.local.key: u.local for u in all_uses if inside(u.node)}
    relevant.update({loc.key: loc for loc in locals_ if inside(loc.node)})
    for local in relevant.values():
        mine = [u for u in all_uses if u.local.key == local.key]
        in_s = [u for u in mine if inside(u.node)]
        after = [u for u in mine if not inside(u.node) and (u.node.start_byte >= hi or (loop is not None and loop.start_byte <= u.node.start_byte < loop.end_byte and loop.start_byte >= local.scope.start_byte))]
        declared_inside = inside(local.node)
        if declared_inside:
            if after and _declaring_statement(local).id in top_level:
                outs[local.key] = (local, True)
            continue
        if not in_s:
            continue
        first = in_s[0]
        statement = _top_statement(first.node, top_level)
        plain_first_write = (
            first.write and not first.read and _statement_of(first.node, top_level)
            and not any(u.read and _top_statement(u.node, top_level) == statement for u in in_s)
        )
        if not plain_first_write:
            params[local.key] = local
        if any(u.write for u in in_s) and after:
            outs[local.key] = (local, False)
    for local, declared_inside in outs.values():
        if local.type == "var" or (local.type.endswith("...")):
            raise RefactorRefused(f"{local.name} has no explicit type (var): give it one before extracting lines {sel.start}-{sel.end}")
    for local in params.values():
        if local.type == "var" and local.scope.type != "lambda_expression":
            raise RefactorRefused(f"{local.name} is declared with var: give it an explicit type before extracting lines {sel.start}-{sel.end}")
        if local.scope.type == "lambda_expression":
            raise RefactorRefused(f"{local.name} is a lambda parameter: extract inside a method body, not a lambda")

    static, tparams, method_type, throws = _header(method)
    returns = any(n.type == "return_statement" for n in same)
    if returns and not _always_exits(sel.code[-1]):
        first = next(n for n in same if n.type == "return_statement")
        raise RefactorRefused(
            f"line {_line(first)} returns, but lines {sel.start}-{sel.end} can also run past their end: extend the "
            "selection so that every path ends in a return, or leave the return out"
        )
    if returns:
        outs = {}
    if len(outs) > 1:
        names = ", ".join(sorted(l.name for l, _ in outs.values()))
        raise RefactorRefused(
            f"more than one local flows out of lines {sel.start}-{sel.end} ({names}): a Java method returns one value; "
            "select fewer statements"
        )
    out = next(iter(outs.values()), None)
    name = method.child_by_field_name("name")
    if method.type == "constructor_declaration":
        method_type = "void"
    return JavaPlan(
        selection=sel,
        method_name=text(name),
        params=tuple(params.values()),
        out=out[0] if out else None,
        out_declared_inside=bool(out and out[1]),
        returns_from_method=returns,
        return_type=method_type if returns else (out[0].type if out else "void"),
        static=static,
        type_parameters=tparams,
        throws=throws,
    )


def _top_statement(node: Any, top_level: set[int]) -> Any:
    while node is not None and node.id not in top_level:
        node = node.parent
    return node.id if node is not None else None


def _final_fields(method: Any) -> set[str]:
    body = method.parent
    names: set[str] = set()
    for field in body.named_children if body is not None else []:
        if field.type == "field_declaration" and any(c.type == "modifiers" and "final" in text(c).split() for c in field.children):
            names.update(text(d.child_by_field_name("name")) for d in field.children_by_field_name("declarator"))
    return names


def _check_final_fields(sel: JavaSelection, nodes: list[Any], locals_: list[Local]) -> None:
    """Only a constructor may assign a final field; a new method may not."""
    finals = _final_fields(sel.method) - {loc.name for loc in locals_}
    for node in nodes:
        if node.type == "assignment_expression":
            left = node.child_by_field_name("left")
            target = left.child_by_field_name("field") if left.type == "field_access" else left
            if target is not None and target.type == "identifier" and text(target) in finals:
                raise RefactorRefused(
                    f"line {_line(node)} assigns the final field {text(target)}, which only a constructor may do: "
                    "leave that assignment out of the selection"
                )


def _declaring_statement(local: Local) -> Any:
    node = local.node
    while node.parent is not None and node.type != "local_variable_declaration":
        node = node.parent
    return node


def _statement_of(node: Any, top_level: set[int]) -> bool:
    """True when ``node`` sits in an expression statement that is itself a selected top-level statement."""
    current = node
    while current is not None:
        if current.id in top_level:
            return current.type == "expression_statement"
        if current.type in ("lambda_expression", "class_body", "block", "if_statement", "for_statement", "while_statement"):
            return False
        current = current.parent
    return False
