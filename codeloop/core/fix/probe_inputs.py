"""Inputs to compare patches on: the tests' own arguments, small mutations of them, and
values drawn for the signature's annotations.

Patches that all pass a weak test may still disagree on inputs next to the test's (the
hidden tests of HumanEvalFix are mostly such neighbours). The calls are Python source
text (``name(arg, ...)``), evaluated later in a child process against each patch; nothing
here runs the user's code. Pure and deterministic: the same sources give the same calls.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

_MAX_TEXT = 200  # a repr longer than this is not a handy input to show anyone


@dataclass(frozen=True)
class Signature:
    name: str  # what a call is written with: "f", or "Class.method" for static/class methods
    params: tuple[str, ...]  # positional parameters a call fills (no self/cls)
    annotations: tuple[ast.expr | None, ...]
    required: int  # parameters without a default


def signature_of(function_source: str, qualname: str) -> Signature | None:
    """The callable part of a function's signature, or None when it cannot be called from
    outside with literal arguments (an instance method, a nested function, *args only)."""
    try:
        tree = ast.parse(_dedent(function_source))
    except SyntaxError:
        return None
    node = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if node is None or isinstance(node, ast.AsyncFunctionDef):
        return None
    parts = qualname.split(".")
    decorators = {d.id if isinstance(d, ast.Name) else getattr(d, "attr", "") for d in node.decorator_list}
    args = node.args.posonlyargs + node.args.args
    if len(parts) == 1 and not decorators:
        pass  # a decorated function may not be what its name is bound to
    elif len(parts) == 2 and decorators == {"staticmethod"}:
        pass
    elif len(parts) == 2 and decorators == {"classmethod"}:
        args = args[1:]
    else:
        return None  # instance methods need an instance: no inputs, other signals decide
    defaults = len(node.args.defaults)
    return Signature(qualname, tuple(a.arg for a in args), tuple(a.annotation for a in args), max(0, len(args) - defaults))


def _dedent(source: str) -> str:
    lines = source.splitlines(keepends=True)
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "".join(line[indent:] for line in lines)


def literal_arguments(test_sources: Iterable[str], name: str) -> list[tuple[Any, ...]]:
    """Literal positional arguments of every call to ``name`` in the tests (``f(...)``,
    ``mod.f(...)``), and, when there are none, calls of a test helper's parameter
    (HumanEval's ``check(candidate)``: ``candidate(...)``)."""
    short = name.rsplit(".", 1)[-1]
    direct: list[tuple[Any, ...]] = []
    through_parameter: list[tuple[Any, ...]] = []
    for source in test_sources:
        try:
            tree = ast.parse(_dedent(source))
        except SyntaxError:
            continue
        parameters = {a.arg for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) for a in f.args.args}
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            callee = call.func.id if isinstance(call.func, ast.Name) else call.func.attr if isinstance(call.func, ast.Attribute) else ""
            values = _literal_args(call)
            if values is None:
                continue
            if callee == short:
                direct.append(values)
            elif callee in parameters:
                through_parameter.append(values)
    return _unique(direct or through_parameter)


