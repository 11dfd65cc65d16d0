"""Apply a verified ChangeSet to the user's tree atomically, and undo it later.

Before any byte of the user's tree changes, the previous contents are saved under
``.codeloop/undo/`` (a folder that ignores itself, so it never shows up in git status).
Each file is replaced atomically (write beside it, then rename); if anything fails or
the user presses Ctrl-C midway, the files already replaced are put back.

Crash safety: the manifest says ``"complete": false`` until the last file is written,
and the applying process holds an flock on the checkpoint's ``.lock`` meanwhile. A
checkpoint that is incomplete and unlocked belongs to a codeloop that was killed
mid-apply (SIGKILL cannot be caught): ``recover`` (run before every sandbox copy, apply
and undo) puts back the files it had already replaced and removes it. ``undo`` is
idempotent: a file already back to its old bytes is skipped, so an undo cut short can
simply be run again.

Links: codeloop never writes through a symbolic link. A change to a path that is a link,
or lies under a linked folder, is refused; so undo never has a link to restore.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeloop.core.changes import ChangeSet
from codeloop.errors import RefusedError, UsageError

STATE_DIR = ".codeloop"
# Checkpoints applied by this process: an interrupted command says whether it changed the tree.
APPLIED: list[Checkpoint] = []
_TERMINATING = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


_deferred: list[int] | None = None  # signals that came while a block below ran


def defer(signum: int) -> bool:
    """For signal handlers: True (and the signal is re-sent after the block) while a
    change is being written."""
    if _deferred is None:
        return False
    _deferred.append(signum)
    return True


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP wait until the block is done: the tree gets all of a
    change or none of it (a signal that came meanwhile is delivered right after). The
    mask holds them for this thread; ``defer`` covers a signal the kernel hands to
    another thread, whose Python handler still runs here."""
    global _deferred
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _TERMINATING)
    _deferred = []
    try:
        yield
    finally:
        pending, _deferred = _deferred, None
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
        if pending:
            signal.raise_signal(pending[0])


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _state_dir(root: Path) -> Path:
    state = root / STATE_DIR
    state.mkdir(exist_ok=True)
    ignore = state / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# codeloop's own state; never committed\n*\n")
    return state


def _write_atomic(target: Path, data: bytes) -> None:
    mode = target.stat().st_mode if target.exists() and not target.is_symlink() else 0o644
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.codeloop-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def linked_part(root: Path, rel: str) -> str | None:
    """The first part of ``rel`` (itself included) that is a symbolic link, else None."""
    current = root
    for part in Path(rel).parts:
        current = current / part
        if current.is_symlink():
            return current.relative_to(root).as_posix()
    return None


