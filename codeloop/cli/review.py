"""`codeloop review`: line-anchored findings on what is staged (or a revision range)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from codeloop.cli.common import MODEL_HELP, check_model_loads, chosen_model
from codeloop.cli.drive import EVENTS_HELP, Driver
from codeloop.errors import UsageError
from codeloop.workspace.environment import ProjectEnvironment, resolve_environment

if TYPE_CHECKING:
    from codeloop.core.review.findings import ReviewResult

FORMATS = ("text", "json", "sarif")
FAIL_ON = ("blocking", "never")


def review(
    paths: Optional[list[Path]] = typer.Argument(None, help="Limit the review to these files or folders."),
    staged: bool = typer.Option(False, "--staged", help="Review the staged changes (the default)."),
    rev: Optional[str] = typer.Option(None, "--rev", help="Review a revision range instead, e.g. HEAD~1..HEAD."),
    worktree: bool = typer.Option(False, "--worktree", help="Review the saved working tree against HEAD instead (unstaged edits and new files included; what an editor shows)."),
    output: str = typer.Option("text", "--format", help="text | json | sarif"),
    fail_on: str = typer.Option("blocking", "--fail-on", help="Exit 1 when a finding at this level exists: blocking | never."),
    time_budget: float = typer.Option(60.0, "--time-budget", help="Seconds for the whole review; the model is skipped when none is left."),
    no_model: bool = typer.Option(False, "--no-model", help="Tests and deterministic checks only."),
    no_tests: bool = typer.Option(False, "--no-tests", help="Do not run the test command."),
    test_cmd: Optional[str] = typer.Option(None, "--test-cmd", help="Test command (default: [tool.codeloop] test-cmd, else 'python -m pytest -q')."),
    min_score: int = typer.Option(4, "--min-score", help="Drop model findings it scores under this (1-5)."),
    model: Optional[str] = typer.Option(None, "--model", help=MODEL_HELP),
    events: Optional[str] = typer.Option(None, "--events", help=EVENTS_HELP),
) -> None:
    """Review staged changes: failing tests, broken names and callers, then the model."""
    from codeloop.workspace.git import find_project, find_worktree

    driver = Driver("review", output == "json", events)
    with driver:
        if output not in FORMATS:
            raise UsageError(f"--format {output!r} is unknown: choose text, json or sarif")
        if fail_on not in FAIL_ON:
            raise UsageError(f"--fail-on {fail_on!r} is unknown: choose blocking or never")
        if sum((staged, rev is not None, worktree)) > 1:
            raise UsageError("--staged, --rev and --worktree exclude each other: pass one")
        if time_budget <= 0 or not 1 <= min_score <= 5:
            raise UsageError("--time-budget must be positive and --min-score between 1 and 5")
        cwd = Path.cwd()
        top = find_worktree(cwd)
        project = find_project(cwd)
        model_path = chosen_model(model, project) if not no_model else None
        if model_path is not None:
            check_model_loads(model_path)
        only = tuple(_top_relative(p, top) for p in paths or [])
        environment = resolve_environment(project, None, test_cmd, top=top)
        if not no_tests:
            from codeloop.workspace.runnable import ensure_test_command_runs

            ensure_test_command_runs(environment)
        result = _run(driver, top, project, rev, worktree, only, environment, time_budget, not no_model, not no_tests, min_score, model_path)
        driver.finish({"status": "ok", **result.to_dict()}, 1 if result.fails(fail_on) else 0, lambda out, err: _show(result, output, out, err))


def _top_relative(path: Path, top: Path) -> str:
    full = path.resolve()
    if not full.exists():
        raise UsageError(f"path does not exist: {path} (pass files or folders inside the repository)")
    try:
        return full.relative_to(top).as_posix() if full != top else ""
    except ValueError:
        raise UsageError(f"{path} is outside the repository at {top}") from None


def _run(
    driver: Driver, top: Path, project: Path, rev: str | None, worktree: bool, only: tuple[str, ...], environment: ProjectEnvironment,
    budget: float, use_model: bool, run_tests: bool, min_score: int, model: Path | None,
) -> ReviewResult:
    from codeloop.core.review.engine import ReviewInput, ReviewOptions, review
    from codeloop.core.review.model_review import ModelReviewer
    from codeloop.models.factory import make_backend
    from codeloop.plugins import language_for_path, make_runner
    from codeloop.workspace import revision

    if worktree:
        version, diff = revision.worktree(top)
    else:
        version, diff = revision.revision_range(top, rev) if rev else revision.staged(top)
    with version:
        run_dir = project.relative_to(top).as_posix() if project != top else ""
        inp = ReviewInput(diff, version.read, version.read_old, version.source_files, version.root / run_dir, run_dir, tuple(p for p in only if p))
        reviewer = ModelReviewer(lambda: make_backend("llamacpp", model_path=model), min_score=min_score) if use_model else None
        options = ReviewOptions(time_budget=budget, run_tests=run_tests, use_model=use_model)
        return driver.drive(review(inp, make_runner(environment.test_command, env_for=environment.run_env), reviewer, language_for_path, options))


def _show(result: ReviewResult, output: str, out: Any, err: Any) -> None:
    from codeloop.cli.review_output import result_renderable, summary_line
    from codeloop.core.review.sarif import to_sarif

    if output == "sarif":
        print(json.dumps(to_sarif(result), indent=2))
        err.print(summary_line(result), markup=False)
    else:
        out.print(result_renderable(result))
