"""Helpers shared by commands: exit codes, errors, config."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn, overload

import typer

from codeloop.core.errors import InvalidInput
from codeloop.errors import RefusedError, UsageError
from codeloop.workspace.config import config_string, project_config

DEFAULT_TEST_CMD = "python -m pytest -q"
MODEL_HELP = (
    "A catalog name (`codeloop model list`) or a GGUF path. Default: [tool.codeloop] model, "
    "else model in the user config file, else the embedded SmolLM2-135M."
)
BASE_URL_HELP = (
    "OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1; several comma-separated make a pool "
    "(sampling spread across them, failover). Default: [tool.codeloop] base-url (a URL or a list)."
)
SERVER_SLOTS_HELP = "Requests in flight per server of --base-url (default: [tool.codeloop] server-slots, else 1; raise it for vLLM)."


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


# The CLI flag through which each input the core names reaches it.
_FLAG_FOR = {"lines": "--lines", "name": "--name", "check": "--check"}


def usage_error(exc: InvalidInput) -> UsageError:
    """The core's InvalidInput as the CLI's one line, naming the flag."""
    flag = _FLAG_FOR.get(exc.what)
    return UsageError(f"{flag} {exc.problem}" if flag else exc.problem)


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


def check_model_loads(model: Path) -> None:
    """A --model that cannot load is exit 2 up front; a crash is reported where it is used."""
    from codeloop.models.base import ModelError
    from codeloop.models.factory import check_backend_options

    try:
        check_backend_options("llamacpp", model, None, probe=True)
    except ModelError:
        pass


def configured_gpu_layers(root: Path | None, given: int | None) -> int | None:
    """--gpu-layers, else ``[tool.codeloop] gpu-layers``, else None (llama.cpp offloads
    every layer when its build can)."""
    if given is not None or root is None:
        return given
    configured = project_config(root).get("gpu-layers")
    if configured is not None and (not isinstance(configured, int) or isinstance(configured, bool) or configured < -1):
        raise UsageError("[tool.codeloop] gpu-layers in pyproject.toml must be a whole number of layers (0: none, -1: all)")
    return configured


def configured_base_url(root: Path | None, given: str | None) -> str | None:
    """--base-url, else ``[tool.codeloop] base-url`` (one URL or a list: a pool of servers),
    as the comma-separated text the openai backend takes."""
    if given is not None or root is None:
        return given
    configured = project_config(root).get("base-url")
    if configured is None:
        return None
    if isinstance(configured, str):
        return configured
    if isinstance(configured, list) and configured and all(isinstance(u, str) and u.strip() for u in configured):
        return ",".join(configured)
    raise UsageError('[tool.codeloop] base-url in pyproject.toml must be a URL or a list of URLs, e.g. ["http://127.0.0.1:8000/v1"]')


def configured_server_slots(root: Path | None, given: int | None) -> int:
    """--server-slots, else ``[tool.codeloop] server-slots``, else 1: requests in flight per
    server (llama.cpp's server answers one at a time; vLLM batches many)."""
    value: object = given
    if value is None and root is not None:
        value = project_config(root).get("server-slots")
    if value is None:
        return 1
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise UsageError("--server-slots (or [tool.codeloop] server-slots) must be a whole number of requests, at least 1")
    return value


def user_config_file() -> Path:
    """``<user config dir>/codeloop/config.toml`` (``~/.config/codeloop/config.toml`` on Linux)."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("codeloop", appauthor=False)) / "config.toml"


def _user_config() -> dict[str, Any]:
    import tomllib

    path = user_config_file()
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} is not valid TOML ({exc}); fix or remove it") from None
    return data


def _configured_models(project: Path | None) -> Iterator[tuple[str, object, Path]]:
    """(where, value, folder relative paths start from), nearest first, read lazily."""
    if project is not None:
        yield "[tool.codeloop] model in pyproject.toml", project_config(project).get("model"), project
    path = user_config_file()
    yield f"model in {path}", _user_config().get("model"), path.parent


def configured_model(project: Path | None) -> tuple[str, str, Path] | None:
    """The nearest configured default model: (where, value, folder relative paths start
    from), or None when nothing is configured (the embedded model)."""
    for where, value, base in _configured_models(project):
        if value is not None:
            return where, value if isinstance(value, str) else "", base
    return None


def chosen_model(given: str | None, project: Path | None) -> Path | None:
    """The GGUF to load: ``--model`` (a catalog name or a path), else ``[tool.codeloop] model``
    in the project's pyproject.toml, else ``model`` in the user config file; None: the
    embedded default. A catalog name not pulled yet is a UsageError saying to pull it."""
    from codeloop.models.store import resolve

    if given is not None:
        if not given.strip():
            raise UsageError("--model is empty: pass a catalog name (`codeloop model list`) or a .gguf path")
        return resolve(given.strip(), Path.cwd())
    for where, value, base in _configured_models(project):
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise UsageError(f"{where} must be a catalog name or a .gguf path (a non-empty string)")
        try:
            return resolve(value.strip(), base)
        except UsageError as exc:
            raise UsageError(f"{exc} (from {where})") from None
    return None


__all__ = ["RefusedError", "UsageError", "fail_usage", "fail_refused", "project_config", "test_command", "chosen_model", "user_config_file", "MODEL_HELP",
           "check_model_loads", "configured_gpu_layers", "fail_model", "usage_error", "configured_model"]
