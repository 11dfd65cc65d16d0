"""pluggy hook specifications: how backends, languages and test runners plug in.

Built-ins register through these very hooks (see codeloop.builtins), exactly like an
outside plugin package that declares an entry point in the ``codeloop`` group.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("codeloop")
hookimpl = pluggy.HookimplMarker("codeloop")


@hookspec
def register_backends(register: Any) -> None:
    """Call ``register(name, factory)``; factory(**options) -> models.base.Backend."""


@hookspec
def register_languages(register: Any) -> None:
    """Call ``register(language)`` with an analysis.languages.Language."""


@hookspec
def register_test_runners(register: Any) -> None:
    """Call ``register(name, factory)``; factory(command) -> runners.base.TestRunner."""


@hookspec
def register_candidate_generators(register: Any) -> None:
    """Call ``register(language_name, generator)`` for the cheap (model-free) repair tier."""


@hookspec
def register_extractors(register: Any) -> None:
    """Call ``register(language_name, extractor)`` for ``codeloop refactor extract-method``.

    An extractor has ``extract(source, path, start, end, name, backend) -> Extraction``
    (codeloop.core.refactor.extract) and ``check_built(workdir, path) -> str | None``
    (an extra check run in a sandbox copy, e.g. compiling; None when it passes).
    """


@hookspec
def register_commands(app: Any) -> None:
    """Add typer commands to the CLI app (outside plugins only; built-ins are static)."""
