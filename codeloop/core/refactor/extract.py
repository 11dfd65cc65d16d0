"""extract_method(): from source text and a line range to a verified ChangeSet (no I/O)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from codeloop.core.changes import ChangeSet, FileChange
from codeloop.core.refactor import RefactorRefused
from codeloop.core.refactor.naming import check_name, fallback_name, model_name, taken_names
from codeloop.core.refactor.pyplan import ExtractPlan, plan
from codeloop.core.refactor.pyrender import call_text, rewrite
from codeloop.core.refactor.selection import select
from codeloop.core.errors import InvalidInput
from codeloop.models.base import Backend, PromptTooLongError


@dataclass(frozen=True)
class Extraction:
    """What any language's extract-method returns: the change plus facts for --json."""

    changes: ChangeSet
    name: str
    name_source: str  # "given" | "model" | "fallback"
    details: dict[str, Any]
    plan: Any = None  # the language's own plan (ExtractPlan for Python)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "name_source": self.name_source, **self.details}


class Extractor(Protocol):
    """A language's extract-method (registered through the ``register_extractors`` hook).

    ``extract`` computes the change without I/O: RefactorRefused says why it cannot,
    InvalidInput names a bad input ("lines", "name"). ``check_built`` is an extra check
    run on a sandbox copy holding the change (e.g. compiling): a problem, or None."""

    @property
    def language(self) -> str: ...

    def extract(self, source: str, path: str, start: int, end: int, name: str | None, backend: Backend | None) -> Extraction: ...

    def check_built(self, workdir: Path, path: str) -> str | None: ...


def _details(p: ExtractPlan, name: str) -> dict[str, Any]:
    return {
        "function": p.function_name,
        "kind": p.kind,
        "params": list(p.params),
        "returns": list(p.returns),
        "async": p.is_async,
        "call": call_text(p, name),
        "pure": p.pure,
        "lines": [p.selection.start, p.selection.end],
    }


def _parse(source: str) -> Any:
    from codeloop.analysis.languages import parser_for
    from codeloop.analysis.python_lang import PYTHON

    return parser_for(PYTHON).parse(source.encode("utf-8", "surrogateescape"))


def syntax_error(source: str) -> str | None:
    """Where the file does not parse (None when it does): "line N: message"."""
    if not _parse(source).root_node.has_error:
        return None
    try:
        ast.parse(source)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    except ValueError as exc:  # NUL bytes
        return str(exc)
    return "a syntax error"


def prepare(source: str, start: int, end: int) -> tuple[ExtractPlan, Any]:
    tree = _parse(source)
    if tree.root_node.has_error:
        raise RefactorRefused("the file does not parse as Python: fix the syntax error first")
    return plan(select(tree, source.splitlines(keepends=True), start, end)), tree


def choose_name(plan_: ExtractPlan, tree: Any, source: str, name: str | None, backend: Backend | None) -> tuple[str, str]:
    taken = taken_names(tree)
    if name is not None:
        problem = check_name(name, taken)
        if problem is not None:
            raise InvalidInput("name", problem)
        return name, "given"
    if backend is not None:
        code = "".join(source.splitlines(keepends=True)[plan_.selection.first_row : plan_.selection.last_row + 1])
        try:
            proposed = model_name(plan_, code, backend, taken)
        except (PromptTooLongError, ValueError, RuntimeError, OSError):
            proposed = None  # naming is best-effort: a model that fails leaves the fallback
        if proposed is not None:
            return private_name(plan_, proposed, taken), "model"
    return private_name(plan_, fallback_name(plan_, taken), taken), "fallback"


def private_name(plan_: ExtractPlan, name: str, taken: set[str]) -> str:
    """A new module-level helper is private unless the user named it: a public name
    would widen the module's API (``__all__``-less packages, namespace tests, docs)."""
    if plan_.kind != "function" or plan_.selection.outer.parent.type != "module" or name.startswith("_"):
        return name
    private, n = "_" + name, 2
    while check_name(private, taken) is not None:
        private, n = f"_{name}_{n}", n + 1
    return private


def verify(before: str, after: str, plan_: ExtractPlan, name: str) -> None:
    """The rewrite parses, defines ``name`` once and calls it where the lines were."""
    tree = _parse(after)
    if tree.root_node.has_error:
        raise RefactorRefused("internal check failed: the rewritten file does not parse; nothing was changed")
    try:
        ast.parse(before)
    except SyntaxError:
        pass  # newer syntax than this Python knows: tree-sitter's verdict stands alone
    else:
        try:
            defs = [n for n in ast.walk(ast.parse(after)) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name]
        except SyntaxError as exc:
            raise RefactorRefused(f"internal check failed: the rewritten file does not compile ({exc.msg}); nothing was changed") from None
        if len(defs) != 1:
            raise RefactorRefused(f"internal check failed: expected one def {name}, found {len(defs)}; nothing was changed")
    call_line = after.splitlines()[plan_.selection.first_row]
    if call_text(plan_, name) not in call_line:
        raise RefactorRefused("internal check failed: the call is not where the selection was; nothing was changed")


def extract_method(
    source: str,
    path: str,
    start: int,
    end: int,
    name: str | None = None,
    backend: Backend | None = None,
) -> Extraction:
    """Move lines ``start``..``end`` into a new function; RefactorRefused says why not."""
    plan_, tree = prepare(source, start, end)
    chosen, how = choose_name(plan_, tree, source, name, backend)
    after = rewrite(plan_, chosen, source)
    verify(source, after, plan_, chosen)
    return Extraction(ChangeSet((FileChange(path, source, after),)), chosen, how, _details(plan_, chosen), plan_)


class PythonExtractor:
    """The built-in extractor, registered like a plugin's (see builtins.register_extractors)."""

    language = "python"

    def extract(self, source: str, path: str, start: int, end: int, name: str | None, backend: Backend | None) -> Extraction:
        return extract_method(source, path, start, end, name=name, backend=backend)

    def check_built(self, workdir: Path, path: str) -> str | None:
        return None  # parsing was checked in verify(); the test command does the rest


def name_suggestions(source: str, top: int, backend: Backend | None) -> list[Any]:
    """suggest() for a whole file, each suggestion named (by the model when one is given)."""
    from dataclasses import replace

    from codeloop.core.refactor.suggest import suggest

    tree = _parse(source)
    if tree.root_node.has_error:
        raise RefactorRefused("the file does not parse as Python: fix the syntax error first")
    named = []
    for found in suggest(tree, source, limit=top):
        chosen, _ = choose_name(found.plan, tree, source, None, backend)
        named.append(replace(found, name=chosen))
    return named
