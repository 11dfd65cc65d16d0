"""Plan an extract-method in Python: parameters, return values, kind of def, refusals.

The rules follow rope's reasoning, made conservative wherever moving code into a new
scope could change what it does (see the comments on each refusal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codeloop.core.refactor import RefactorRefused
from codeloop.core.refactor.pyflow import Flow, flow
from codeloop.core.refactor.pyscope import ANNOT, DEL, GLOBAL, LOAD, NONLOCAL, STORE, Occurrence, occurrences, parameter_annotations, parameter_names, target_names, text
from codeloop.core.refactor.selection import Selection

_LOOPS = ("for_statement", "while_statement")
_SCOPES = ("function_definition", "lambda", "class_definition")
_FRAME_INTROSPECTION = ("locals", "vars", "eval", "exec", "dir")


@dataclass(frozen=True)
class ExtractPlan:
    selection: Selection
    function_name: str
    params: tuple[str, ...]  # without the receiver
    returns: tuple[str, ...]
    kind: str  # "function" | "method" | "classmethod" | "staticmethod"
    receiver: str | None  # self / cls for methods, the class name for static methods
    is_async: bool
    returns_from_function: bool  # the call becomes ``return name(...)``
    declarations: tuple[str, ...]  # "global x" / "nonlocal y" lines the new def needs
    pure: bool  # no attribute/subscript writes, no calls outside a small pure set
    annotations: tuple[tuple[str, str], ...] = ()  # parameter -> the enclosing def's annotation, when still true


def _line(node: Any) -> int:
    return int(node.start_point[0]) + 1


def _walk_same_scope(nodes: list[Any]) -> list[Any]:
    """Every node in ``nodes`` that runs in this function's scope (not inside nested defs/lambdas)."""
    found = []
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        found.append(node)
        if node.type in _SCOPES:
            continue
        stack.extend(reversed(node.named_children))
    return found


def _check_control(sel: Selection, nodes: list[Any]) -> bool:
    """Refuse yield and jumps out of the selection; return whether it awaits."""
    inside = (sel.start_byte, sel.end_byte)
    awaits = False
    for node in nodes:
        if node.type == "yield":
            raise RefactorRefused(
                f"line {_line(node)} yields: a generator's yield cannot move into another function; "
                "leave it out of the selection"
            )
        if node.type == "await" or (node.type in ("for_statement", "with_statement") and node.children and node.children[0].type == "async"):
            awaits = True
        if node.type in ("break_statement", "continue_statement"):
            loop = node.parent
            while loop is not None and loop.type not in _LOOPS:
                loop = loop.parent
            if loop is None or loop.start_byte < inside[0]:
                word = node.type.split("_")[0]
                where = f" (it belongs to the loop at line {_line(loop)})" if loop is not None else ""
                raise RefactorRefused(
                    f"line {_line(node)}: `{word}` would leave the selected lines{where}; "
                    "select the whole loop or leave the jump out"
                )
        if node.type in ("global_statement", "nonlocal_statement"):
            raise RefactorRefused(
                f"line {_line(node)} declares {text(node)!r}: leave declarations out of the selection"
            )
        if node.type == "match_statement":
            raise RefactorRefused(f"line {_line(node)}: match statements are not supported by extract-method yet")
        if node.type == "call":
            fn = node.child_by_field_name("function")
            args = node.child_by_field_name("arguments")
            if fn is not None and fn.type == "identifier" and text(fn) in _FRAME_INTROSPECTION:
                if text(fn) in ("eval", "exec") or (args is not None and not args.named_children):
                    raise RefactorRefused(
                        f"line {_line(node)} calls {text(fn)}(), which sees the function's local variables: "
                        "extracting would change what it sees"
                    )
    return awaits


def _enclosing(sel: Selection, types: tuple[str, ...]) -> list[Any]:
    found = []
    node = sel.block.parent
    while node is not None and node.id != sel.function.id:
        if node.type in types:
            found.append(node)
        node = node.parent
    return found


