"""pluggy hook specifications: how backends, languages, test runners, mutation
generators, extractors and commands plug in.

Built-ins register through these very hooks (see codeloop.builtins), exactly like an
outside plugin package that declares an entry point in the ``codeloop`` group. The
types of what is registered are the seams' protocols: ``analysis.languages.Language``,
``runners.base.TestRunner`` (made by a factory), ``core.refactor.extract.Extractor``,
``core.fix.mutants.base.MutationGenerator`` and ``models.base.Backend``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from codeloop.analysis.languages import Language
    from codeloop.core.fix.mutants.base import MutationGenerator
    from codeloop.core.refactor.extract import Extractor
    from codeloop.models.base import Backend
    from codeloop.runners.base import TestRunner

hookspec = pluggy.HookspecMarker("codeloop")
hookimpl = pluggy.HookimplMarker("codeloop")


@hookspec
def register_backends(register: Callable[[str, Callable[..., Backend]], None]) -> None:
    """Call ``register(name, factory)``; factory(**options) -> models.base.Backend."""


@hookspec
def register_languages(register: Callable[[Language], None]) -> None:
    """Call ``register(language)`` with an analysis.languages.Language (e.g. a TreeSitterLanguage)."""


@hookspec
def register_test_runners(register: Callable[[str, Callable[..., TestRunner]], None]) -> None:
    """Call ``register(name, factory)``; factory(command, env_for=..., ...) -> runners.base.TestRunner.
    "pytest" runs commands that run pytest, "command" any other (judged by exit code)."""


@hookspec
def register_candidate_generators(register: Callable[[str, MutationGenerator], None]) -> None:
    """Call ``register(language_name, generator)`` for the cheap (model-free) repair tier."""


@hookspec
def register_extractors(register: Callable[[str, Extractor], None]) -> None:
    """Call ``register(language_name, extractor)`` for ``codeloop refactor extract-method``:
    a core.refactor.extract.Extractor (``extract(...) -> Extraction``, and ``check_built``,
    an extra check run in a sandbox copy, e.g. compiling; None when it passes)."""


@hookspec
def register_commands(app: Any) -> None:
    """Add typer commands (or sub-apps) to the CLI's typer app. cli/app.py calls it once,
    after the built-in commands, so a plugin cannot shadow one of them."""