def _literal_args(call: ast.Call) -> tuple[Any, ...] | None:
    if call.keywords or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    try:
        return tuple(ast.literal_eval(a) for a in call.args)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def mutations(value: Any) -> list[Any]:
    """Values next to ``value``: the small edits a hidden test tends to make."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1, 0, -value, value * 2, value + 7]
    if isinstance(value, float):
        return [value + 0.5, value - 1.0, 0.0, -value, value * 2.5]
    if isinstance(value, str):
        out: list[Any] = ["", value[1:], value[:-1]]
        # Another kind of character where the string ends (a digit, a trailing space):
        # string code branches on character classes, and hidden tests cross them.
        if value:
            out += [value[:-1] + ("1" if not value[-1].isdigit() else "a"), value + " "]
        out += [value[::-1], value + value[:1], value.upper(), value.swapcase(), value * 2]
        if " " in value:
            out.append(value.replace(" ", "", 1))
        return out
    if isinstance(value, (list, tuple)):
        kind = type(value)
        items = list(value)
        out = [kind(), kind(items[1:]), kind(items[:-1]), kind(items[::-1]), kind(items + items[:1])]
        if items:
            first = mutations(items[0])
            out += [kind([m] + items[1:]) for m in first[:3]]
            last = mutations(items[-1])
            out += [kind(items[:-1] + [m]) for m in last[:2]]
            try:
                out.append(kind(sorted(items)))
            except TypeError:
                pass
        return out
    if isinstance(value, dict):
        keys = list(value)
        out = [{}]
        if keys:
            out.append({k: value[k] for k in keys[1:]})
        return out
    return []


def _annotation_values(node: ast.expr | None) -> list[Any]:
    """A few plain values for a parameter annotated ``int``, ``List[str]`` ..."""
    if node is None:
        return []
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    simple: dict[str, list[Any]] = {
        "int": [0, 1, 2, 3, -1, 5, 10, 13],
        "float": [0.0, 1.0, 2.5, -1.5, 3.75],
        "str": ["", "a", "ab", "abc", "aBc d", "hello world", "aa"],
        "bool": [True, False],
    }
    if name in simple:
        return simple[name]
    if isinstance(node, ast.Subscript):
        outer = node.value.id if isinstance(node.value, ast.Name) else getattr(node.value, "attr", "")
        inner_nodes = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        inner = _annotation_values(inner_nodes[0])
        if outer.lower() in ("list", "sequence", "iterable") and inner:
            return [[], inner[1:2], inner[1:4], inner[2:5][::-1], inner[1:3] * 2]
        if outer == "Optional" and inner:
            return [None, *inner[:3]]
    return []


def probe_calls(signature: Signature, seeds: list[tuple[Any, ...]], limit: int = 40) -> list[str]:
    """Up to ``limit`` calls of ``signature.name`` on inputs next to the tests' own: each
    seed with one argument mutated at a time (round-robin over seeds and mutations, so
    every seed and argument gets a share), then annotation values when no seed exists.
    The seeds themselves are left out: every plausible patch already agrees there."""
    arity = len(signature.params)
    usable = [s for s in seeds if signature.required <= len(s) <= arity]
    known = {_call(signature.name, s) for s in usable}
    calls: dict[str, None] = {}
    for args in _round_robin([_neighbours(seed) for seed in usable]):
        text = _call(signature.name, args)
        if text not in known and len(text) <= _MAX_TEXT + len(signature.name):
            calls.setdefault(text, None)
        if len(calls) >= limit:
            break
    if not usable:
        for args in _from_annotations(signature, limit):
            calls.setdefault(_call(signature.name, args), None)
    return list(calls)[:limit]


def _neighbours(seed: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    per_argument = [[seed[:i] + (m,) + seed[i + 1 :] for m in mutations(value)] for i, value in enumerate(seed)]
    yield from _round_robin([iter(options) for options in per_argument])


def _round_robin(sources: list[Iterator[Any]] | list[Any]) -> Iterator[Any]:
    iterators = [iter(s) for s in sources]
    while iterators:
        alive = []
        for it in iterators:
            try:
                yield next(it)
            except StopIteration:
                continue
            alive.append(it)
        iterators = alive


def _from_annotations(signature: Signature, limit: int) -> list[tuple[Any, ...]]:
    values = [_annotation_values(a) for a in signature.annotations[: signature.required or len(signature.annotations)]]
    if not values or any(not v for v in values):
        return []
    # Diagonal walk: value i of every parameter, shifted per parameter so pairs vary.
    longest = max(len(v) for v in values)
    rows = []
    for i in range(min(limit, longest * 2)):
        rows.append(tuple(v[(i + k * (i // longest)) % len(v)] for k, v in enumerate(values)))
    return rows


def _call(name: str, args: tuple[Any, ...]) -> str:
    return f"{name}({', '.join(repr(a) for a in args)})"


def _unique(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    seen: dict[str, tuple[Any, ...]] = {}
    for row in rows:
        seen.setdefault(repr(row), row)
    return list(seen.values())
