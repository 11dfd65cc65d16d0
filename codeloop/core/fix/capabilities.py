"""Capability refusal: a candidate may not give the code it rewrites powers it did not use.

A candidate is an untrusted program (a mutant, or a model's answer) that will run in the
user's test environment and, if it passes, be applied to the user's code. Passing the
tests is not enough: a patch that exits the process, skips the test, patches pytest or
reads a file can "pass" without fixing anything. So before a Python candidate runs, the
functions it changes are compared with the originals by what they can *do*
(capabilities read off the AST), and a candidate whose changed code does something its
original did not is refused with the reason.

Only what is NEW is refused: a function that already used ``os`` may keep using it, and
a bug fix almost never needs a power the buggy code lacked. Capabilities are coarse on
purpose (names, attributes, imports): the check must be cheap enough to run on every
mutant, and a false refusal costs one candidate while a miss may cost the user's tree.

The size bound: the changed functions may grow to ``SIZE_FACTOR`` times their original
size plus ``SIZE_SLACK`` bytes (a rewrite that adds a guard or a loop fits easily; a
4 MiB string literal does not).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

SIZE_FACTOR = 3
SIZE_SLACK = 1024  # bytes

# Modules whose use is a capability in itself (processes, files, the interpreter, the
# network, native code, signals, other modules' code).
POWERFUL_MODULES = frozenset({
    "os", "sys", "subprocess", "socket", "ctypes", "shutil", "signal", "builtins", "importlib",
    "multiprocessing", "threading", "_thread", "pty", "fcntl", "resource", "gc", "inspect", "pathlib",
    "io", "tempfile", "glob", "urllib", "http", "ssl", "select", "selectors", "asyncio", "pickle",
    "marshal", "shelve", "code", "codeop", "runpy", "atexit", "faulthandler", "mmap", "posix", "nt",
    "requests", "httpx", "zipimport", "webbrowser", "ftplib", "smtplib", "telnetlib",
})
TEST_MODULES = frozenset({"pytest", "_pytest", "unittest", "doctest", "conftest", "hypothesis", "nose"})
EXEC_NAMES = frozenset({"exec", "eval", "compile", "__import__", "breakpoint"})
EXIT_NAMES = frozenset({"exit", "quit", "SystemExit", "KeyboardInterrupt", "GeneratorExit"})
EXIT_ATTRS = frozenset({"_exit", "exit", "abort", "kill", "killpg", "raise_signal"})
FILE_NAMES = frozenset({"open", "input"})
# pathlib's (and file objects') reading and writing methods; str.replace is not here.
FILE_ATTRS = frozenset({
    "write_text", "write_bytes", "read_text", "read_bytes", "open", "unlink", "rmdir", "mkdir",
    "touch", "chmod", "symlink_to", "hardlink_to", "rename", "fdopen", "makedirs", "removedirs",
})
GLOBALS_NAMES = frozenset({"globals", "vars"})  # setattr/delattr: only on a module (see _walk)
# Dunders that reach the interpreter's internals from any object.
ESCAPE_ATTRS = frozenset({
    "__builtins__", "__globals__", "__subclasses__", "__code__", "__closure__", "__import__",
    "__loader__", "__spec__", "__dict__", "__getattribute__", "__reduce__", "__reduce_ex__",
    "f_globals", "f_locals", "f_back", "gi_frame", "tb_frame",
})


@dataclass(frozen=True)
class Refusal:
    """Why a candidate is refused before it runs."""

    capability: str  # e.g. "process exit", "import pytest", "file I/O", "size", "syntax"
    evidence: str = ""  # where, e.g. "in add: os._exit (line 3)"
    message: str = ""  # the whole reason, when "adds CAPABILITY (EVIDENCE)" does not read well

    def __str__(self) -> str:
        if self.message:
            return self.message
        return f"adds {self.capability}" + (f" ({self.evidence})" if self.evidence else "")


Capabilities = dict[str, str]  # capability -> its first evidence
_Add = Callable[[str, str, ast.AST], None]


@dataclass
class _Unit:
    """A function (with what is nested in it) or the module's own code outside functions."""

    key: str  # qualname ("Cls.method", "f", "f#2" for a redefinition) or "<module>"
    nodes: list[ast.AST]
    signature: str  # its source text (a formatting change is a change that adds nothing)
    size: int  # bytes of source


@dataclass
class _Module:
    units: dict[str, _Unit]
    aliases: dict[str, str]  # module-level name -> the module it is bound to by an import
    sources: dict[str, list[ast.AST]]  # module-level name -> its def, or the values assigned to it
    # name -> (what its own code does, the module-level names it uses): filled on demand,
    # so a candidate costs a parse and a walk of what it changed and what that reaches.
    direct: dict[str, tuple[Capabilities, set[str]]] = field(default_factory=dict)


