"""Apply a verified ChangeSet to the user's tree atomically, and undo it later.

Before any byte of the user's tree changes, the previous contents are saved under
``.codeloop/undo/`` (a folder that ignores itself, so it never shows up in git status).
Each file is replaced atomically (write beside it, then rename); if anything fails or
the user presses Ctrl-C midway, the files already replaced are put back.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from codeloop.core.changes import ChangeSet
from codeloop.errors import RefusedError, UsageError

STATE_DIR = ".codeloop"


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
    mode = target.stat().st_mode if target.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.codeloop-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    files: list[str]


def apply(root: Path, changes: ChangeSet, label: str = "fix") -> Checkpoint:
    """Write ``changes`` into ``root``; refuse if a target changed since it was read.

    A change whose ``before`` is "" and whose file does not exist creates the file;
    undo removes it again.
    """
    created = {c.path for c in changes.files if c.before == "" and not (root / c.path).exists()}
    for change in changes.files:
        current = (root / change.path).read_bytes() if (root / change.path).exists() else None
        if change.path not in created and current != change.before.encode("utf-8"):
            raise RefusedError(
                f"{change.path} changed while codeloop was working; nothing was applied (run it again)"
            )
    undo_dir = _state_dir(root) / "undo" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    undo_dir.mkdir(parents=True)
    manifest = {"label": label, "files": []}
    for i, change in enumerate(changes.files):
        (undo_dir / f"{i}.before").write_bytes(change.before.encode("utf-8"))
        manifest["files"].append(  # type: ignore[attr-defined]
            {"path": change.path, "before": f"{i}.before", "after_sha256": _sha(change.after.encode("utf-8")),
             "created": change.path in created}
        )
    (undo_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    written: list[tuple[Path, bytes]] = []
    try:
        for change in changes.files:
            target = root / change.path
            if change.path in created:
                target.parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(target, change.after.encode("utf-8"))
            written.append((target, change.before.encode("utf-8")))
    except BaseException:
        for target, before in written:
            if target.relative_to(root).as_posix() in created:
                target.unlink(missing_ok=True)
            else:
                _write_atomic(target, before)
        shutil.rmtree(undo_dir, ignore_errors=True)
        raise
    return Checkpoint(undo_dir, [c.path for c in changes.files])


def latest(root: Path) -> Path | None:
    undo_root = root / STATE_DIR / "undo"
    if not undo_root.is_dir():
        return None
    found = sorted(p for p in undo_root.iterdir() if (p / "manifest.json").is_file())
    return found[-1] if found else None


def undo(root: Path) -> list[str]:
    """Restore what the last applied change replaced; refuse if those files changed since."""
    checkpoint = latest(root)
    if checkpoint is None:
        raise UsageError("nothing to undo: no change applied by codeloop was found in this repository")
    manifest = json.loads((checkpoint / "manifest.json").read_text())
    for entry in manifest["files"]:
        target = root / entry["path"]
        if not target.exists() or _sha(target.read_bytes()) != entry["after_sha256"]:
            raise RefusedError(
                f"{entry['path']} was edited after codeloop changed it; undo would lose that work. "
                "Restore it by hand (git diff shows the change)"
            )
    restored = []
    for entry in manifest["files"]:
        if entry.get("created"):
            (root / entry["path"]).unlink()
        else:
            _write_atomic(root / entry["path"], (checkpoint / entry["before"]).read_bytes())
        restored.append(entry["path"])
    shutil.rmtree(checkpoint)
    return restored
