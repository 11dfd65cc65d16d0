"""Isolated copies of the working tree where tests and candidates run.

The user's tree is never written while we search: every test run happens in a copy.
A Sandbox applies a candidate's files, runs, and restores the originals, so one copy
serves many candidates; a SandboxPool hands out one copy per parallel worker.
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from codeloop.workspace.git import visible_files

_SKIP_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache"}


def copy_tree(root: Path, dest: Path, files: list[str]) -> None:
    for rel in files:
        if _SKIP_PARTS.intersection(Path(rel).parts):
            continue
        src = root / rel
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), target)
        else:
            shutil.copy2(src, target)


class Sandbox:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def applied(self, files: Mapping[str, str]) -> Iterator[Path]:
        """Write ``files`` (relpath -> new text) for the duration of the block."""
        saved: dict[str, bytes | None] = {}
        try:
            for rel, text in files.items():
                target = self.path / rel
                saved[rel] = target.read_bytes() if target.exists() else None
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            yield self.path
        finally:
            for rel, old in saved.items():
                target = self.path / rel
                if old is None:
                    target.unlink(missing_ok=True)
                else:
                    target.write_bytes(old)


class SandboxPool:
    """``size`` copies of the tree, made lazily, removed on close."""

    def __init__(self, root: Path, size: int = 1, extras: list[str] | None = None) -> None:
        self.root = root
        self.size = max(1, size)
        self.files = visible_files(root)
        # Copied but never edited: git-ignored files the project needs to import
        # (a generated version.py, an extension module built in place).
        self.extras = [f for f in extras or [] if f not in set(self.files)]
        self._base = Path(tempfile.mkdtemp(prefix="codeloop-"))
        self.scratch = self._base / "scratch"  # the run's own temp files, removed with the copies
        self.scratch.mkdir()
        self._free: queue.Queue[Sandbox] = queue.Queue()
        self._made = 0
        self._fresh = 0
        self._lock = threading.Lock()  # workers take sandboxes from several threads
        self._texts: dict[str, str] = {}

    def _make(self, number: int | str) -> Sandbox:
        path = self._base / f"copy{number}" / self.root.name
        copy_tree(self.root, path, self.files + self.extras)
        return Sandbox(path)

    @contextmanager
    def fresh(self) -> Iterator[Sandbox]:
        """A new copy that no candidate has run in, removed when the block ends."""
        with self._lock:
            self._fresh += 1
            name = f"fresh{self._fresh}"
        box = self._make(name)
        try:
            yield box
        finally:
            shutil.rmtree(box.path.parent, ignore_errors=True)

    @contextmanager
    def sandbox(self) -> Iterator[Sandbox]:
        try:
            box = self._free.get_nowait()
        except queue.Empty:
            with self._lock:
                number = self._made if self._made < self.size else None
                if number is not None:
                    self._made += 1
            box = self._make(number) if number is not None else self._free.get()
        try:
            yield box
        finally:
            self._free.put(box)

    def read(self, rel: str) -> str:
        """The text of ``rel`` as the copies hold it (what every ChangeSet's ``before`` is)."""
        if rel not in self._texts:
            with self.sandbox() as box:
                self._texts[rel] = (box.path / rel).read_text(encoding="utf-8", errors="surrogateescape")
        return self._texts[rel]

    def close(self) -> None:
        shutil.rmtree(self._base, ignore_errors=True)

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
