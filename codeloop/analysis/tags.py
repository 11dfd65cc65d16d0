"""Definitions and references of one source file, from the language's tags query.

Pure: bytes in, records out. The index (analysis/index.py) runs this in worker
processes and stores the records; nothing here touches the disk.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from codeloop.analysis.languages import Language, parser_for, query_for

# Bump when extraction changes what it stores: the index rebuilds itself then.
TAGS_VERSION = 3

# Kinds whose members are methods rather than free functions.
_SCOPE_KINDS = frozenset({"class", "interface", "enum", "module"})


class Definition(NamedTuple):
    """A named definition; lines are 1-based, inclusive. ``sig_end`` is the last line of
    its signature (the line its body starts on), so a map can show the header alone."""

    name: str
    kind: str  # class, function, method, interface, type, enum, module, constant
    line: int
    end_line: int
    sig_end: int
    qualname: str  # "Outer.method" for nested definitions


class Reference(NamedTuple):
    name: str
    kind: str  # call, class, import, type, implementation
    line: int


class FileTags(NamedTuple):
    definitions: list[Definition]
    references: list[Reference]


def _match_parts(captures: dict[str, list[Any]]) -> tuple[Any, str, Any] | None:
    """(name node, "definition.x"/"reference.x", construct node) of one query match."""
    names = captures.get("name")
    if not names:
        return None
    for key, nodes in captures.items():
        if key != "name":
            return names[0], key, nodes[0]
    return None


def _signature_end(node: Any, source: bytes) -> int:
    """Last line of the header: the line before the body when the body starts a line of
    its own (Python), the body's first line when it opens on the header's line ("{")."""
    body = node.child_by_field_name("body")
    start = node.start_point[0]
    if body is None:
        return start + 1
    row = body.start_point[0]
    line_start = source.rfind(b"\n", 0, body.start_byte) + 1
    own_line = not source[line_start : body.start_byte].strip()
    end = row if own_line else row + 1
    return end if start < end <= start + 9 else start + 1


def extract(language: Language, source: bytes) -> FileTags:
    tree = parser_for(language).parse(source)
    import tree_sitter

    cursor = tree_sitter.QueryCursor(query_for(language, "tags"))
    raw_defs: list[tuple[int, int, str, str, int]] = []
    def_name_starts: set[int] = set()
    refs: list[tuple[int, Reference]] = []
    for _pattern, captures in cursor.matches(tree.root_node):
        parts = _match_parts(captures)
        if parts is None:
            continue
        name_node, key, node = parts
        name = name_node.text.decode("utf-8", "replace")
        role, _, kind = key.partition(".")
        if role == "definition":
            def_name_starts.add(name_node.start_byte)
            raw_defs.append((node.start_point[0] + 1, node.end_point[0] + 1, name, kind, _signature_end(node, source)))
        elif role == "reference":
            refs.append((name_node.start_byte, Reference(name, kind, name_node.start_point[0] + 1)))
    # A generic reference pattern (Go's type identifiers) can match a definition's own
    # name; matches come in no promised order, so filter once at the end.
    return FileTags(_scoped(raw_defs), [ref for start, ref in refs if start not in def_name_starts])


def _scoped(raw: list[tuple[int, int, str, str, int]]) -> list[Definition]:
    """Qualified names and method kinds from nesting: a stack of open definitions."""
    raw.sort(key=lambda d: (d[0], -d[1]))
    stack: list[tuple[int, str, str]] = []  # (end_line, qualname, kind)
    out = []
    for line, end_line, name, kind, sig_end in raw:
        while stack and stack[-1][0] < line:
            stack.pop()
        parent = stack[-1] if stack else None
        if parent is not None and kind == "function" and parent[2] in _SCOPE_KINDS:
            kind = "method"
        qualname = f"{parent[1]}.{name}" if parent is not None else name
        out.append(Definition(name, kind, line, end_line, sig_end, qualname))
        stack.append((end_line, qualname, kind))
    return out
