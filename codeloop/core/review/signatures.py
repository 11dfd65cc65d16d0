"""Python function signatures and call shapes from tree-sitter, to spot callers left behind."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Signature:
    params: tuple[str, ...]  # positional-or-keyword parameters, in order (self/cls dropped)
    required: int  # how many leading ``params`` have no default
    varargs: bool
    varkw: bool
    kwonly: tuple[str, ...]
    kwonly_required: tuple[str, ...]

    def accepts(self, positional: int, keywords: frozenset[str]) -> bool:
        if positional > len(self.params) and not self.varargs:
            return False
        named = set(self.params) | set(self.kwonly)
        if not self.varkw and not keywords <= named:
            return False
        bound_by_position = set(self.params[:positional])
        if keywords & bound_by_position:
            return False  # "got multiple values for argument"
        if not all(p in bound_by_position or p in keywords for p in self.params[: self.required]):
            return False
        return set(self.kwonly_required) <= keywords

    def render(self, name: str) -> str:
        parts = [p if i < self.required else f"{p}=..." for i, p in enumerate(self.params)]
        if self.varargs:
            parts.append("*args")
        elif self.kwonly:
            parts.append("*")
        parts += [k if k in self.kwonly_required else f"{k}=..." for k in self.kwonly]
        if self.varkw:
            parts.append("**kwargs")
        return f"{name}({', '.join(parts)})"


@dataclass(frozen=True)
class Call:
    name: str
    line: int
    end_line: int
    positional: int
    keywords: frozenset[str]
    via_attribute: bool  # obj.name(...) rather than name(...)
    receiver: str  # the identifier before the dot, "" when not a plain name
    text: str


def _param_name(node: Any) -> str:
    name = node.child_by_field_name("name")
    if name is None:
        name = next((c for c in node.children if c.type == "identifier"), None)
    return name.text.decode() if name is not None else ""


def signature_of(def_node: Any, is_method: bool) -> Signature:
    params: list[str] = []
    required = 0
    defaults_seen = False
    varargs = varkw = kw_mode = False
    kwonly: list[str] = []
    kwonly_required: list[str] = []
    parameters = def_node.child_by_field_name("parameters")
    for child in parameters.named_children if parameters is not None else []:
        kind = child.type
        if kind == "list_splat_pattern" or (kind == "typed_parameter" and child.named_children and child.named_children[0].type == "list_splat_pattern"):
            varargs = kw_mode = True
        elif kind == "dictionary_splat_pattern" or (kind == "typed_parameter" and child.named_children and child.named_children[0].type == "dictionary_splat_pattern"):
            varkw = True
        elif kind == "keyword_separator":
            kw_mode = True
        elif kind in ("identifier", "typed_parameter", "default_parameter", "typed_default_parameter"):
            name = child.text.decode() if kind == "identifier" else _param_name(child)
            has_default = kind in ("default_parameter", "typed_default_parameter")
            if kw_mode:
                kwonly.append(name)
                if not has_default:
                    kwonly_required.append(name)
            else:
                params.append(name)
                defaults_seen = defaults_seen or has_default
                required += 0 if defaults_seen else 1
    if is_method and params and not _is_static(def_node):
        params.pop(0)
        required = max(0, required - 1)
    return Signature(tuple(params), required, varargs, varkw, tuple(kwonly), tuple(kwonly_required))


def _is_static(def_node: Any) -> bool:
    parent = def_node.parent
    if parent is None or parent.type != "decorated_definition":
        return False
    return any(d.text.decode().strip() == "@staticmethod" for d in parent.children if d.type == "decorator")


def calls_in(root: Any, names: set[str]) -> Iterator[Call]:
    """Calls of any of ``names`` (by plain name or as an attribute) whose arguments are countable."""
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(reversed(node.children))
        if node.type != "call":
            continue
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if fn is None or args is None or args.type != "argument_list":
            continue
        receiver = ""
        if fn.type == "identifier":
            name, via_attr = fn.text.decode(), False
        elif fn.type == "attribute" and fn.child_by_field_name("attribute") is not None:
            name, via_attr = fn.child_by_field_name("attribute").text.decode(), True
            obj = fn.child_by_field_name("object")
            receiver = obj.text.decode() if obj is not None and obj.type == "identifier" else ""
        else:
            continue
        if name not in names or any(a.type in ("list_splat", "dictionary_splat", "parenthesized_list_splat") for a in args.named_children):
            continue
        keywords = frozenset(a.child_by_field_name("name").text.decode() for a in args.named_children if a.type == "keyword_argument")
        positional = sum(1 for a in args.named_children if a.type not in ("keyword_argument", "comment"))
        yield Call(name, node.start_point[0] + 1, node.end_point[0] + 1, positional, keywords, via_attr, receiver, node.text.decode("utf-8", "replace"))
