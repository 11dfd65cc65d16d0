"""Deterministic checks on the new version: it parses, its names exist, its callers fit.

Facts, not opinions: each finding here is blocking with confidence 1.0, because the
code as staged raises (SyntaxError, NameError, TypeError) when that line runs.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Any

from codeloop.analysis.functions import parse
from codeloop.analysis.languages import Language
from codeloop.core.review.diffs import ChangedFile
from codeloop.core.review.findings import Finding
from codeloop.core.review.names import BUILTINS, bindings_and_references, top_level_names

Reader = Callable[[str], "str | None"]


def syntax_findings(language: Language, change: ChangedFile, new: str, old: str | None) -> list[Finding]:
    tree = parse(language, new.encode())
    if not tree.root_node.has_error:
        return []
    if old is not None and parse(language, old.encode()).root_node.has_error:
        return []  # it did not parse before either: not this change's doing
    node = _first_error(tree.root_node)
    line = node.start_point[0] + 1 if node is not None else 1
    last = node.end_point[0] + 1 if node is not None else line
    lines = sorted(change.added_lines)
    # An ERROR node often starts at the enclosing statement: anchor on the added lines inside
    # it, else on the nearest added line before it (tree-sitter notices errors late).
    inside = [n for n in lines if line <= n <= last]
    if inside:
        line = inside[0]
    elif lines and line not in lines:
        before = [n for n in lines if n <= line]
        line = before[-1] if before else lines[0]
    what = "missing " + node.type if node is not None and node.is_missing else "a syntax error"
    return [
        Finding(change.path, line, line, "issue", True,
                f"the file no longer parses ({what} near line {line}): importing it raises SyntaxError, so nothing that uses it runs; fix the syntax on this line",
                "syntax", 1.0, rule="codeloop/syntax-error")
    ]


def _first_error(node: Any) -> Any:
    if node.type == "ERROR" or node.is_missing:
        return node
    for child in node.children:
        if child.has_error or child.is_missing or child.type == "ERROR":
            found = _first_error(child)
            if found is not None:
                return found
    return None


def undefined_findings(language: Language, change: ChangedFile, new: str, old: str | None) -> list[Finding]:
    """Reads of names bound nowhere in the file, on added lines or of names this change unbound."""
    bound, reads, magic = bindings_and_references(language, new.encode())
    if magic:
        return []
    was_bound = bindings_and_references(language, old.encode())[0] if old is not None else set()
    added = change.added_lines
    findings = []
    reported: set[tuple[str, int]] = set()
    lines = new.splitlines()
    for use in reads:
        if use.name in bound or use.name in BUILTINS or (use.name, use.line) in reported:
            continue
        if use.line not in added and use.name not in was_bound:
            continue
        reported.add((use.name, use.line))
        close = difflib.get_close_matches(use.name, sorted(bound), n=1, cutoff=0.75) or difflib.get_close_matches(use.name, sorted(BUILTINS), n=1, cutoff=0.8)
        fix = f"did you mean `{close[0]}`?" if close else f"define or import `{use.name}`"
        why = "no longer defined in this file" if use.name in was_bound else "not defined anywhere in this file"
        suggestion = ""
        if close and 0 < use.line <= len(lines):
            text = lines[use.line - 1]
            suggestion = text[: use.column] + close[0] + text[use.column + len(use.name):]
        findings.append(
            Finding(change.path, use.line, use.line, "issue", True,
                    f"`{use.name}` is {why}: this line raises NameError when it runs; {fix}",
                    "undefined-name", 1.0, suggestion=suggestion, rule="codeloop/undefined-name")
        )
    return findings


def module_name(path: str) -> str:
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports_from(language: Language, source: bytes) -> Iterator[tuple[str, str, int]]:
    """(module, imported name, line) for each ``from module import name``."""
    tree = parse(language, source)
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type != "import_from_statement":
            continue
        module = node.child_by_field_name("module_name")
        if module is None or module.type != "dotted_name":
            continue
        for i, child in enumerate(node.children):
            if node.field_name_for_child(i) != "name":
                continue
            target = child.child_by_field_name("name") if child.type == "aliased_import" else child
            if target is not None:
                yield module.text.decode(), target.text.decode(), node.start_point[0] + 1


def removed_export_findings(language: Language, change: ChangedFile, new: str, old: str | None, others: dict[str, str]) -> list[Finding]:
    """Other files still ``from this_module import name`` a name the change removed."""
    if old is None:
        return []
    gone = top_level_names(language, old.encode()) - top_level_names(language, new.encode())
    if not gone:
        return []
    dotted = module_name(change.path)
    findings = []
    for path, text in others.items():
        for module, name, line in _imports_from(language, text.encode()):
            if name in gone and (dotted == module or dotted.endswith("." + module)):
                findings.append(
                    Finding(path, line, line, "issue", True,
                            f"`{name}` is no longer defined in {change.path}, but this file still imports it: the import raises ImportError; update this import or keep `{name}`",
                            "undefined-name", 1.0, rule="codeloop/removed-name")
                )
    return findings
