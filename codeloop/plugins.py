"""Load plugins from the ``codeloop`` entry-point group and expose typed registries.

This is the one module that knows the registries; the seams' types live with their
layers (``analysis.languages.Language``, ``runners.base.TestRunner``,
``core.refactor.extract.Extractor``), which never import this module, so there is no
import cycle between plugins and the code they plug into.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import pluggy

from codeloop import hookspecs

if TYPE_CHECKING:
    from codeloop.analysis.languages import Language
    from codeloop.core.fix.mutants.base import MutationGenerator
    from codeloop.core.refactor.extract import Extractor
    from codeloop.models.base import Backend
    from codeloop.runners.base import TestRunner

RunnerFactory = Callable[..., "TestRunner"]  # (command, env_for=..., [coverage_path=...])


@functools.cache
def plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("codeloop")
    pm.add_hookspecs(hookspecs)
    pm.load_setuptools_entrypoints("codeloop")
    # A source checkout without `pip install` has no entry points: register the
    # built-ins directly so the tool still works from PYTHONPATH.
    from codeloop import builtins

    if not pm.is_registered(builtins):
        try:
            pm.register(builtins)
        except ValueError:  # already registered under the entry-point name
            pass
    return pm


def _collect(hook_name: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def register(name: str, value: Any) -> None:
        found.setdefault(name, value)  # first registration wins: plugins load before built-ins

    getattr(plugin_manager().hook, hook_name)(register=register)
    return found


def backends() -> dict[str, Callable[..., Backend]]:
    return _collect("register_backends")


def test_runners() -> dict[str, RunnerFactory]:
    return _collect("register_test_runners")


def languages() -> dict[str, Language]:
    found: dict[str, Language] = {}

    def register(language: Language) -> None:
        found.setdefault(language.name, language)

    plugin_manager().hook.register_languages(register=register)
    return found


def candidate_generators() -> dict[str, list[MutationGenerator]]:
    found: dict[str, list[MutationGenerator]] = {}

    def register(language: str, generator: MutationGenerator) -> None:
        found.setdefault(language, []).append(generator)

    plugin_manager().hook.register_candidate_generators(register=register)
    return found


def extractors() -> dict[str, Extractor]:
    return _collect("register_extractors")


def register_commands(app: Any) -> None:
    """Let plugins add their commands to the typer app (cli/app.py calls this once)."""
    plugin_manager().hook.register_commands(app=app)


def language_for_path(relpath: str) -> Language | None:
    """The registered language whose extensions include the path's suffix."""
    suffix = PurePosixPath(relpath).suffix
    for language in languages().values():
        if suffix in language.extensions:
            return language
    return None


def make_runner(command: str, env_for: Callable[[Path], dict[str, str]] | None = None, coverage_path: str | None = None) -> TestRunner:
    """The registered runner for ``command``: pytest's when it runs pytest, else exit codes."""
    from codeloop.runners.pytest_runner import is_pytest_command

    runners = test_runners()
    if is_pytest_command(command):
        return runners["pytest"](command, env_for=env_for, coverage_path=coverage_path)
    return runners["command"](command, env_for=env_for)
