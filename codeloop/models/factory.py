"""Build the backend the user asked for, through the plugin registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codeloop import plugins
from codeloop.errors import UsageError
from codeloop.models.base import Backend, ModelLoadError

_PROBE_TIMEOUT_S = 5.0


def check_backend_options(
    backend: str, model: Path | None, base_url: str | None, probe: bool = False, gpu_layers: int | None = None
) -> None:
    """Fail fast (exit 2) on options that cannot work, before any test runs.

    With ``probe`` the model is tried for real: the GGUF is loaded in the run's model
    worker (which the run then uses: no second load), the server must answer. A worker
    that crashes raises ModelCrashed: the build, not the options, is at fault, and the
    caller decides whether to go on without the model.
    """
    known = plugins.backends()
    if backend not in known:
        raise UsageError(f"unknown backend {backend!r}: choose one of {', '.join(sorted(known))}")
    if model is not None and not model.is_file():
        raise UsageError(f"model file not found: {model} (pass --model with an existing .gguf file)")
    if backend == "openai" and not base_url:
        raise UsageError("--backend openai needs --base-url, e.g. --base-url http://127.0.0.1:8000/v1")
    if gpu_layers is not None and gpu_layers < -1:
        raise UsageError(f"--gpu-layers {gpu_layers}: pass a number of layers, 0 for none or -1 for all")
    if not probe:
        return
    if backend == "llamacpp":
        if model is not None:
            from codeloop.models.fit import check_fits

            check_fits(model)  # a model far too big: said before llama.cpp is asked to map it
        _load_model(model, gpu_layers)
    elif backend == "openai" and base_url:
        probe_server(base_url)


def _load_model(model: Path | None, gpu_layers: int | None) -> None:
    from codeloop.models.llamacpp import LlamaCppBackend

    try:
        LlamaCppBackend(model_path=model, n_gpu_layers=gpu_layers).load()
    except ModelLoadError as exc:
        raise UsageError(f"{exc}: pass a valid .gguf file with --model, or --no-model") from None


def probe_server(base_url: str) -> list[str]:
    """Anything that answers HTTP will do (even 401/404): a dead port will not. With several
    comma-separated URLs (a pool) one live server is enough; returns the ones that do not
    answer (the backend checks them again before it uses them)."""
    import httpx

    from codeloop.models.pool import split_urls

    urls = split_urls(base_url)
    dead: list[tuple[str, str]] = []
    for url in urls:
        try:
            httpx.get(url + "/models", timeout=_PROBE_TIMEOUT_S)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            dead.append((url, type(exc).__name__))
    if urls and len(dead) == len(urls):
        where = ", ".join(f"{url} ({why})" for url, why in dead)
        raise UsageError(f"cannot reach the model server at {where}: start it or pass the right --base-url")
    return [url for url, _ in dead]


def make_backend(backend: str, **options: Any) -> Backend:
    factory = plugins.backends()[backend]
    return factory(**{k: v for k, v in options.items() if v is not None})  # type: ignore[no-any-return]