def _bound_before(sel: Selection, params: list[str]) -> frozenset[str]:
    """Names surely bound whenever the first selected statement starts (first loop iteration)."""
    path = []
    node = sel.statements[0]
    while node is not None and node.id != sel.function.id:
        path.append(node)
        node = node.parent
    path.reverse()
    state = Flow()
    bound: frozenset[str] | None = frozenset(params)
    for parent, child in zip(path, path[1:]):
        assert bound is not None
        if parent.type == "block":
            before = [c for c in parent.named_children if c.end_byte <= child.start_byte and c.type != "comment"]
            bound = state.block(before, bound)
            if bound is None:
                raise RefactorRefused(f"lines {sel.start}-{sel.end} can never run (an earlier statement always leaves): nothing to extract")
        elif parent.type == "for_statement" and child.type == "block":
            bound |= target_names(parent.child_by_field_name("left"))
        elif parent.type == "with_statement" and child.type == "block":
            clause = next(c for c in parent.named_children if c.type == "with_clause")
            bound |= {o.name for o in occurrences([clause]) if o.kind == STORE and o.definite}
        elif parent.type in ("except_clause", "except_group_clause") and child.type == "block":
            bound |= {o.name for o in occurrences([c for c in parent.named_children if c.type != "block"]) if o.kind == STORE}
    assert bound is not None
    return bound


def _kind(sel: Selection, params: list[str]) -> tuple[str, str | None]:
    if sel.klass is None:
        return "function", None
    decorators = []
    if sel.outer.type == "decorated_definition":
        decorators = [text(d).lstrip("@").strip() for d in sel.outer.named_children if d.type == "decorator"]
    if "staticmethod" in decorators:
        if sel.klass.parent is None or sel.klass.parent.type != "module":
            raise RefactorRefused(
                f"{text(sel.function.child_by_field_name('name'))} is a static method of a nested class: "
                "extract-method cannot call a new static method there by name"
            )
        return "staticmethod", text(sel.klass.child_by_field_name("name"))
    if not params:
        raise RefactorRefused(f"method {text(sel.function.child_by_field_name('name'))} has no self/cls parameter")
    # __new__ takes the class explicitly; these two are classmethods without saying so
    implicit = text(sel.function.child_by_field_name("name")) in ("__new__", "__init_subclass__", "__class_getitem__")
    return ("classmethod" if "classmethod" in decorators or implicit else "method"), params[0]


def _qualname(sel: Selection) -> str:
    names = []
    node = sel.function
    while node is not None:
        if node.type in ("function_definition", "class_definition"):
            names.append(text(node.child_by_field_name("name")))
        node = node.parent
    return ".".join(reversed(names))


_PURE_CALLS = frozenset(
    "abs all any bool chr dict divmod enumerate filter float frozenset int isinstance len list map max min "
    "ord range repr reversed round set sorted str sum tuple zip".split()
)
_PURE_METHODS = frozenset(
    "append extend pop get items keys values join split strip lstrip rstrip lower upper startswith endswith "
    "replace format add update insert count index sort copy setdefault".split()
)


def is_pure(nodes: list[Any]) -> bool:
    """No attribute/subscript writes, deletes or calls beyond a small set known to be pure."""
    for node in nodes:
        if node.type in ("assignment", "augmented_assignment"):
            left = node.child_by_field_name("left")
            if left is not None and any(n.type in ("attribute", "subscript") for n in _walk_same_scope([left])):
                return False
        if node.type in ("delete_statement", "global_statement", "nonlocal_statement", "await", "import_statement", "import_from_statement"):
            return False
        if node.type == "call":
            fn = node.child_by_field_name("function")
            if fn is None:
                return False
            if fn.type == "identifier" and text(fn) not in _PURE_CALLS:
                return False
            if fn.type == "attribute" and text(fn.child_by_field_name("attribute")) not in _PURE_METHODS:
                return False
            if fn.type not in ("identifier", "attribute"):
                return False
    return True


@dataclass
class _Facts:
    """What the rules below look at: the function's occurrences split around the selection."""

    sel: Selection
    occs: list[Occurrence]
    s_occs: list[Occurrence]
    outside: list[Occurrence]
    local: set[str]
    outer_loop: Any

    def in_loop(self, o: Occurrence) -> bool:
        loop = self.outer_loop
        return loop is not None and loop.start_byte <= o.byte < loop.end_byte


