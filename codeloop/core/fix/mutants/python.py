"""Python mutation operators over a tree-sitter tree: the one-token slips real bugs are made of.

Each operator yields byte-range replacements on the requested lines only; the cheap tier
orders them by line suspiciousness, then by ``prior``, and validates them by running the
tests. Operators follow the bug classes of HumanEvalFix and the mutation-testing
literature: operator misuse, value misuse (off-by-one, flipped constants), variable and
function misuse, negated or over-strict conditions, and a missing return.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from codeloop.core.fix.mutants.base import Mutation

_COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
# The likeliest slips are boundary and equality flips: try them first.
_NEAR = {("<", "<="), ("<=", "<"), (">", ">="), (">=", ">"), ("==", "!="), ("!=", "=="), ("<", ">"), (">", "<"), ("<=", ">="), (">=", "<=")}
_MEMBERSHIP = {"in": "not in", "not in": "in", "is": "is not", "is not": "is"}
_ARITHMETIC = ("+", "-", "*", "/", "//", "%")
_BITWISE = ("&", "|", "^", "<<", ">>")
_NEAR_ARITH = {("+", "-"), ("-", "+"), ("*", "/"), ("/", "*"), ("/", "//"), ("//", "/"), ("*", "+"), ("+", "*"), ("%", "//"), ("//", "%")}
_NON_COMMUTATIVE = {"-", "/", "//", "%", "**", "<<", ">>"}
_FUNCTION_PAIRS = (
    ("min", "max"), ("any", "all"), ("sorted", "reversed"), ("lower", "upper"), ("append", "extend"),
    ("isupper", "islower"), ("floor", "ceil"), ("startswith", "endswith"), ("index", "find"),
    ("sum", "len"), ("int", "float"), ("keys", "values"), ("values", "items"), ("lstrip", "rstrip"),
    ("strip", "rstrip"), ("isdigit", "isalpha"), ("isalpha", "isalnum"), ("pop", "remove"), ("split", "rsplit"),
    ("add", "discard"), ("round", "int"), ("abs", "int"), ("max", "sum"), ("find", "rfind"), ("index", "rindex"),
)
_SWAPS: dict[str, list[str]] = {}
for _a, _b in _FUNCTION_PAIRS:
    _SWAPS.setdefault(_a, []).append(_b)
    _SWAPS.setdefault(_b, []).append(_a)

_BINDING_PARENTS = {"parameters", "lambda_parameters", "typed_parameter", "default_parameter", "typed_default_parameter"}


def _text(node: Any) -> str:
    return node.text.decode("utf-8", "replace")


def _line(node: Any) -> int:
    return int(node.start_point[0]) + 1


def _walk(node: Any) -> Iterator[Any]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _mutation(node: Any, new: str, kind: str, prior: int, what: str) -> Mutation:
    return Mutation(node.start_byte, node.end_byte, new.encode("utf-8"), kind, _line(node), prior, f"line {_line(node)}: {what}")


def _comparison(node: Any) -> Iterator[Mutation]:
    for op in node.children_by_field_name("operators"):
        old = " ".join(_text(op).split())
        if old in _MEMBERSHIP:
            yield _mutation(op, _MEMBERSHIP[old], "comparison", 1, f"'{old}' -> '{_MEMBERSHIP[old]}'")
            continue
        for new in _COMPARISONS:
            if new != old and old in _COMPARISONS:
                prior = 1 if (old, new) in _NEAR else 2
                yield _mutation(op, new, "comparison", prior, f"'{old}' -> '{new}'")


def _binary(node: Any) -> Iterator[Mutation]:
    op = node.child_by_field_name("operator")
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if op is None or left is None or right is None:
        return
    old = _text(op)
    for group in (_ARITHMETIC, _BITWISE):
        if old in group:
            for new in group:
                if new != old:
                    prior = 2 if (old, new) in _NEAR_ARITH or group is _BITWISE else 3
                    yield _mutation(op, new, "arithmetic", prior, f"'{old}' -> '{new}'")
    if old in _NON_COMMUTATIVE:
        swapped = _text(right) + " " + old + " " + _text(left)
        yield _mutation(node, swapped, "swap-operands", 4, f"swap the operands of '{old}'")
    if old == "-":  # missing logic: a distance without its abs()
        yield _mutation(node, f"abs({_text(node)})", "wrap-call", 5, f"wrap '{_text(node)}' in abs()")
    if old in ("+", "-", "*"):  # excess logic: an extra term
        yield _mutation(node, _text(left), "drop-operand", 6, f"drop '{old} {_text(right)}'")
        yield _mutation(node, _text(right), "drop-operand", 6, f"drop '{_text(left)} {old}'")


def _augmented(node: Any) -> Iterator[Mutation]:
    op = node.child_by_field_name("operator")
    if op is None:
        return
    old = _text(op)[:-1]
    for new in _ARITHMETIC:
        if new != old and old in _ARITHMETIC:
            prior = 2 if (old, new) in _NEAR_ARITH else 3
            yield _mutation(op, new + "=", "arithmetic", prior, f"'{old}=' -> '{new}='")


def _boolean(node: Any) -> Iterator[Mutation]:
    op = node.child_by_field_name("operator")
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if op is None or left is None or right is None:
        return
    new = "or" if _text(op) == "and" else "and"
    yield _mutation(op, new, "boolean", 1, f"'{_text(op)}' -> '{new}'")
    yield _mutation(node, _text(left), "drop-condition", 5, f"drop '{_text(op)} {_text(right)}'")
    yield _mutation(node, _text(right), "drop-condition", 5, f"drop '{_text(left)} {_text(op)}'")


def _negations(node: Any) -> Iterator[Mutation]:
    if node.type == "not_operator":
        argument = node.child_by_field_name("argument")
        if argument is not None:
            yield _mutation(node, _text(argument), "negate", 2, "remove 'not'")
        return
    condition = node.child_by_field_name("condition")
    if condition is not None and condition.type != "not_operator":
        yield _mutation(condition, f"not ({_text(condition)})", "negate", 2, "negate the condition")


def _constant(node: Any) -> Iterator[Mutation]:
    if node.type in ("true", "false"):
        new = "False" if node.type == "true" else "True"
        yield _mutation(node, new, "constant", 2, f"'{_text(node)}' -> '{new}'")
        return
    try:
        value = int(_text(node), 0)
    except ValueError:
        return
    for changed in (value + 1, value - 1):
        if changed >= 0 or value < 0:
            yield _mutation(node, str(changed), "constant", 3, f"{value} -> {changed}")


def _off_by_one(node: Any) -> Iterator[Mutation]:
    """Bounds that are expressions: range(...) arguments, indices and slice ends."""
    targets = []
    if node.type == "call" and _text(node.child_by_field_name("function") or node) == "range":
        args = node.child_by_field_name("arguments")
        targets = [a for a in (args.named_children if args is not None else []) if a.type != "keyword_argument"]
    elif node.type == "subscript":
        targets = [s for s in node.children_by_field_name("subscript") if s.type != "slice"]
    elif node.type == "slice":
        targets = list(node.named_children)
    for target in targets:
        if target.type in ("integer", "unary_operator"):
            continue  # literals are handled by _constant
        expr = _text(target)
        inner = expr if target.type in ("identifier", "call", "attribute", "subscript") else f"({expr})"
        for sign in ("+", "-"):
            yield _mutation(target, f"{inner} {sign} 1", "off-by-one", 4, f"'{expr}' -> '{inner} {sign} 1'")


def _unary(node: Any) -> Iterator[Mutation]:
    op = node.child_by_field_name("operator")
    argument = node.child_by_field_name("argument")
    if op is not None and argument is not None and _text(op) == "-" and argument.type != "integer":
        yield _mutation(node, _text(argument), "negate", 4, "remove unary '-'")


def _call(node: Any) -> Iterator[Mutation]:
    fn = node.child_by_field_name("function")
    name_node = fn.child_by_field_name("attribute") if fn is not None and fn.type == "attribute" else fn
    if name_node is not None and name_node.type == "identifier":
        for new in _SWAPS.get(_text(name_node), []):
            yield _mutation(name_node, new, "function", 3, f"'{_text(name_node)}' -> '{new}'")
    args = node.child_by_field_name("arguments")
    positional = [a for a in (args.named_children if args is not None else []) if a.type not in ("keyword_argument", "comment", "list_splat", "dictionary_splat")]
    for a, b in zip(positional, positional[1:]):
        new = (node.text[: a.start_byte - node.start_byte] + b.text + node.text[a.end_byte - node.start_byte : b.start_byte - node.start_byte] + a.text + node.text[b.end_byte - node.start_byte :]).decode("utf-8", "replace")
        yield _mutation(node, new, "swap-arguments", 4, f"swap arguments '{_text(a)}' and '{_text(b)}'")


def _enclosing_function(node: Any) -> Any:
    while node is not None and node.type != "function_definition":
        node = node.parent
    return node


def _bound_names(function: Any) -> list[str]:
    """Parameters and local names assigned in ``function`` (first-seen order)."""
    names: dict[str, None] = {}
    for node in _walk(function):
        if node.type != "identifier" or node is function.child_by_field_name("name"):
            continue
        parent = node.parent
        field = None
        for i, child in enumerate(parent.children):
            if child.id == node.id:
                field = parent.field_name_for_child(i)
        if parent.type in _BINDING_PARENTS or (parent.type == "assignment" and field == "left") or (parent.type in ("for_statement", "for_in_clause") and field == "left") or (parent.type in ("pattern_list", "tuple_pattern") and parent.parent is not None and parent.parent.type in ("assignment", "for_statement", "for_in_clause")):
            names.setdefault(_text(node), None)
    return list(names)


def _is_variable_use(node: Any) -> bool:
    parent = node.parent
    if parent is None or parent.type in ("keyword_argument", "function_definition", "class_definition", "attribute", "import_from_statement", "aliased_import", "dotted_name"):
        if parent is not None and parent.type == "attribute" and parent.child_by_field_name("object") == node:
            return True
        if parent is not None and parent.type == "keyword_argument" and parent.child_by_field_name("value") == node:
            return True
        return False
    if parent.type == "call" and parent.child_by_field_name("function") == node:
        return False
    return parent.type not in _BINDING_PARENTS


def _is_store(node: Any) -> bool:
    """True when ``node`` is assigned to (a call cannot stand there)."""
    child, parent = node, node.parent
    while parent is not None and parent.type in ("pattern_list", "tuple_pattern", "list_pattern", "parenthesized_expression"):
        child, parent = parent, parent.parent
    if parent is None:
        return False
    if parent.type in ("assignment", "augmented_assignment", "for_statement", "for_in_clause"):
        return parent.child_by_field_name("left") == child
    return parent.type in ("as_pattern_target", "global_statement", "nonlocal_statement")


def _variables(root: Any, lines: Collection[int]) -> Iterator[Mutation]:
    bound_cache: dict[int, list[str]] = {}
    for node in _walk(root):
        if node.type != "identifier" or _line(node) not in lines or not _is_variable_use(node):
            continue
        function = _enclosing_function(node)
        if function is None:
            continue
        names = bound_cache.setdefault(function.id, _bound_names(function))
        old = _text(node)
        if old not in names:
            continue
        for new in names:
            if new != old:
                yield _mutation(node, new, "variable", 5, f"'{old}' -> '{new}'")
                # A count stood for by the wrong name (``/ mean`` for ``/ len(numbers)``).
                if not _is_store(node):
                    yield _mutation(node, f"len({new})", "variable", 6, f"'{old}' -> 'len({new})'")


def _missing_return(root: Any, source: bytes, lines: Collection[int]) -> Iterator[Mutation]:
    for node in _walk(root):
        if node.type != "function_definition":
            continue
        body = node.child_by_field_name("body")
        if body is None or not body.named_children:
            continue
        if not any(_line(node) <= line <= int(node.end_point[0]) + 1 for line in lines):
            continue
        if any(n.type in ("return_statement", "yield") for n in _walk(body) if _enclosing_function(n) == node):
            continue
        last = body.named_children[-1]
        indent = source[source.rfind(b"\n", 0, last.start_byte) + 1 : last.start_byte].decode("utf-8", "replace")
        for name in reversed(_bound_names(node)):
            insert = f"\n{indent}return {name}".encode("utf-8")
            yield Mutation(last.end_byte, last.end_byte, insert, "missing-return", int(last.end_point[0]) + 1, 5, f"add 'return {name}'")


_BY_TYPE = {
    "comparison_operator": _comparison,
    "binary_operator": _binary,
    "augmented_assignment": _augmented,
    "boolean_operator": _boolean,
    "not_operator": _negations,
    "if_statement": _negations,
    "elif_clause": _negations,
    "while_statement": _negations,
    "conditional_expression": None,
    "integer": _constant,
    "true": _constant,
    "false": _constant,
    "unary_operator": _unary,
}


def generate(root: Any, source: bytes, lines: Collection[int]) -> Iterator[Mutation]:
    """Every mutation whose edit starts on one of ``lines`` (1-based)."""
    wanted = set(lines)
    for node in _walk(root):
        handler = _BY_TYPE.get(node.type)
        if node.type == "call":
            yield from (m for m in _call(node) if m.line in wanted)
        if node.type in ("call", "subscript", "slice"):
            yield from (m for m in _off_by_one(node) if m.line in wanted)
        if handler is not None:
            yield from (m for m in handler(node) if m.line in wanted)
    yield from _variables(root, wanted)
    yield from _missing_return(root, source, wanted)
