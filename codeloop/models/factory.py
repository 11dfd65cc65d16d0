"""Build the backend the user asked for, through the plugin registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codeloop import plugins
from codeloop.errors import UsageError
from codeloop.models.base import Backend


def check_backend_options(backend: str, model: Path | None, base_url: str | None) -> None:
    """Fail fast (exit 2) on options that cannot work, before any test runs."""
    known = plugins.backends()
    if backend not in known:
        raise UsageError(f"unknown backend {backend!r}: choose one of {', '.join(sorted(known))}")
    if model is not None and not model.is_file():
        raise UsageError(f"model file not found: {model} (pass --model with an existing .gguf file)")
    if backend == "openai" and not base_url:
        raise UsageError("--backend openai needs --base-url, e.g. --base-url http://127.0.0.1:8000/v1")


def make_backend(backend: str, **options: Any) -> Backend:
    factory = plugins.backends()[backend]
    return factory(**{k: v for k, v in options.items() if v is not None})  # type: ignore[no-any-return]
