"""Which names a Python file binds, which it reads, and function signatures, via tree-sitter.

Deliberately file-wide rather than scope-exact: a name bound anywhere in the file counts
as bound everywhere. That misses some undefined names but never invents one, which is the
right trade for a check whose findings block a commit.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from codeloop.analysis.functions import parse
from codeloop.analysis.languages import Language

BUILTINS = frozenset(dir(builtins)) | {"__file__", "__name__", "__doc__", "__spec__", "__path__", "__builtins__", "__loader__", "__package__", "__class__", "__annotations__", "__dict__", "__module__", "__qualname__"}

_PATTERN_PARENTS = {"pattern_list", "tuple_pattern", "list_pattern", "list_splat_pattern", "dictionary_splat_pattern", "parameters", "lambda_parameters", "global_statement", "nonlocal_statement", "as_pattern_target", "case_pattern", "keyword_pattern", "splat_pattern"}
_NAME_FIELD_PARENTS = {"function_definition", "class_definition", "default_parameter", "typed_default_parameter", "named_expression", "aliased_import"}
_LEFT_FIELD_PARENTS = {"assignment", "augmented_assignment", "for_statement", "for_in_clause"}


@dataclass(frozen=True)
class NameUse:
    name: str
    line: int  # 1-based
    column: int


def _field(node: Any) -> str | None:
    parent = node.parent
    for i, child in enumerate(parent.children):
        if child.id == node.id:
            return parent.field_name_for_child(i)  # type: ignore[no-any-return]
    return None


def _in_import(node: Any) -> Any:
    while node is not None:
        if node.type in ("import_statement", "import_from_statement", "future_import_statement"):
            return node
        node = node.parent
    return None


def _identifiers(node: Any) -> Iterator[Any]:
    if node.type == "identifier":
        yield node
    for child in node.children:
        yield from _identifiers(child)


def _import_binding(node: Any, stmt: Any) -> bool:
    parent = node.parent
    if parent.type == "aliased_import":
        return _field(node) == "alias"
    if parent.type != "dotted_name" or parent.parent.type == "aliased_import":
        return False
    if stmt.type == "import_statement":  # import a.b binds a
        return parent.children[0].id == node.id
    return _field(parent) == "name"  # from m import name


def is_binding(node: Any) -> bool:
    parent = node.parent
    stmt = _in_import(node)
    if stmt is not None:
        return _import_binding(node, stmt)
    if parent.type in _PATTERN_PARENTS:
        return True
    if parent.type in _NAME_FIELD_PARENTS:
        return _field(node) in ("name", "alias")
    if parent.type == "typed_parameter":
        return parent.children[0].id == node.id
    if parent.type in _LEFT_FIELD_PARENTS:
        return _field(node) == "left"
    return False


def _is_reference(node: Any) -> bool:
    parent = node.parent
    if _in_import(node) is not None:
        return False
    if parent.type == "attribute" and _field(node) == "attribute":
        return False
    if parent.type == "keyword_argument" and _field(node) == "name":
        return False
    return not is_binding(node)


def bindings_and_references(language: Language, source: bytes) -> tuple[set[str], list[NameUse], bool]:
    """(names bound anywhere, every read of a name, whether names can appear by magic).

    Magic means ``from m import *`` or a parse error: then nothing is surely undefined.
    """
    tree = parse(language, source)
    bound: set[str] = set()
    reads: list[NameUse] = []
    magic = tree.root_node.has_error
    if any(True for _ in _walk_types(tree.root_node, {"wildcard_import"})):
        magic = True
    for node in _identifiers(tree.root_node):
        name = node.text.decode("utf-8", "replace")
        if is_binding(node):
            bound.add(name)
        elif _is_reference(node):
            reads.append(NameUse(name, node.start_point[0] + 1, node.start_point[1]))
    return bound, reads, magic


def _walk_types(node: Any, types: set[str]) -> Iterator[Any]:
    if node.type in types:
        yield node
    for child in node.children:
        yield from _walk_types(child, types)


def top_level_names(language: Language, source: bytes) -> set[str]:
    """Names a module defines at top level (what ``from module import x`` can import)."""
    tree = parse(language, source)
    names: set[str] = set()
    for stmt in tree.root_node.children:
        target = stmt.child_by_field_name("definition") if stmt.type == "decorated_definition" else stmt
        if target is None:
            continue
        if target.type in ("function_definition", "class_definition"):
            names.add(target.child_by_field_name("name").text.decode())
        else:
            names.update(n.text.decode() for n in _identifiers(target) if is_binding(n) and not _nested_def(n, target))
    return names


def _nested_def(node: Any, top: Any) -> bool:
    node = node.parent
    while node is not None and node.id != top.id:
        if node.type in ("function_definition", "class_definition", "lambda"):
            return True
        node = node.parent
    return False