def _facts(sel: Selection, params: list[str], occs: list[Occurrence], declared: dict[str, str]) -> _Facts:
    inside = [o for o in occs if sel.start_byte <= o.byte < sel.end_byte]
    outside = [o for o in occs if not sel.start_byte <= o.byte < sel.end_byte]
    local = (set(params) | {o.name for o in occs if o.kind in (STORE, DEL, ANNOT) and not o.nested}) - set(declared)
    loops = _enclosing(sel, _LOOPS)
    return _Facts(sel, occs, inside, outside, local, loops[-1] if loops else None)


def _check_closures(f: _Facts) -> None:
    """Closures must not see a different variable after the move."""
    sel = f.sel
    for o in f.outside:
        if o.kind == NONLOCAL and o.nested and any(s.name == o.name for s in f.s_occs):
            raise RefactorRefused(
                f"{o.name} is rebound by a nested function at line {o.row + 1} (nonlocal): extracting lines "
                f"{sel.start}-{sel.end} would hide those changes"
            )
    for o in f.s_occs:
        if o.kind == NONLOCAL and o.nested:
            raise RefactorRefused(f"line {o.row + 1}: a nested function rebinds {o.name} (nonlocal); leave it out of the selection")
        if o.kind == LOAD and o.nested and o.name in f.local:
            # a closure created in the selection would capture the new function's copy
            if any(x.name == o.name and x.kind in (STORE, DEL) and (x.byte >= sel.end_byte or f.in_loop(x)) for x in f.outside):
                raise RefactorRefused(
                    f"the function or lambda at line {o.row + 1} reads {o.name}, which {_qualname(sel)} changes after the "
                    "selection: the extracted closure would keep a stale value"
                )


def _parameters(f: _Facts, exposed: list[Occurrence], bound: frozenset[str], skip: str | None) -> dict[str, None]:
    """Locals read before the selection writes them: passed in, if surely bound there."""
    sel = f.sel
    stored_in_s = {o.name for o in f.s_occs if o.kind in (STORE, DEL) and not o.nested}
    possibly_before = {
        o.name for o in f.outside if o.kind in (STORE, DEL, NONLOCAL) and (o.byte < sel.start_byte or f.in_loop(o) or o.nested)
    } | set(parameter_names(sel.function))
    wanted: dict[str, None] = {}
    for o in exposed:
        if o.name not in f.local or o.name == skip:
            continue
        if o.name in bound:
            wanted.setdefault(o.name, None)
        elif o.name in possibly_before:
            raise RefactorRefused(
                f"{o.name} may be unset when line {o.row + 1} runs (it is assigned only on some paths before "
                f"line {sel.start}): assign it unconditionally before line {sel.start}"
            )
        elif o.name not in stored_in_s:
            raise RefactorRefused(f"line {o.row + 1} reads {o.name} before any assignment to it in {_qualname(sel)}")
    return wanted


def _return_values(f: _Facts, exposed: list[Occurrence], out: frozenset[str], bound: frozenset[str], wanted: dict[str, None]) -> tuple[str, ...]:
    """Locals the selection writes and the function reads later (or the next iteration does)."""
    sel = f.sel
    exposed_names = {o.name for o in exposed}
    deleted = {o.name for o in f.s_occs if o.kind == DEL and not o.nested}
    returns: dict[str, None] = {}
    for name in dict.fromkeys(o.name for o in f.s_occs if o.kind in (STORE, DEL) and not o.nested):
        if name not in f.local:
            continue
        reads = [o for o in f.outside if o.name == name and o.kind == LOAD]
        closure_reads = [o for o in reads if o.nested]
        if closure_reads:
            raise RefactorRefused(
                f"{name} is assigned in lines {sel.start}-{sel.end} and read by the nested function at line "
                f"{closure_reads[0].row + 1}, which may run meanwhile: extracting would hide the new value"
            )
        live = any(o.byte >= sel.end_byte or f.in_loop(o) for o in reads) or (f.outer_loop is not None and name in exposed_names)
        if not live:
            continue
        if name in deleted:
            raise RefactorRefused(f"lines {sel.start}-{sel.end} delete {name}, which {_qualname(sel)} uses after them")
        if name not in out:
            if name not in bound:
                raise RefactorRefused(
                    f"{name} is assigned only on some paths through lines {sel.start}-{sel.end} and may be unset "
                    f"before them: assign it before line {sel.start} (e.g. {name} = None)"
                )
            wanted.setdefault(name, None)  # passed in too, so the untaken paths return it unchanged
        returns[name] = None
    return tuple(returns)


