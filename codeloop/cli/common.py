"""Helpers shared by commands: exit codes, errors, config."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn, overload

import typer

from codeloop.errors import RefusedError, UsageError

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


def fail_model(message: str, as_json: bool = False) -> NoReturn:
    """The model died and the command cannot do without it: one line, exit 1."""
    if as_json:
        print(json.dumps({"status": "error", "message": message, "model_error": message}))
    print(f"codeloop: {message}", file=sys.stderr)
    raise typer.Exit(1)


def project_config(root: Path) -> dict[str, Any]:
    """``[tool.codeloop]`` from the repo's pyproject.toml ({} when absent)."""
    import tomllib

    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    try:
        data = tomllib.loads(pyproject.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{pyproject} is not valid TOML ({exc}); fix it or pass --test-cmd") from None
    section = data.get("tool", {}).get("codeloop", {})
    return section if isinstance(section, dict) else {}


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
    configured = project_config(root).get("test-cmd")
    if configured is not None and not isinstance(configured, str):
        raise UsageError("[tool.codeloop] test-cmd in pyproject.toml must be a string")
    return configured or default


def check_model_loads(model: Path) -> None:
    """A --model that cannot load is exit 2 up front; a crash is reported where it is used."""
    from codeloop.models.base import ModelError
    from codeloop.models.factory import check_backend_options

    try:
        check_backend_options("llamacpp", model, None, probe=True)
    except ModelError:
        pass


def configured_gpu_layers(root: Path, given: int | None) -> int | None:
    """--gpu-layers, else ``[tool.codeloop] gpu-layers``, else None (llama.cpp offloads
    every layer when its build can)."""
    if given is not None:
        return given
    configured = project_config(root).get("gpu-layers")
    if configured is not None and (not isinstance(configured, int) or isinstance(configured, bool) or configured < -1):
        raise UsageError("[tool.codeloop] gpu-layers in pyproject.toml must be a whole number of layers (0: none, -1: all)")
    return configured


__all__ = ["RefusedError", "UsageError", "fail_usage", "fail_refused", "check_model_loads", "fail_model", "project_config", "test_command", "configured_gpu_layers"]