def _read(target: Path) -> bytes | None:
    return target.read_bytes() if target.is_file() else None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _lock_is_free(path: Path) -> bool:
    try:
        with open(path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    files: list[str]


def _write_manifest(undo_dir: Path, manifest: dict[str, Any]) -> None:
    _write_atomic(undo_dir / "manifest.json", json.dumps(manifest, indent=2).encode("utf-8"))


def apply(root: Path, changes: ChangeSet, label: str = "fix") -> Checkpoint:
    """Write ``changes`` into ``root``; refuse if a target changed since it was read, or is
    (or lies under) a symbolic link.

    A change whose ``before`` is "" and whose file does not exist creates the file;
    undo removes it again.
    """
    recover(root)
    for change in changes.files:
        link = linked_part(root, change.path)
        if link is not None:
            raise RefusedError(f"{link} is a symbolic link; codeloop never writes through links, so nothing was applied")
    created = {c.path for c in changes.files if c.before == "" and not os.path.lexists(root / c.path)}
    for change in changes.files:
        current = _read(root / change.path)
        if change.path not in created and current != change.before.encode("utf-8"):
            raise RefusedError(
                f"{change.path} changed while codeloop was working; nothing was applied (run it again)"
            )
    undo_dir = _state_dir(root) / "undo" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    undo_dir.mkdir(parents=True)
    with _signals_held(), _locked(undo_dir / ".lock"):
        manifest: dict[str, Any] = {"label": label, "complete": False, "files": []}
        for i, change in enumerate(changes.files):
            (undo_dir / f"{i}.before").write_bytes(change.before.encode("utf-8"))
            manifest["files"].append(
                {"path": change.path, "before": f"{i}.before", "after_sha256": _sha(change.after.encode("utf-8")),
                 "created": change.path in created}
            )
        _write_manifest(undo_dir, manifest)
        written: list[tuple[Path, bytes]] = []
        try:
            for change in changes.files:
                target = root / change.path
                if change.path in created:
                    target.parent.mkdir(parents=True, exist_ok=True)
                _write_atomic(target, change.after.encode("utf-8"))
                written.append((target, change.before.encode("utf-8")))
            manifest["complete"] = True
            _write_manifest(undo_dir, manifest)
        except BaseException:
            for target, before in written:
                if target.relative_to(root).as_posix() in created:
                    target.unlink(missing_ok=True)
                else:
                    _write_atomic(target, before)
            shutil.rmtree(undo_dir, ignore_errors=True)
            raise
        done = Checkpoint(undo_dir, [c.path for c in changes.files])
        APPLIED.append(done)
    return done


def _checkpoints(root: Path) -> list[Path]:
    undo_root = root / STATE_DIR / "undo"
    if not undo_root.is_dir():
        return []
    return sorted(p for p in undo_root.iterdir() if (p / "manifest.json").is_file())


def recover(root: Path) -> list[str]:
    """Roll back applies that a killed codeloop left half done; the files put back."""
    restored: list[str] = []
    for undo_dir in _checkpoints(root):
        try:
            manifest = json.loads((undo_dir / "manifest.json").read_text())
        except (OSError, ValueError):
            continue
        if manifest.get("complete", True) or not _lock_is_free(undo_dir / ".lock"):
            continue  # finished, or its codeloop is still writing
        for entry in manifest["files"]:
            target = root / entry["path"]
            for stray in target.parent.glob(f".{target.name}.codeloop-*"):  # a write cut short
                stray.unlink(missing_ok=True)
            current = _read(target)
            if current is None or _sha(current) != entry["after_sha256"]:
                continue  # not written yet (or edited since: then it is the user's)
            if entry.get("created"):
                target.unlink()
            else:
                _write_atomic(target, (undo_dir / entry["before"]).read_bytes())
            restored.append(entry["path"])
        shutil.rmtree(undo_dir, ignore_errors=True)
    return restored


def latest(root: Path) -> Path | None:
    found = _checkpoints(root)
    return found[-1] if found else None


def _readable_manifest(root: Path, checkpoint: Path) -> dict[str, Any]:
    """The checkpoint's manifest, checked entry by entry before anything is written: a
    damaged one (hand-edited, cut short by a full disk) is the user's to sort out, exit 2."""
    where = checkpoint.relative_to(root)
    try:
        manifest = json.loads((checkpoint / "manifest.json").read_text(encoding="utf-8"))
        files = manifest["files"]
        if not isinstance(files, list):
            raise TypeError("files is not a list")
        for entry in files:
            rel = Path(entry["path"])
            if rel.is_absolute() or ".." in rel.parts:
                raise ValueError(f"path {entry['path']!r} leaves the repository")
            (checkpoint / entry["before"]).stat()
            str(entry["after_sha256"])
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise UsageError(
            f"the undo checkpoint {where} is damaged ({type(exc).__name__}: {exc}); nothing was changed: "
            f"restore the files by hand (git diff shows codeloop's change) and remove {where}"
        ) from exc
    return manifest  # type: ignore[no-any-return]


def undo(root: Path) -> list[str]:
    """Restore what the last applied change replaced; refuse if those files changed since.

    Files already back to their old bytes are skipped (an undo that was cut short)."""
    recover(root)
    checkpoint = latest(root)
    if checkpoint is None:
        raise UsageError("nothing to undo: no change applied by codeloop was found in this repository")
    manifest = _readable_manifest(root, checkpoint)
    todo = []
    for entry in manifest["files"]:
        target = root / entry["path"]
        before = (checkpoint / entry["before"]).read_bytes()
        current = _read(target)
        if linked_part(root, entry["path"]) is not None:
            raise RefusedError(f"{entry['path']} is now a symbolic link; undo never writes through links. Restore it by hand")
        if (entry.get("created") and current is None and not os.path.lexists(target)) or (
            not entry.get("created") and current == before
        ):
            continue  # already as it was
        if current is None or _sha(current) != entry["after_sha256"]:
            raise RefusedError(
                f"{entry['path']} was edited after codeloop changed it; undo would lose that work. "
                "Restore it by hand (git diff shows the change)"
            )
        todo.append((entry, before))
    with _signals_held():
        for entry, before in todo:
            if entry.get("created"):
                (root / entry["path"]).unlink()
            else:
                _write_atomic(root / entry["path"], before)
        shutil.rmtree(checkpoint)
    return [entry["path"] for entry in manifest["files"]]
