"""Which names a piece of Python reads and binds, scope by scope, over tree-sitter nodes.

The walker reports occurrences in execution order (``x = x + 1`` reads ``x`` before it
binds it) because the extract-method dataflow asks "is this read reached before a
write?". Names used inside nested functions, lambdas and classes are reported only
when they are free there (they then refer to the enclosing function's variables) and
are flagged ``nested``: such reads happen whenever the closure runs, not in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LOAD, STORE, DEL, GLOBAL, NONLOCAL, ANNOT = "load", "store", "del", "global", "nonlocal", "annot"

_COMPREHENSIONS = ("list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression")
_TARGET_CONTAINERS = ("pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "expression_list", "parenthesized_expression", "as_pattern_target")


@dataclass(frozen=True)
class Occurrence:
    name: str
    kind: str  # LOAD | STORE | DEL | GLOBAL | NONLOCAL | ANNOT
    node: Any  # the identifier node (position: start_byte, start_point)
    nested: bool = False  # seen inside a nested function/lambda/class (a closure's read or nonlocal)
    definite: bool = True  # False for bindings that may not happen (walrus inside expressions)

    @property
    def row(self) -> int:
        return int(self.node.start_point[0])

    @property
    def byte(self) -> int:
        return int(self.node.start_byte)


def text(node: Any) -> str:
    return node.text.decode("utf-8", "surrogateescape")  # type: ignore[no-any-return]


class _Walker:
    def __init__(self) -> None:
        self.out: list[Occurrence] = []

    def emit(self, node: Any, kind: str, definite: bool = True) -> None:
        self.out.append(Occurrence(text(node), kind, node, False, definite))

    # -- targets (the left side of a binding) ---------------------------------
    def target(self, node: Any, kind: str = STORE, definite: bool = True) -> None:
        if node.type == "identifier":
            self.emit(node, kind, definite)
        elif node.type in _TARGET_CONTAINERS:
            for child in node.named_children:
                self.target(child, kind, definite)
        elif node.type in ("list_splat_pattern", "list_splat"):
            for child in node.named_children:
                self.target(child, kind, definite)
        else:  # attribute, subscript: the object and index are reads
            self.visit(node)

    # -- statements and expressions --------------------------------------------
    def visit(self, node: Any) -> None:
        handler = getattr(self, "visit_" + node.type, None)
        if handler is not None:
            handler(node)
        elif node.type == "identifier":
            self.emit(node, LOAD)
        elif node.type in _COMPREHENSIONS:
            self.comprehension(node)
        else:
            for child in node.named_children:
                self.visit(child)

    def visit_assignment(self, node: Any) -> None:
        right = node.child_by_field_name("right")
        annotation = node.child_by_field_name("type")
        if annotation is not None:
            self.visit(annotation)
        if right is not None:
            self.visit(right)
        left = node.child_by_field_name("left")
        if left is not None:
            self.target(left, STORE if right is not None else ANNOT)

    def visit_augmented_assignment(self, node: Any) -> None:
        left = node.child_by_field_name("left")
        if left is not None and left.type == "identifier":
            self.emit(left, LOAD)
        elif left is not None:
            self.visit(left)
        right = node.child_by_field_name("right")
        if right is not None:
            self.visit(right)
        if left is not None and left.type == "identifier":
            self.emit(left, STORE)

    def visit_named_expression(self, node: Any) -> None:
        self.visit(node.child_by_field_name("value"))
        self.emit(node.child_by_field_name("name"), STORE, definite=False)

    def visit_for_statement(self, node: Any) -> None:
        self.visit(node.child_by_field_name("right"))
        self.target(node.child_by_field_name("left"))
        for child in node.named_children[2:]:
            self.visit(child)

    def visit_as_pattern(self, node: Any) -> None:
        children = node.named_children
        for child in children[:-1]:
            self.visit(child)
        alias = node.child_by_field_name("alias")
        if alias is not None:
            self.target(alias)

    def visit_attribute(self, node: Any) -> None:
        self.visit(node.child_by_field_name("object"))

    def visit_keyword_argument(self, node: Any) -> None:
        self.visit(node.child_by_field_name("value"))

    def visit_delete_statement(self, node: Any) -> None:
        for child in node.named_children:
            self.target(child, DEL)

    def visit_global_statement(self, node: Any) -> None:
        for child in node.named_children:
            self.emit(child, GLOBAL)

    def visit_nonlocal_statement(self, node: Any) -> None:
        for child in node.named_children:
            self.emit(child, NONLOCAL)

    def visit_import_statement(self, node: Any) -> None:
        for name in node.children_by_field_name("name"):
            self._import_name(name, first_only=True)

    def visit_import_from_statement(self, node: Any) -> None:
        for name in node.children_by_field_name("name"):
            self._import_name(name, first_only=False)

    def _import_name(self, name: Any, first_only: bool) -> None:
        if name.type == "aliased_import":
            self.emit(name.child_by_field_name("alias"), STORE)
        elif name.type == "dotted_name" and name.named_children:
            self.emit(name.named_children[0] if first_only else name.named_children[-1], STORE)

    def visit_decorated_definition(self, node: Any) -> None:
        for child in node.named_children:
            self.visit(child)

    def visit_function_definition(self, node: Any) -> None:
        params = node.child_by_field_name("parameters")
        inner = _Walker()
        for param in params.named_children if params is not None else []:
            self._parameter(param, inner)
        returns = node.child_by_field_name("return_type")
        if returns is not None:
            self.visit(returns)
        self.emit(node.child_by_field_name("name"), STORE)
        inner.visit(node.child_by_field_name("body"))
        self._free_from(inner, class_scope=False)

    def visit_lambda(self, node: Any) -> None:
        params = node.child_by_field_name("parameters")
        inner = _Walker()
        for param in params.named_children if params is not None else []:
            self._parameter(param, inner)
        inner.visit(node.child_by_field_name("body"))
        self._free_from(inner, class_scope=False)

    def visit_class_definition(self, node: Any) -> None:
        supers = node.child_by_field_name("superclasses")
        if supers is not None:
            self.visit(supers)
        self.emit(node.child_by_field_name("name"), STORE)
        inner = _Walker()
        inner.visit(node.child_by_field_name("body"))
        self._free_from(inner, class_scope=True)

    def _parameter(self, param: Any, inner: _Walker) -> None:
        """Defaults and annotations are evaluated here; the names bind in ``inner``."""
        for field in ("value", "type"):
            sub = param.child_by_field_name(field)
            if sub is not None:
                self.visit(sub)
        if param.type == "identifier":
            inner.emit(param, STORE)
            return
        name = param.child_by_field_name("name")
        if name is None:
            name = next((c for c in param.named_children if c.type == "identifier"), None)
        if name is not None and name.type == "identifier":
            inner.emit(name, STORE)

    def _free_from(self, inner: _Walker, class_scope: bool) -> None:
        """Report the names a nested scope uses from outside as nested reads (or nonlocals)."""
        local = {o.name for o in inner.out if o.kind in (STORE, DEL, ANNOT) and not o.nested}
        declared = {o.name for o in inner.out if o.kind in (GLOBAL, NONLOCAL) and not o.nested}
        for occ in inner.out:
            if occ.kind == NONLOCAL:
                self.out.append(Occurrence(occ.name, NONLOCAL, occ.node, True))
            elif occ.kind == LOAD and occ.nested and class_scope:
                # a method's free name skips the class scope entirely
                self.out.append(occ)
            elif occ.kind == LOAD and occ.name not in local and occ.name not in declared:
                self.out.append(Occurrence(occ.name, LOAD, occ.node, True))
            elif occ.kind == STORE and not occ.definite and not occ.nested:
                pass  # a walrus binds in the nested scope itself

    def comprehension(self, node: Any) -> None:
        """The first iterable is evaluated here; the rest runs in the comprehension's scope."""
        clauses = [c for c in node.named_children if c.type in ("for_in_clause", "if_clause")]
        inner = _Walker()
        for i, clause in enumerate(clauses):
            if clause.type == "for_in_clause":
                right = clause.child_by_field_name("right")
                (self if i == 0 else inner).visit(right)
                inner.target(clause.child_by_field_name("left"))
            else:
                inner.visit(clause)
        for child in node.named_children:
            if child.type not in ("for_in_clause", "if_clause"):
                inner.visit(child)
        lazy = node.type == "generator_expression" and not _sole_call_argument(node)
        local = {o.name for o in inner.out if o.kind == STORE and o.definite and not o.nested}
        for occ in inner.out:
            if occ.kind == STORE and not occ.definite:
                self.out.append(occ)  # walrus in a comprehension binds in the enclosing function
            elif occ.kind in (LOAD, NONLOCAL) and (occ.nested or occ.name not in local):
                self.out.append(Occurrence(occ.name, occ.kind, occ.node, occ.nested or lazy))