def refusal(before: str, after: str, test_modules: Iterable[str] = ()) -> Refusal | None:
    """Why ``after`` (a candidate's Python file) may not run in place of ``before``, or None.

    ``test_modules``: module names of the project's test files (``test_calc``); a
    candidate that names them reaches for the tests that judge it."""
    old = _analysed(before)
    if old is None:
        return None  # the original does not parse here (newer syntax?): nothing to compare with
    growth = len(after) - len(before)
    if growth > (SIZE_FACTOR - 1) * len(before) + SIZE_SLACK:  # past any function's bound: no need to parse it
        return Refusal("size", "", f"the patch is far larger than the code it replaces (the file grows by {growth} characters)")
    try:
        new = _analyse(after, ast.parse(after))
    except (SyntaxError, ValueError, MemoryError):  # ValueError: a NUL byte or a lone surrogate
        return Refusal("syntax", "", "the file no longer parses as Python")
    except RecursionError:
        return Refusal("nesting", "", "the code is nested too deeply to check")
    try:
        return _compare(old, new, frozenset(test_modules) | TEST_MODULES)
    except RecursionError:  # ast.dump and friends recurse: a chain of 10,000 + is code no fix needs
        return Refusal("nesting", "", "the code is nested too deeply to check")


def _compare(old: _Module, new: _Module, tests: frozenset[str]) -> Refusal | None:
    changed_old = [u for k, u in old.units.items() if k not in new.units or new.units[k].signature != u.signature]
    changed_new = [u for k, u in new.units.items() if k not in old.units or old.units[k].signature != u.signature]
    if not changed_new:
        return None
    old_size, new_size = sum(u.size for u in changed_old), sum(u.size for u in changed_new)
    if new_size > SIZE_FACTOR * old_size + SIZE_SLACK:
        what = ", ".join(u.key for u in changed_new[:3])
        return Refusal(
            "size", f"{what}: {new_size} bytes for {old_size}",
            f"the patch is far larger than the code it replaces ({what}: {new_size} bytes for {old_size}; "
            f"the bound is {SIZE_FACTOR}x + {SIZE_SLACK} bytes)",
        )
    region: Capabilities = {}  # what the replaced code could do: a new helper may do that too
    for unit in changed_old:
        region.update(_capabilities(unit, old, tests))
    for unit in changed_new:
        had = _capabilities(old.units[unit.key], old, tests) if unit.key in old.units else region
        for capability, evidence in _capabilities(unit, new, tests).items():
            if capability not in had:
                return Refusal(capability, f"in {unit.key}: {evidence}")
    return None


