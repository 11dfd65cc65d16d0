"""Java extract-method: the Python extractor's rules, plus Java's one-return-value limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codeloop.core.changes import ChangeSet, FileChange
from codeloop.core.refactor import RefactorRefused
from codeloop.core.refactor.extract import Extraction
from codeloop.core.errors import InvalidInput

from codeloop_java.plan import plan as make_plan
from codeloop_java.render import _fallback, _taken, check_name, render
from codeloop_java.selection import _parse, select


class JavaExtractor:
    language = "java"

    def extract(self, source: str, path: str, start: int, end: int, name: str | None, backend: Any) -> Extraction:
        tree = _parse(source)
        if tree.root_node.has_error:
            raise RefactorRefused("the file does not parse as Java: fix the syntax error first")
        plan = make_plan(select(tree, source.splitlines(keepends=True), start, end))
        taken = _taken(tree)
        if name is not None:
            problem = check_name(name, taken)
            if problem is not None:
                raise InvalidInput("name", problem)
            how = "given"
        else:
            name, how = _model_name(source, plan, taken, backend), "model"
            if name is None:
                name, how = _fallback(plan, taken), "fallback"
        after = render(plan, name, source)
        if _parse(after).root_node.has_error:
            raise RefactorRefused("internal check failed: the rewritten file does not parse; nothing was changed")
        details = {
            "function": plan.method_name,
            "params": [p.name for p in plan.params],
            "returns": [plan.out.name] if plan.out is not None else [],
            "lines": [start, end],
        }
        return Extraction(ChangeSet((FileChange(path, source, after),)), name, how, details, plan)

    def check_built(self, workdir: Path, path: str) -> str | None:
        from codeloop_java.javac import compile_problem

        return compile_problem(workdir, path)


def camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def _model_name(source: str, plan: Any, taken: set[str], backend: Any) -> str | None:
    """The shared naming model, its snake_case answer turned into Java's camelCase."""
    if backend is None:
        return None
    from codeloop.core.refactor.naming import propose_name

    sel = plan.selection
    code = "".join(source.splitlines(keepends=True)[sel.statements[0].start_point[0] : sel.statements[-1].end_point[0] + 1])
    returns = [plan.out.name] if plan.out is not None else []
    try:
        found = propose_name(code, [p.name for p in plan.params], returns, backend, lambda n: check_name(camel(n), taken) is None)
    except (ValueError, RuntimeError, OSError):
        return None  # naming is best-effort
    return camel(found) if found else None
