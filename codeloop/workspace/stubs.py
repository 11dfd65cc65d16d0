"""Find what `codeloop generate` is to fill: a stub in a module, or a new function in a file.

Reads the user's files (never writes them) and returns a Target: the module text, a
function that splices a candidate into it, the Spec, and the visible test files.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from codeloop.core.edits import function_source, replace_function
from codeloop.core.lpw.spec import Spec, SpecError, from_description, from_stub
from codeloop.errors import UsageError
from codeloop.workspace.git import find_project, visible_files


@dataclass(frozen=True)
class Target:
    root: Path  # the project folder (tests run there)
    relpath: str  # the module, relative to root
    before: str  # the module's text now ("" for a new file)
    splice: Callable[[str], str]  # candidate function -> the module's new text
    spec: Spec
    test_files: list[str]  # relative to root


def split_target(text: str) -> tuple[Path, str]:
    path, sep, name = text.rpartition("::")
    if not sep or not name.isidentifier():
        raise UsageError(f"say which function to fill: {text}::function_name")
    return Path(path), name


def _relative(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        raise UsageError(f"{path} is outside the project folder {root}") from None


def _tests(root: Path, given: list[Path], module: str, name: str) -> list[str]:
    """--test files, else test files of the project that mention the function by name."""
    if given:
        for test in given:
            if not test.is_file():
                raise UsageError(f"test file not found: {test}")
        return [_relative(root, t) for t in given]
    from codeloop.plugins import language_for_path

    word = re.compile(rf"\b{re.escape(name)}\b")
    found = []
    for rel in visible_files(root):
        language = language_for_path(rel)
        if rel != module and language is not None and language.is_test_file(rel):
            text = (root / rel).read_text("utf-8", "replace")
            if word.search(text) and Path(module).stem in text:
                found.append(rel)
    return found


def stub_target(path: Path, name: str, tests: list[Path]) -> Target:
    from codeloop.analysis.functions import functions
    from codeloop.plugins import language_for_path

    if not path.is_file() or path.suffix != ".py":
        raise UsageError(f"{path} is not a Python file: pass path/to/module.py::{name}")
    root = find_project(path)
    relpath = _relative(root, path)
    text = _python_text(path, relpath)
    language = language_for_path(relpath)
    assert language is not None
    spans = [s for s in functions(language, text.encode("utf-8")) if s.qualname == name]
    if not spans:
        raise UsageError(f"no module-level function {name} in {relpath} (methods are not supported yet)")
    span = spans[0]
    test_files = _tests(root, tests, relpath, name)
    try:
        spec = from_stub(function_source(text, span), test_sources=tuple(_sources(root, test_files)))
    except SpecError as exc:
        raise UsageError(f"{relpath}::{name}: {exc}") from None
    return Target(root, relpath, text, lambda fn: replace_function(text, span, fn), spec, test_files)


def _python_text(path: Path, relpath: str) -> str:
    """The file's text, if it is UTF-8 Python that parses (UsageError, exit 2, if not)."""
    try:
        text = path.read_text("utf-8")
        ast.parse(text, relpath)
    except UnicodeDecodeError:
        raise UsageError(f"{relpath} is not UTF-8 text: pass a Python source file") from None
    except (SyntaxError, ValueError) as exc:  # ValueError: NUL bytes
        where = f" (line {exc.lineno}: {exc.msg})" if isinstance(exc, SyntaxError) else ""
        raise UsageError(f"{relpath} does not parse as Python{where}: fix it first") from None
    return text


def _sources(root: Path, rels: list[str]) -> list[str]:
    return [(root / r).read_text("utf-8", "replace") for r in rels]


def imported_name(test_sources: list[str], module: str) -> str | None:
    """The first name a test imports from ``module`` (``from slug import slugify``)."""
    for source in test_sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] == module:
                for alias in node.names:
                    if alias.name != "*":
                        return alias.name
    return None


def spec_target(out: str, description: str, signature: str | None, tests: list[Path]) -> tuple[Target, bool]:
    """A Target for a function described in words, appended to (or creating) ``out``.

    Returns (target, needs_signature): without --signature the def line is still to be
    written (the caller asks the model for it and rebuilds the spec).
    """
    path_text, _, name = out.partition("::")
    path = Path(path_text)
    if path.suffix != ".py":
        raise UsageError(f"--out must be a .py file: {out}")
    if not path.parent.resolve().is_dir():
        raise UsageError(f"folder not found for --out: {path.parent}")
    root = find_project(path.parent)
    relpath = _relative(root, path)
    before = path.read_text("utf-8") if path.exists() else ""
    test_files = _tests(root, tests, relpath, name) if tests or name else []
    sources = _sources(root, test_files)
    name = name or (signature and _def_name(signature)) or imported_name(sources, path.stem) or ""
    if not name.isidentifier():
        raise UsageError("say the function's name: --out file.py::name (or --signature 'def name(...)')")
    if re.search(rf"^\s*(async\s+)?def\s+{name}\b", before, re.M):
        raise UsageError(f"{relpath} already defines {name}: fill it with codeloop generate {relpath}::{name}")
    spec = from_description(signature or f"def {name}(*args)", description, test_sources=tuple(sources))

    def splice(function: str) -> str:
        return (before.rstrip() + "\n\n\n" if before.strip() else "") + function

    return Target(root, relpath, before, splice, spec, test_files), signature is None


def _def_name(signature: str) -> str:
    match = re.match(r"\s*(?:async\s+)?def\s+([A-Za-z_]\w*)", signature)
    return match.group(1) if match else ""