@functools.lru_cache(maxsize=64)
def _analysed(source: str) -> _Module | None:
    """The original's analysis (the same file is compared with many candidates)."""
    try:
        return _analyse(source, ast.parse(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _analyse(source: str, tree: ast.Module) -> _Module:
    lines = source.splitlines(keepends=True)
    units: dict[str, _Unit] = {}
    module_parts: list[ast.AST] = []
    in_function = [False] * (len(lines) + 1)

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                key = prefix + stmt.name
                n = 2
                while key in units:
                    key, n = f"{prefix}{stmt.name}#{n}", n + 1
                first = min([stmt.lineno] + [d.lineno for d in stmt.decorator_list])
                text = "".join(lines[first - 1 : stmt.end_lineno])
                units[key] = _Unit(key, [stmt], text, len(text.encode("utf-8", "surrogateescape")))
                for line in range(first, (stmt.end_lineno or first) + 1):
                    in_function[line] = True
            elif isinstance(stmt, ast.ClassDef):
                module_parts.extend([*stmt.decorator_list, *stmt.bases, *stmt.keywords])
                visit(stmt.body, f"{prefix}{stmt.name}.")
            else:
                module_parts.append(stmt)

    visit(tree.body, "")
    rest = "".join(line for number, line in enumerate(lines, 1) if not in_function[number])
    units["<module>"] = _Unit("<module>", module_parts, rest, len(rest.encode("utf-8", "surrogateescape")))
    aliases: dict[str, str] = {}
    sources: dict[str, list[ast.AST]] = {}
    for stmt in tree.body:
        for bound, root in _imported(stmt):
            aliases[bound] = root
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            sources.setdefault(stmt.name, []).append(stmt)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for part in ast.walk(target):
                    if isinstance(part, ast.Name):
                        sources.setdefault(part.id, []).append(stmt.value)
    return _Module(units, aliases, sources)


def _imported(node: ast.AST) -> Iterator[tuple[str, str]]:
    """(bound name, root module) of an import statement."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield (alias.asname or alias.name.split(".")[0]), alias.name.split(".")[0]
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
        for alias in node.names:
            yield (alias.asname or alias.name), node.module.split(".")[0]


def _direct(module: _Module, name: str) -> tuple[Capabilities, set[str]]:
    if name not in module.direct:
        module.direct[name] = _walk(module.sources[name], module, TEST_MODULES)
    return module.direct[name]


def _capabilities(unit: _Unit, module: _Module, tests: frozenset[str]) -> Capabilities:
    """What the unit's code does, and what the module-level helpers it uses do (through
    helpers of helpers too: each reachable helper is read once)."""
    found, pending = _walk(unit.nodes, module, tests, own=unit.key)
    found = dict(found)
    seen: set[str] = set()
    queue = sorted(pending)
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        capabilities, uses = _direct(module, name)
        for capability, evidence in capabilities.items():
            found.setdefault(capability, f"through {name}: {evidence}")
        queue.extend(sorted(uses - seen))
    return found


def _bound_locally(nodes: list[ast.AST]) -> set[str]:
    """Names the code binds itself (parameters, assignments, loop targets): a local
    ``path`` is not ``from os import path``."""
    bound: set[str] = set()
    for root in nodes:
        for node in ast.walk(root):
            if isinstance(node, ast.arg):
                bound.add(node.arg)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                bound.add(node.id)
    return bound


def _walk(nodes: list[ast.AST], module: _Module, tests: frozenset[str], own: str = "") -> tuple[Capabilities, set[str]]:
    """(what the code itself does, the module-level names it uses)."""
    found: Capabilities = {}
    uses: set[str] = set()
    local = _bound_locally(nodes) if own != "<module>" else set()

    def add(capability: str, evidence: str, node: ast.AST) -> None:
        line = getattr(node, "lineno", None)
        found.setdefault(capability, evidence + (f" (line {line})" if line else ""))

    def module_of(node: ast.expr) -> str | None:
        """The module a name (or the root of an attribute chain) stands for."""
        while isinstance(node, ast.Attribute):
            node = node.value
        if not isinstance(node, ast.Name) or node.id in local:
            return None
        if node.id in module.aliases:
            return module.aliases[node.id]
        return node.id if node.id in POWERFUL_MODULES | tests else None

    for root in nodes:
        for node in ast.walk(root):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [m for _, m in _imported(node)] or ["a relative module"]
                for name in names:
                    add(f"import {name}", f"import of {name}", node)
            elif isinstance(node, ast.Global):
                add("module globals", "a global statement", node)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local:
                _name(node, module, tests, add)
                if node.id in module.sources:
                    uses.add(node.id)
            elif isinstance(node, ast.Attribute):
                _attribute(node, module_of(node.value), tests, add)
                if isinstance(node.ctx, (ast.Store, ast.Del)) and module_of(node.value) is not None:
                    add("module attribute change", f"assigns {ast.unparse(node)}", node)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr"):
                if node.args and module_of(node.args[0]) is not None and isinstance(node.args[0], ast.Name):
                    add("module attribute change", f"{node.func.id} on {ast.unparse(node.args[0])}", node)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                _string(node, tests, add)
    return found, uses


def _name(node: ast.Name, module: _Module, tests: frozenset[str], add: _Add) -> None:
    name = node.id
    root = module.aliases.get(name, name)
    if name in EXEC_NAMES:
        add("dynamic import" if name == "__import__" else "exec/eval/compile", f"{name}", node)
    elif name in EXIT_NAMES:
        add("process exit", name, node)
    elif name in FILE_NAMES:
        add("file I/O", f"{name}()", node)
    elif name in GLOBALS_NAMES:
        add("module globals", f"{name}()", node)
    elif name == "__builtins__":
        add("builtins access", name, node)
    if root in tests or name in tests:
        add("pytest or the test modules", name if root == name else f"{name} (from {root})", node)
    elif root in POWERFUL_MODULES:
        add(f"{root} access", name if root == name else f"{name} (from {root})", node)
        if name != root and name in EXIT_ATTRS:
            add("process exit", f"{name} (from {root})", node)


def _attribute(node: ast.Attribute, root: str | None, tests: frozenset[str], add: _Add) -> None:
    attr = node.attr
    where = _dotted(node)
    if root in POWERFUL_MODULES and attr in EXIT_ATTRS:
        add("process exit", where, node)
    if attr in FILE_ATTRS:
        add("file I/O", where, node)
    if attr in ESCAPE_ATTRS:
        add("interpreter internals", where, node)
    if root == "sys" and attr in ("modules", "meta_path", "path_hooks", "settrace", "setprofile"):
        # Other modules' objects and the import machinery: a capability of its own, apart
        # from the rest of sys (code that calls sys.exit may not thereby empty the tests'
        # data through sys.modules: benchmarks/faults.py hostile).
        add("other modules' objects", where, node)
    if attr in tests:
        add("pytest or the test modules", where, node)


def _string(node: ast.Constant, tests: frozenset[str], add: _Add) -> None:
    text = str(node.value)[:400]
    for name in tests:
        named = text == name or f"{name}.py" in text or (name in ("pytest", "_pytest", "conftest") and name in text)
        if named:
            add("pytest or the test modules", repr(text[:40]), node)
            return
    if text in ESCAPE_ATTRS or text in EXEC_NAMES:  # getattr(obj, "__globals__"), getattr(builtins, "eval")
        add("interpreter internals", f"the string {text!r}", node)


def _dotted(node: ast.expr) -> str:
    try:
        return ast.unparse(node)[:60]
    except Exception:  # unparse of a hand-made node; the evidence is only for the message
        return getattr(node, "attr", "?")