def plan(sel: Selection) -> ExtractPlan:
    fn = sel.function
    params = parameter_names(fn)
    occs = occurrences(list(fn.child_by_field_name("body").named_children))
    same_scope = _walk_same_scope(sel.code)
    awaits = _check_control(sel, same_scope)
    matches = [n for n in _walk_same_scope(list(fn.child_by_field_name("body").named_children)) if n.type == "match_statement"]
    if matches:  # case patterns bind names in ways this dataflow does not model yet
        raise RefactorRefused(f"{_qualname(sel)} has a match statement (line {_line(matches[0])}): extract-method does not support such functions yet")
    declared = {o.name: o.kind for o in occs if o.kind in (GLOBAL, NONLOCAL) and not o.nested}
    f = _facts(sel, params, occs, declared)
    kind, receiver = _kind(sel, params)
    if kind == "staticmethod" and receiver in f.local:
        raise RefactorRefused(f"{_qualname(sel)} has a local named {receiver}, so the new static method could not be called by its class name")
    if kind in ("method", "classmethod") and any(o.name == receiver and o.kind in (STORE, DEL) for o in occs):
        raise RefactorRefused(f"{text(fn.child_by_field_name('name'))} rebinds {receiver}: extract-method needs it unchanged")
    _check_closures(f)
    exposed, out = flow(sel.code, frozenset())
    bound = _bound_before(sel, params)
    wanted = _parameters(f, exposed, bound, receiver if kind != "staticmethod" else None)
    returns_from_function = any(n.type == "return_statement" for n in same_scope)
    if returns_from_function and out is not None:
        first = next(n for n in same_scope if n.type == "return_statement")
        raise RefactorRefused(
            f"line {_line(first)} returns, but lines {sel.start}-{sel.end} can also run past their end: extend the "
            "selection so that every path ends in a return, or leave the return out"
        )
    returns = _return_values(f, exposed, out, bound, wanted) if out is not None else ()
    _check_handlers(sel, f.s_occs, f.outside, f.local, set(returns))
    declarations = tuple(
        f"{declared[name]} {name}" for name in dict.fromkeys(o.name for o in f.s_occs if o.kind in (STORE, DEL)) if name in declared
    )
    ordered = [o.name for o in f.s_occs if o.name in wanted]
    rebound = {o.name for o in occs if o.kind in (STORE, DEL) and (o.byte < sel.start_byte or f.in_loop(o) or o.nested)}
    kept = tuple((n, a) for n, a in parameter_annotations(fn).items() if n in wanted and n not in rebound)
    return ExtractPlan(
        annotations=kept,
        selection=sel,
        function_name=_qualname(sel),
        params=tuple(dict.fromkeys(ordered + list(wanted))),
        returns=returns,
        kind=kind,
        receiver=receiver,
        is_async=awaits,
        returns_from_function=returns_from_function,
        declarations=declarations,
        pure=is_pure(same_scope),
    )


def _check_handlers(sel: Selection, s_occs: list[Occurrence], outside: list[Occurrence], local: set[str], live: set[str]) -> None:
    """A value assigned before a later selected line raises must not be needed by whoever catches it.

    Inside a try (or a with, whose manager may swallow the exception), the original code
    leaves that value in the function's variable; the extracted one would lose it.
    """
    guard = None
    node = sel.block
    while node is not None and node.id != sel.function.id:
        parent = node.parent
        if parent is not None and parent.type == "try_statement" and node.id == parent.child_by_field_name("body").id:
            guard = parent
        if parent is not None and parent.type == "with_statement":
            guard = parent
        node = parent
    if guard is None:
        return
    last = sel.code[-1]
    used_outside = {o.name for o in outside if o.kind == LOAD} | live  # live: read later, or by the next iteration
    for o in s_occs:
        if o.kind == STORE and not o.nested and o.name in local and o.name in used_outside and o.byte < last.start_byte:
            raise RefactorRefused(
                f"{o.name} is assigned on line {o.row + 1} inside the {guard.type.split('_')[0]} at line "
                f"{guard.start_point[0] + 1}: if a later selected line raises, the code there would no longer see "
                f"the new value; end the selection at line {o.row + 1} or select the whole {guard.type.split('_')[0]} statement"
            )
