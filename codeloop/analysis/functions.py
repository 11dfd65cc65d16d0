"""Find function definitions, the function around a line, and the names a function calls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from codeloop.analysis.languages import FunctionSpan, Language, parser_for


def parse(language: Language, source: bytes) -> Any:
    return parser_for(language).parse(source)


def _name_of(node: Any) -> str:
    name = node.child_by_field_name("name")
    return name.text.decode("utf-8", "replace") if name is not None else "<anonymous>"


def _walk_defs(language: Language, node: Any, scope: tuple[str, ...]) -> Iterator[tuple[Any, Any, tuple[str, ...]]]:
    """Yield (outer node incl. decorators, def node, enclosing scope names)."""
    for child in node.children:
        outer = child
        inner = child
        if child.type == "decorated_definition":
            inner = child.child_by_field_name("definition") or child
        if inner.type in language.function_node_types:
            yield outer, inner, scope
            body = inner.child_by_field_name("body")
            if body is not None:
                yield from _walk_defs(language, body, scope + (_name_of(inner),))
        elif inner.type in language.class_node_types:
            body = inner.child_by_field_name("body")
            if body is not None:
                yield from _walk_defs(language, body, scope + (_name_of(inner),))
        elif child.type not in ("string", "comment"):
            yield from _walk_defs(language, child, scope)


def functions(language: Language, source: bytes) -> list[FunctionSpan]:
    tree = parse(language, source)
    spans = []
    for outer, inner, scope in _walk_defs(language, tree.root_node, ()):
        line_start = source.rfind(b"\n", 0, outer.start_byte) + 1
        indent = source[line_start : outer.start_byte].decode("utf-8", "replace")
        name = _name_of(inner)
        spans.append(
            FunctionSpan(
                name=name,
                qualname=".".join(scope + (name,)),
                start_line=outer.start_point[0] + 1,
                end_line=outer.end_point[0] + 1,
                start_byte=line_start,
                end_byte=outer.end_byte,
                indent=indent if not indent.strip() else "",
            )
        )
    return spans


def enclosing_function(language: Language, source: bytes, line: int) -> FunctionSpan | None:
    """The innermost function whose span contains ``line`` (1-based)."""
    best: FunctionSpan | None = None
    for span in functions(language, source):
        if span.start_line <= line <= span.end_line:
            if best is None or span.start_line >= best.start_line:
                best = span
    return best


def called_names(language: Language, source: bytes, span: FunctionSpan) -> list[str]:
    """Identifiers used in ``span`` as callees or passed as arguments, in first-seen order.

    Arguments count because tests often pass the function under test around
    (``check(candidate)``) instead of calling it by name.
    """
    tree = parse(language, source)
    seen: dict[str, None] = {}

    def visit(node: Any) -> None:
        if node.end_byte < span.start_byte or node.start_byte > span.end_byte:
            return
        if node.type == "call" and node.start_byte >= span.start_byte:
            fn = node.child_by_field_name("function")
            if fn is not None and fn.type == "identifier":
                seen.setdefault(fn.text.decode(), None)
            elif fn is not None and fn.type == "attribute":
                attr = fn.child_by_field_name("attribute")
                if attr is not None:
                    seen.setdefault(attr.text.decode(), None)
            args = node.child_by_field_name("arguments")
            for arg in args.named_children if args is not None else []:
                if arg.type == "identifier":
                    seen.setdefault(arg.text.decode(), None)
        for child in node.children:
            visit(child)

    visit(tree.root_node)
    if tree.language.id_for_node_kind("call", True) is not None:
        return list(seen)
    # The visitor reads Python-shaped `call` nodes; other grammars name theirs
    # differently, so their tag query's call references inside the span stand in.
    from codeloop.analysis.tags import extract

    first, last = source.count(b"\n", 0, span.start_byte) + 1, source.count(b"\n", 0, span.end_byte) + 1
    for ref in extract(language, source).references:
        if ref.kind == "call" and first <= ref.line <= last:
            seen.setdefault(ref.name, None)
    return list(seen)
