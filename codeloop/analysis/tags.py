"""Definitions and references of one source file, from the language's tags query.

Pure: bytes in, records out. The index (analysis/index.py) runs this in worker
processes and stores the records; nothing here touches the disk.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from codeloop.analysis.languages import Language, parser_for, query_for

# Bump when extraction changes what it stores: the index rebuilds itself then.
TAGS_VERSION = 4

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


def _pair_definitions(captures: dict[str, list[Any]]) -> list[tuple[Any, str, Any]] | None:
    """(name node, kind, construct node) for each definition, from flat captures.

    In every grammar here a definition's name comes before any nested definition, so
    sorting both lists by position pairs them; when the check fails the caller falls
    back to per-match results.
    """
    defs = sorted(
        ((node, key[11:]) for key, nodes in captures.items() if key.startswith("definition.") for node in nodes),
        key=lambda d: (d[0].start_byte, -d[0].end_byte),
    )
    names = sorted(captures.get("name", []), key=lambda n: n.start_byte)
    if len(defs) != len(names):
        return None
    pairs = []
    for (node, kind), name in zip(defs, names):
        if not node.start_byte <= name.start_byte < node.end_byte:
            return None
        pairs.append((name, kind, node))
    return pairs


def _definitions_by_match(cursor: Any, root: Any) -> list[tuple[Any, str, Any]]:
    found = []
    for _pattern, captures in cursor.matches(root):
        names = captures.get("name")
        for key, nodes in captures.items():
            if key.startswith("definition.") and names:
                found.append((names[0], key[11:], nodes[0]))
    return found


def _captures(language: Language, source: bytes) -> tuple[dict[str, list[Any]], list[tuple[Any, str, Any]]]:
    """The query's captures by name, and the definitions paired from them."""
    import tree_sitter

    root = parser_for(language).parse(source).root_node
    query = query_for(language, "tags")
    captures: dict[str, list[Any]] = tree_sitter.QueryCursor(query).captures(root)
    pairs = _pair_definitions(captures)
    if pairs is None:
        pairs = _definitions_by_match(tree_sitter.QueryCursor(query), root)
    return captures, pairs


def _definitions(pairs: list[tuple[Any, str, Any]], source: bytes) -> tuple[list[Definition], set[int]]:
    """The scoped definitions, and the start bytes of their names (a generic reference
    pattern can match a definition's own name: those are not references)."""
    raw_defs = []
    def_name_starts = set()
    for name_node, kind, node in pairs:
        def_name_starts.add(name_node.start_byte)
        raw_defs.append((node.start_point[0] + 1, node.end_point[0] + 1, name_node.text.decode("utf-8", "replace"), kind, _signature_end(node, source)))
    return _scoped(raw_defs), def_name_starts


def extract(language: Language, source: bytes) -> FileTags:
    captures, pairs = _captures(language, source)
    definitions, def_name_starts = _definitions(pairs, source)
    refs = []
    for key, nodes in captures.items():
        if key.startswith("reference."):
            kind = key[10:]
            refs += [
                Reference(n.text.decode("utf-8", "replace"), kind, n.start_point[0] + 1)
                for n in nodes
                if n.start_byte not in def_name_starts
            ]
    refs.sort(key=lambda r: r.line)
    return FileTags(definitions, refs)


def index_records(language: Language, source: bytes, ignored: frozenset[str]) -> tuple[list[Definition], list[tuple[str, int, str]]]:
    """What the index stores of a file: its definitions, and one (name, count, "line,...")
    row per referenced name outside ``ignored``.

    The same records as ``extract`` aggregated, built in one pass without a Reference per
    node: a cold index of a big repo makes hundreds of thousands of them.
    """
    captures, pairs = _captures(language, source)
    definitions, def_name_starts = _definitions(pairs, source)
    lines: dict[bytes, list[int]] = {}
    for key, nodes in captures.items():
        if key.startswith("reference."):
            for node in nodes:
                if node.start_byte not in def_name_starts:
                    lines.setdefault(node.text, []).append(node.start_point[0] + 1)
    rows = []
    for raw, at in lines.items():
        name = raw.decode("utf-8", "replace")
        if name not in ignored:
            at.sort()  # a name captured by several patterns comes in pattern order
            rows.append((name, len(at), ",".join(map(str, at))))
    return definitions, rows


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
