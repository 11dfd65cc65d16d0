"""A function whose signature changed, and the calls that still fit only the old one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codeloop.analysis.functions import functions, parse
from codeloop.analysis.languages import Language
from codeloop.core.review.checks import _imports_from, module_name
from codeloop.core.review.diffs import ChangedFile
from codeloop.core.review.findings import Finding
from codeloop.core.review.signatures import Signature, calls_in, signature_of


@dataclass(frozen=True)
class ChangedSignature:
    path: str
    qualname: str
    name: str
    line: int  # the def line in the new file
    is_method: bool
    old: Signature
    new: Signature


def _def_nodes(language: Language, source: bytes) -> dict[str, tuple[Any, bool]]:
    """qualname -> (def node, is it a method), for every function in the file."""
    tree = parse(language, source)
    spans = {(s.start_line, s.name): s.qualname for s in functions(language, source)}
    found: dict[str, tuple[Any, bool]] = {}
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type in language.function_node_types:
            outer = node.parent if node.parent is not None and node.parent.type == "decorated_definition" else node
            name = node.child_by_field_name("name").text.decode()
            qual = spans.get((outer.start_point[0] + 1, name))
            if qual is not None:
                found[qual] = (node, _in_class(node, language))
    return found


def _in_class(node: Any, language: Language) -> bool:
    parent = node.parent
    while parent is not None and parent.type in ("block", "decorated_definition"):
        if parent.type == "block" and parent.parent is not None:
            return parent.parent.type in language.class_node_types
        parent = parent.parent
    return False


def changed_signatures(language: Language, change: ChangedFile, new: str, old: str | None) -> list[ChangedSignature]:
    if old is None:
        return []
    before = _def_nodes(language, old.encode())
    after = _def_nodes(language, new.encode())
    added = change.added_lines
    result = []
    for qual, (node, is_method) in after.items():
        if qual not in before:
            continue
        params = node.child_by_field_name("parameters")
        if params is None or not any(params.start_point[0] + 1 <= n <= params.end_point[0] + 1 for n in added):
            continue
        old_sig = signature_of(before[qual][0], before[qual][1])
        new_sig = signature_of(node, is_method)
        if old_sig != new_sig:
            name = node.child_by_field_name("name").text.decode()
            result.append(ChangedSignature(change.path, qual, name, node.start_point[0] + 1, is_method, old_sig, new_sig))
    return result


def _relevant(language: Language, path: str, text: str, sig: ChangedSignature) -> tuple[bool, set[str]]:
    """Can calls in this file reach ``sig``? And through which module aliases."""
    if path == sig.path:
        return True, set()
    dotted = module_name(sig.path)
    imported = any(name == sig.name and (dotted == m or dotted.endswith("." + m)) for m, name, _ in _imports_from(language, text.encode()))
    last = dotted.rsplit(".", 1)[-1]
    return imported, {last}


def stale_callers(language: Language, sig: ChangedSignature, files: dict[str, str]) -> list[Finding]:
    findings = []
    for path, text in files.items():
        direct, receivers = _relevant(language, path, text, sig)
        if not direct and not receivers and not sig.is_method:
            continue
        tree = parse(language, text.encode())
        for call in calls_in(tree.root_node, {sig.name}):
            if sig.is_method != call.via_attribute and not (call.via_attribute and call.receiver in receivers):
                continue
            if not sig.is_method and not call.via_attribute and not direct:
                continue
            if call.line == sig.line:
                continue
            if sig.old.accepts(call.positional, call.keywords) and not sig.new.accepts(call.positional, call.keywords):
                findings.append(
                    Finding(path, call.line, call.end_line, "issue", True,
                            f"`{call.text[:60]}` was not updated: `{sig.qualname}` is now {sig.new.render(sig.name)} "
                            f"(changed at {sig.path}:{sig.line}), so this call raises TypeError; update the call or give the new parameter a default",
                            "callers", 1.0, rule="codeloop/stale-caller")
                )
    return findings
