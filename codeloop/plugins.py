"""Load plugins from the ``codeloop`` entry-point group and expose typed registries."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pluggy

from codeloop import hookspecs


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


def backends() -> dict[str, Callable[..., Any]]:
    return _collect("register_backends")


def test_runners() -> dict[str, Callable[..., Any]]:
    return _collect("register_test_runners")


def languages() -> dict[str, Any]:
    found: dict[str, Any] = {}

    def register(language: Any) -> None:
        found.setdefault(language.name, language)

    plugin_manager().hook.register_languages(register=register)
    return found


def candidate_generators() -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}

    def register(language: str, generator: Any) -> None:
        found.setdefault(language, []).append(generator)

    plugin_manager().hook.register_candidate_generators(register=register)
    return found


def extractors() -> dict[str, Any]:
    return _collect("register_extractors")
