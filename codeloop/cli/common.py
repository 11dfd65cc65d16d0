"""Helpers shared by commands: exit codes, errors, config."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn, overload

import typer

from codeloop.errors import RefusedError, UsageError
from codeloop.workspace.config import config_string, project_config

DEFAULT_TEST_CMD = "python -m pytest -q"


def fail_usage(message: str, as_json: bool = False) -> NoReturn:
    """One line on stderr saying what to do, exit 2 (and one JSON object with --json)."""
    if as_json:
        print(json.dumps({"status": "error", "message": message}))
    print(f"codeloop: {message}", file=sys.stderr)
    raise typer.Exit(2)


def fail_refused(message: str, as_json: bool = False) -> NoReturn:
    if as_json:
        print(json.dumps({"status": "error", "message": message}))
    print(f"codeloop: {message}", file=sys.stderr)
    raise typer.Exit(1)


@overload
def test_command(root: Path, given: str | None) -> str: ...


@overload
def test_command(root: Path, given: str | None, default: None) -> str | None: ...


def test_command(root: Path, given: str | None, default: str | None = DEFAULT_TEST_CMD) -> str | None:
    """--test-cmd, else ``[tool.codeloop] test-cmd``, else ``default`` (None: run no tests)."""
    if given is not None:
        if not given.strip():
            raise UsageError("--test-cmd is empty: pass the command that runs your tests, e.g. --test-cmd 'python -m pytest -q'")
        return given
    return config_string(root, "test-cmd") or default


__all__ = ["RefusedError", "UsageError", "fail_usage", "fail_refused", "project_config", "test_command"]
