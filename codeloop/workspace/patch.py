"""A verified patch carried in a command's ``--dry-run --json`` result, applied later by
``codeloop apply`` exactly as it was previewed.

Each file carries the sha256 of the bytes it was computed from, so a file that changed
since the preview is noticed and nothing is written; the write itself goes through the
undo checkpoint (``codeloop undo`` reverts it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from codeloop.core.changes import ChangeSet, FileChange
from codeloop.errors import RefusedError, UsageError
from codeloop.workspace import checkpoint

PATCH_VERSION = 1
_HINT = "pass the output of `codeloop fix|generate|refactor extract-method --dry-run --json`"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def patch_payload(root: Path, changes: ChangeSet, label: str) -> dict[str, Any]:
    """The ``patch`` object of a --json result: where, and per file what it was and will be.
    ``before_sha256`` is null for a file the patch creates."""
    files = []
    for change in changes.files:
        created = change.before == "" and not (root / change.path).exists()
        files.append({
            "path": change.path,
            "before_sha256": None if created else _sha(change.before.encode("utf-8")),
            "after": change.after,
        })
    return {"v": PATCH_VERSION, "root": str(root), "label": label, "files": files}


@dataclass(frozen=True)
class PatchFile:
    path: str
    before_sha256: str | None
    after: str


@dataclass(frozen=True)
class Patch:
    root: Path
    label: str
    files: tuple[PatchFile, ...]


def load_patch(data: object) -> Patch:
    """A Patch from a --json result (or its ``patch`` object, or a ``result`` event);
    UsageError saying what is wrong with anything else."""
    if isinstance(data, dict) and isinstance(data.get("patch"), dict):
        data = data["patch"]
    elif isinstance(data, dict) and "status" in data:
        raise UsageError(f"this result carries no patch (status {data.get('status')!r}): {_HINT}")
    if not isinstance(data, dict) or not isinstance(data.get("files"), list) or not isinstance(data.get("root"), str):
        raise UsageError(f"not a codeloop result with a patch: {_HINT}")
    if data.get("v") != PATCH_VERSION:
        raise UsageError(f"patch version {data.get('v')!r} is not {PATCH_VERSION}: make it again with this codeloop")
    root = Path(data["root"])
    if not root.is_absolute() or not root.is_dir():
        raise UsageError(f"the patch's project folder {data['root']} does not exist: {_HINT}")
    files = []
    for entry in data["files"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) or not isinstance(entry.get("after"), str):
            raise UsageError(f"a file entry of the patch lacks path or after text: {_HINT}")
        before = entry.get("before_sha256")
        if before is not None and not (isinstance(before, str) and len(before) == 64):
            raise UsageError(f"{entry['path']}: before_sha256 must be a sha256 hex digest or null")
        files.append(PatchFile(_safe_path(entry["path"]), before, entry["after"]))
    if not files:
        raise UsageError(f"the patch changes no file: {_HINT}")
    label = data.get("label")
    return Patch(root.resolve(), label if isinstance(label, str) and label else "apply", tuple(files))


def _safe_path(path: str) -> str:
    """Only relative paths inside the project, never into git's or codeloop's own state."""
    posix = PurePosixPath(path)
    if not path or posix.is_absolute() or ".." in posix.parts or "\\" in path or posix.parts[0] in (".git", checkpoint.STATE_DIR):
        raise UsageError(f"the patch names {path!r}: only relative paths inside the project may be patched")
    return posix.as_posix()


def changes_now(patch: Patch) -> ChangeSet:
    """The patch as a ChangeSet against the files as they are; RefusedError if any file
    is not what the preview was computed from (nothing is written then)."""
    changed = []
    out = []
    for f in patch.files:
        target = patch.root / f.path
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise RefusedError(f"{f.path} is not a regular file any more; nothing was applied")
        current = target.read_bytes() if target.exists() else None
        if f.before_sha256 is None:
            if current is not None:
                changed.append(f.path)
                continue
            out.append(FileChange(f.path, "", f.after))
        elif current is None or _sha(current) != f.before_sha256:
            changed.append(f.path)
        else:
            out.append(FileChange(f.path, current.decode("utf-8"), f.after))
    if changed:
        raise RefusedError(f"{', '.join(changed)} changed since the preview; nothing was applied (run the command again for a new patch)")
    return ChangeSet(tuple(out))


def apply_patch(patch: Patch) -> list[str]:
    """Write the patch through the undo checkpoint; the paths written."""
    changes = changes_now(patch)
    checkpoint.apply(patch.root, changes, label=patch.label)
    return changes.paths
