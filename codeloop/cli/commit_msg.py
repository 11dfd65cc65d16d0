"""`codeloop commit-msg`: a conventional commit message for the staged diff (a prepare-commit-msg hook)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer

from codeloop.cli.common import MODEL_HELP, check_model_loads, chosen_model, fail_usage
from codeloop.errors import UsageError
from codeloop.models.base import ModelError


def commit_msg(
    message_file: Optional[Path] = typer.Argument(None, help="git's message file (prepare-commit-msg passes it); omit to print the message."),
    source: Optional[str] = typer.Argument(None, help="git's message source (message, template, merge, squash, commit)."),
    commit: Optional[str] = typer.Argument(None, help="The commit being amended (passed by git; unused)."),
    staged: bool = typer.Option(True, "--staged/--no-staged", help="Describe the staged diff (the only mode)."),
    no_model: bool = typer.Option(False, "--no-model", help="Build the message from the changed files only."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout."),
    model: Optional[str] = typer.Option(None, "--model", help=MODEL_HELP),
) -> None:
    """Write a conventional-commit message (subject + body) for what is staged."""
    from codeloop.core.commit_msg import merge_into, write_message
    from codeloop.workspace.git import find_project, find_worktree
    from codeloop.workspace.revision import staged_diff

    # pre-commit passes only the file and tells the source through the environment.
    source = source or os.environ.get("PRE_COMMIT_COMMIT_MSG_SOURCE") or ""
    try:
        if not staged:
            raise UsageError("only the staged diff can be described: drop --no-staged")
        if message_file is not None and message_file.exists() and not message_file.is_file():
            raise UsageError(f"{message_file} is not a file: pass git's commit message file")
        diff = staged_diff(find_worktree(Path.cwd()))
        model_path = None if no_model else chosen_model(model, find_project(Path.cwd()))
        if model_path is not None:
            check_model_loads(model_path)
    except UsageError as exc:
        fail_usage(str(exc), json_out)
    if not diff.strip():
        if message_file is not None:
            raise typer.Exit(0)  # nothing staged (e.g. --allow-empty): leave git's message alone
        fail_usage("nothing is staged: git add the changes to describe first", json_out)
    existing = message_file.read_text("utf-8", "replace") if message_file is not None and message_file.is_file() else ""
    if message_file is not None and merge_into(existing, "x", source) is None:
        raise typer.Exit(0)  # the user's own message: never replaced, and no model time spent
    backend = None
    if not no_model:
        from codeloop.models.factory import make_backend

        backend = make_backend("llamacpp", model_path=model_path)
    model_error = ""
    try:
        message = write_message(diff, backend)
    except ModelError as exc:  # a commit hook must never fail the commit: the facts will do
        from codeloop.cli.render import model_off_line

        model_error = str(exc)
        print(model_off_line(model_error, "writing the message from the changed files"), file=sys.stderr)
        message = write_message(diff, None)
    if message_file is not None:
        merged = merge_into(existing, message.text(), source)
        if merged is not None:
            message_file.write_text(merged, encoding="utf-8")
    if json_out:
        print(json.dumps({"status": "ok", "header": message.header, "body": message.body, "from_model": message.from_model, "written": message_file is not None, "model_error": model_error or None}))
    elif message_file is None:
        print(message.text(), end="")
