"""`codeloop refactor`: deterministic, verified refactorings (extract-method, suggest)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from codeloop.cli.common import MODEL_HELP, chosen_model, fail_refused, fail_usage, usage_error
from codeloop.cli.drive import EVENTS_HELP, Driver
from codeloop.core.errors import InvalidInput
from codeloop.core.events import ModelFailed
from codeloop.errors import RefusedError, UsageError

if TYPE_CHECKING:
    from codeloop.core.refactor.extract import Extractor

app = typer.Typer(
    help="Deterministic refactorings, verified before anything is written.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def parse_lines(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", text)
    if not match:
        raise UsageError(f"--lines {text!r} is not a range: pass START-END, e.g. --lines 12-20")
    start = int(match.group(1))
    end = int(match.group(2) or start)
    if start < 1 or end < start:
        raise UsageError(f"--lines {text}: START must be at least 1 and not after END")
    return start, end


def _note_line(message: str) -> None:
    print(f"codeloop: {message}", file=sys.stderr)


def _locate(file: Path) -> tuple[Path, str, str, Extractor]:
    """Project root, the file's path relative to it, its text, and its language's extractor."""
    from codeloop import plugins
    from codeloop.plugins import language_for_path
    from codeloop.workspace.git import find_project, find_worktree
    from codeloop.workspace.git_state import ensure_no_operation

    if not file.is_file():
        raise UsageError(f"{file} is not a file: pass the path of a source file inside a git repository")
    root = find_project(file.resolve().parent)
    ensure_no_operation(find_worktree(root), "refactor")
    rel = file.resolve().relative_to(root).as_posix()
    language = language_for_path(rel)
    extractors = plugins.extractors()
    if language is None or language.name not in extractors:
        known = ", ".join(sorted(extractors))
        raise UsageError(f"{rel}: no extract-method for this file type (supported: {known}; install a plugin for more)")
    try:
        source = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{rel} is not UTF-8 text: pass a source file") from None
    if language.name == "python":
        from codeloop.core.refactor.extract import syntax_error

        problem = syntax_error(source)
        if problem is not None:  # bad input, not a refusal: the user's to fix first
            raise UsageError(f"{rel} does not parse as Python ({problem}): fix the syntax error first")
    return root, rel, source, extractors[language.name]


def _backend(name: Optional[str], no_model: bool, backend: str, model: Optional[str], base_url: Optional[str], root: Path, note: Callable[[str], None]) -> Any:
    """The naming model, or None (the name then falls back to a deterministic one)."""
    if name is not None or no_model:
        return None
    from codeloop.models.base import ModelError
    from codeloop.models.factory import check_backend_options, make_backend

    model_path = chosen_model(model, root) if backend == "llamacpp" else None
    check_backend_options(backend, model_path, base_url)
    try:
        made = make_backend(backend, model_path=model_path, base_url=base_url)
        check_backend_options(backend, model_path, base_url, probe=True)  # a model that cannot load: exit 2
        return made
    except UsageError as exc:
        if model_path is not None or backend != "llamacpp":
            raise
        note(f"no model for naming ({exc}); using a deterministic name")
        return None
    except ModelError:  # crashed while loading: said once, by _model_crash
        return None


def _model_crash() -> Optional[ModelFailed]:
    """Naming is best effort (a dead model leaves the deterministic name), but say why once."""
    from codeloop.models.worker import crashes

    for crash in crashes()[:1]:
        return ModelFailed(str(crash), "naming deterministically")
    return None


@app.command("extract-method")
def extract_method(
    file: Path = typer.Argument(..., help="The source file (inside a git work tree)."),
    lines: str = typer.Option(..., "--lines", help="START-END, 1-based and inclusive: the statements to move."),
    name: Optional[str] = typer.Option(None, "--name", help="Name of the new function (default: proposed by the model)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the verified diff; change nothing (with --json: the patch `codeloop apply` writes later)."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout."),
    check: bool = typer.Option(False, "--check", help="Also compare old and new function on generated inputs (hypothesis; pure code only)."),
    test_cmd: Optional[str] = typer.Option(None, "--test-cmd", help="Test command that must still pass (default: [tool.codeloop] test-cmd if configured)."),
    no_model: bool = typer.Option(False, "--no-model", help="Never load a model: without --name, use the deterministic name."),
    backend: str = typer.Option("llamacpp", "--backend", help="llamacpp | openai (for naming)"),
    model: Optional[str] = typer.Option(None, "--model", help=MODEL_HELP),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible server for --backend openai."),
    events: Optional[str] = typer.Option(None, "--events", help=EVENTS_HELP),
) -> None:
    """Move lines START-END into a new function (or method) and call it there."""
    from codeloop.cli.render import print_diff
    from codeloop.workspace import checkpoint
    from codeloop.workspace.environment import resolve_environment
    from codeloop.workspace.patch import patch_payload
    from codeloop.workspace.refactor_check import verify
    from codeloop.workspace.refactor_tests import choose_tests
    from codeloop.workspace.runnable import ensure_test_command_runs

    driver = Driver("refactor extract-method", json_out, events)
    with driver:
        start, end = parse_lines(lines)
        root, rel, source, extractor = _locate(file)
        environment = resolve_environment(root, None, test_cmd)
        if environment.test_command_source != "default":
            ensure_test_command_runs(environment)
        try:
            result = extractor.extract(source, rel, start, end, name, _backend(name, no_model, backend, model, base_url, root, driver.note))
            crash = _model_crash()
            if crash is not None:
                driver.handle(crash)
            # Configured tests, else the suite or the tests exercising the function: never none by default.
            tests = choose_tests(environment, rel, str(result.to_dict().get("function") or ""))
            verified = driver.drive(verify(root, rel, result, extractor, tests.command, check, environment.run_env))
            verified["tests_scope"] = tests.scope
        except RefusedError as exc:
            raise RefusedError(f"refused: {exc}; {file} is unchanged") from None
        applied = False
        if not dry_run:
            checkpoint.apply(root, result.changes, label="refactor")
            applied = True
        payload = {"status": "extracted", "applied": applied, "verified": verified, **result.to_dict(), "diff": result.changes.diff()}
        if dry_run:
            payload["patch"] = patch_payload(root, result.changes, "refactor")

        def show(out: Any, err: Any) -> None:
            if dry_run:
                print_diff(out, result.changes.diff())
            where = "file rewritten (codeloop undo reverts it)" if applied else "nothing written (--dry-run)"
            err.print(
                f"Extracted lines {start}-{end} into {result.name}() ({result.name_source} name); "
                f"verified: {', '.join(f'{k} {v}' for k, v in verified.items())}; {where}.",
                markup=False,
            )

        driver.finish(payload, 0, show)


@app.command("suggest")
def suggest(
    file: Path = typer.Argument(..., help="A Python source file."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout."),
    top: int = typer.Option(5, "--top", help="How many suggestions to list."),
    no_model: bool = typer.Option(False, "--no-model", help="Name suggestions deterministically, without the model."),
    backend: str = typer.Option("llamacpp", "--backend", help="llamacpp | openai (for naming)"),
    model: Optional[str] = typer.Option(None, "--model", help=MODEL_HELP),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible server for --backend openai."),
) -> None:
    """List ranked extract-method opportunities in long functions, with proposed names."""
    from codeloop.cli.render import make_console, model_off_line
    from codeloop.core.refactor.extract import name_suggestions

    try:
        if top < 1:
            raise UsageError("--top must be at least 1")
        root, rel, source, extractor = _locate(file)
        if extractor.language != "python":
            raise UsageError(f"{rel}: suggest supports Python files only")
        found = name_suggestions(source, top, _backend(None, no_model, backend, model, base_url, root, _note_line))
        crash = _model_crash()
        if crash is not None:
            print(model_off_line(crash.message, crash.fallback), file=sys.stderr)
    except InvalidInput as exc:
        fail_usage(str(usage_error(exc)), json_out)
    except UsageError as exc:
        fail_usage(str(exc), json_out)
    except RefusedError as exc:
        fail_refused(str(exc), json_out)
    if json_out:
        print(json.dumps({"status": "ok", "file": rel, "suggestions": [s.to_dict() for s in found]}))
        return
    out = make_console(stderr=False)
    if not found:
        out.print(f"{rel}: no extract-method opportunities in functions of 12 lines or more", markup=False)
    for s in found:
        out.print(
            f"{rel}:{s.start}-{s.end}  {s.function} -> {s.name}({', '.join(s.plan.params)})"
            f"{'  returns ' + ', '.join(s.plan.returns) if s.plan.returns else ''}  score {s.score:.1f}",
            markup=False,
        )