def _sole_call_argument(node: Any) -> bool:
    """``f(x for x in xs)``: consumed by the call, in practice as eagerly as a list."""
    parent = node.parent
    return parent is not None and parent.type == "call"


def occurrences(nodes: list[Any]) -> list[Occurrence]:
    """Occurrences in ``nodes`` (statements of one function body), in execution order."""
    walker = _Walker()
    for node in nodes:
        walker.visit(node)
    return walker.out


def parameter_names(function: Any) -> list[str]:
    params = function.child_by_field_name("parameters")
    inner = _Walker()
    for param in params.named_children if params is not None else []:
        _Walker()._parameter(param, inner)
    return [o.name for o in inner.out]


def target_names(node: Any) -> set[str]:
    """Names a binding target (``for a, b in ...``) binds."""
    walker = _Walker()
    walker.target(node)
    return {o.name for o in walker.out if o.kind == STORE}


def parameter_annotations(function: Any) -> dict[str, str]:
    """``name -> annotation text`` for the annotated parameters of a def."""
    found = {}
    params = function.child_by_field_name("parameters")
    for param in params.named_children if params is not None else []:
        if param.type in ("typed_parameter", "typed_default_parameter"):
            kind = param.child_by_field_name("type")
            name = param.child_by_field_name("name") or next((c for c in param.named_children if c.type == "identifier"), None)
            if kind is not None and name is not None and name.type == "identifier":
                found[text(name)] = text(kind)
    return found
