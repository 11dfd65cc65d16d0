"""Local variables of a Java method: declarations, and which identifier means which local."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_NESTED = ("lambda_expression", "class_body")


@dataclass(frozen=True)
class Local:
    name: str
    type: str  # as written ("var" when inferred)
    node: Any  # the identifier that declares it
    scope: Any  # where it is visible
    final: bool = False

    @property
    def key(self) -> int:
        return int(self.node.id)


@dataclass(frozen=True)
class Use:
    local: Local
    node: Any
    read: bool
    write: bool
    nested: bool  # inside a lambda or anonymous/local class


def text(node: Any) -> str:
    return node.text.decode("utf-8", "replace")  # type: ignore[no-any-return]


def _dims(declarator: Any) -> str:
    dims = declarator.child_by_field_name("dimensions")
    return text(dims) if dims is not None else ""


def _is_final(node: Any) -> bool:
    return any(c.type == "modifiers" and "final" in text(c).split() for c in node.children)


def declarations(method: Any) -> list[Local]:
    found: list[Local] = []
    params = method.child_by_field_name("parameters")
    for p in params.named_children if params is not None else []:
        if p.type == "formal_parameter":
            found.append(Local(text(p.child_by_field_name("name")), text(p.child_by_field_name("type")) + _dims(p), p.child_by_field_name("name"), method, _is_final(p)))
        elif p.type == "spread_parameter":
            kind = next(c for c in p.named_children if c.type not in ("modifiers", "variable_declarator"))
            decl = next(c for c in p.named_children if c.type == "variable_declarator")
            found.append(Local(text(decl.child_by_field_name("name")), text(kind) + "...", decl.child_by_field_name("name"), method))
    stack = [method.child_by_field_name("body")]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type == "local_variable_declaration":
            kind = text(node.child_by_field_name("type"))
            scope = node.parent
            for decl in node.children_by_field_name("declarator"):
                found.append(Local(text(decl.child_by_field_name("name")), kind + _dims(decl), decl.child_by_field_name("name"), scope, _is_final(node)))
        elif node.type == "enhanced_for_statement":
            found.append(Local(text(node.child_by_field_name("name")), text(node.child_by_field_name("type")), node.child_by_field_name("name"), node))
        elif node.type == "catch_formal_parameter":
            found.append(Local(text(node.child_by_field_name("name")), "Exception", node.child_by_field_name("name"), node.parent))
        elif node.type == "resource" and node.child_by_field_name("name") is not None:
            found.append(Local(text(node.child_by_field_name("name")), text(node.child_by_field_name("type")), node.child_by_field_name("name"), node.parent.parent))
        elif node.type == "instanceof_expression" and node.child_by_field_name("name") is not None:
            block = node.parent
            while block.type not in ("block", "constructor_body"):
                block = block.parent
            found.append(Local(text(node.child_by_field_name("name")), text(node.child_by_field_name("right")), node.child_by_field_name("name"), block))
        elif node.type == "lambda_expression":
            params = node.child_by_field_name("parameters")
            ids = [params] if params is not None and params.type == "identifier" else []
            for p in params.named_children if params is not None and params.type != "identifier" else []:
                ids.append(p.child_by_field_name("name") if p.type == "formal_parameter" else p)
            found.extend(Local(text(i), "var", i, node) for i in ids if i is not None and i.type == "identifier")
    return found


def _skipped(node: Any) -> bool:
    """Identifiers that never name a local: fields, method names, labels, declared names."""
    parent = node.parent
    if parent is None:
        return True
    if parent.type == "field_access" and parent.child_by_field_name("field") is not None and parent.child_by_field_name("field").id == node.id:
        return True
    if parent.type in ("method_invocation", "method_reference") and parent.child_by_field_name("name") is not None and parent.child_by_field_name("name").id == node.id:
        return True
    return parent.type in ("labeled_statement", "break_statement", "continue_statement", "scoped_identifier", "marker_annotation", "annotation", "switch_label")


def uses(method: Any, locals_: list[Local]) -> list[Use]:
    """Every identifier in the method that names one of ``locals_`` (declarations excluded)."""
    declaring = {loc.key for loc in locals_}
    by_name: dict[str, list[Local]] = {}
    for loc in locals_:
        by_name.setdefault(loc.name, []).append(loc)
    found = []
    stack = [method.child_by_field_name("body")]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type != "identifier" or node.id in declaring or _skipped(node) or text(node) not in by_name:
            continue
        local = _resolve(node, by_name[text(node)])
        if local is None:
            continue
        read, write = _access(node)
        found.append(Use(local, node, read, write, _nested(node, local)))
    found.sort(key=lambda u: u.node.start_byte)
    return found


def _resolve(node: Any, candidates: list[Local]) -> Local | None:
    best = None
    for loc in candidates:
        if loc.scope.start_byte <= node.start_byte < loc.scope.end_byte and loc.node.start_byte <= node.start_byte:
            if best is None or loc.scope.start_byte >= best.scope.start_byte:
                best = loc
    return best


def _access(node: Any) -> tuple[bool, bool]:
    parent = node.parent
    if parent.type == "assignment_expression" and parent.child_by_field_name("left").id == node.id:
        operator = parent.child_by_field_name("operator")
        plain = operator is not None and text(operator) == "="
        return (not plain), True
    if parent.type == "update_expression":
        return True, True
    return True, False


def _nested(node: Any, local: Local) -> bool:
    current = node.parent
    while current is not None and current.id != local.scope.id:
        if current.type in _NESTED:
            return True
        current = current.parent
    return False
