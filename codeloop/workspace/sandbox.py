"""Isolated copies of the working tree where tests and candidates run.

The user's tree is never written while we search: every test run happens in a copy.
A pool first takes one snapshot of the tree (``pristine``, never run in), so every copy
and every restore comes from the same moment even if the user keeps editing. A copy is
handed to one candidate at a time and, after each, checked against what it must hold
(every file's inode, size, mtime and ctime as recorded, and no entry that should not be
there): whatever a candidate or its tests changed, added or removed is put back from the
snapshot, so no candidate ever runs in what an earlier one left (a test suite rewritten
by one candidate would otherwise let a wrong answer pass for the next). A copy that
cannot be checked or repaired is thrown away and made again.

Writes into a copy never go through a symbolic link: a link is replaced, not followed.
"""

from __future__ import annotations

import os
import queue
import shutil
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from codeloop.containment import session
from codeloop.containment.session import remove_tree
from codeloop.workspace.git import visible_files

_SKIP_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache"}

# What a file must look like to count as untouched: a write changes mtime and ctime, a
# chmod or utime changes ctime (which no process can set), a replace changes the inode.
Stamp = tuple[int, int, int, int, int]  # (inode, mode, size, mtime_ns, ctime_ns)


def _stamp(path: str) -> Stamp:
    st = os.lstat(path)
    return (st.st_ino, st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def copy_tree(root: Path, dest: Path, files: list[str], contain_links: bool = False) -> None:
    """Copy ``files`` of ``root`` to ``dest``. With ``contain_links`` (the snapshot every
    copy is made from), no link in the copy leads out of it: see ``_contained_link``."""
    real_root = os.path.realpath(root)
    for rel in files:
        if _SKIP_PARTS.intersection(Path(rel).parts):
            continue
        if contain_links and (root / rel).is_symlink():
            _contained_link(root / rel, dest / rel, real_root, dest)
        else:
            _copy_one(root / rel, dest / rel)


def _contained_link(src: Path, target: Path, real_root: str, dest: Path) -> None:
    """A link of the user's tree, as the copy gets it. Copied as it is, a link with an
    absolute target (or ``../`` past the top) still leads to the user's file, and a test
    run that writes through it writes outside the copy. So: a link to a file of the tree
    becomes a relative link inside the copy; a link to a file outside becomes a copy of
    that file; a dangling link out of the tree is left out (writing through it would
    create the file outside)."""
    real = os.path.realpath(src)
    target.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(target):
        target.unlink()
    inside = real == real_root or real.startswith(real_root + os.sep)
    if inside:
        there = dest / os.path.relpath(real, real_root)
        os.symlink(os.path.relpath(there, target.parent), target)
    elif os.path.isfile(real):
        shutil.copy2(real, target)
    elif os.path.isdir(real):
        os.symlink(real, target)  # a whole folder elsewhere (a data set): read through, not copied




def _copy_one(src: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(target):
        if target.is_dir() and not target.is_symlink():
            remove_tree(target)
        else:
            target.unlink()
    if src.is_symlink():
        os.symlink(os.readlink(src), target)
    else:
        shutil.copy2(src, target)


def write_no_follow(root: Path, rel: str, data: bytes) -> None:
    """Write ``root/rel`` without following any symbolic link: a linked folder on the way
    is refused, a link at ``rel`` itself is replaced by the file (write beside, rename)."""
    parts = Path(rel).parts
    if Path(rel).is_absolute() or ".." in parts:
        raise ValueError(f"{rel} is not a path inside the tree")
    folder = root
    for part in parts[:-1]:
        folder = folder / part
        if folder.is_symlink():
            raise ValueError(f"{rel} is under the symbolic link {folder.relative_to(root)}; codeloop never writes through links")
        folder.mkdir(exist_ok=True)
    target = folder / parts[-1]
    tmp = folder / f".{parts[-1]}.codeloop-write"
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    if os.path.lexists(target) and not target.is_symlink():
        shutil.copymode(target, tmp)
    os.replace(tmp, target)


class Sandbox:
    """One copy of the snapshot; ``applied`` runs a candidate in it and leaves it clean."""

    def __init__(self, path: Path, pristine: Path, files: list[str]) -> None:
        self.path = path
        self.pristine = pristine
        # What the snapshot holds (it leaves out dangling links out of the tree).
        self.files = [f for f in files if not _SKIP_PARTS.intersection(Path(f).parts) and os.path.lexists(pristine / f)]
        self.expected: dict[str, Stamp] = {}
        self.folders: set[str] = set()
        self._copy()

    def _copy(self) -> None:
        copy_tree(self.pristine, self.path, self.files)
        self.expected = {rel: _stamp(str(self.path / rel)) for rel in self.files}
        self.folders = {p.as_posix() for rel in self.files for p in Path(rel).parents if p.as_posix() != "."}

    @contextmanager
    def applied(self, files: Mapping[str, str]) -> Iterator[Path]:
        """Write ``files`` (relpath -> new text) for the duration of the block; afterwards
        the copy is exactly the snapshot again (``reset``)."""
        try:
            for rel, text in files.items():
                write_no_follow(self.path, rel, text.encode("utf-8"))
            yield self.path
        finally:
            self.reset()

    def reset(self) -> list[str]:
        """Put back every file that differs from the snapshot, remove every entry that is
        not in it; the paths that needed it (empty: the copy was clean)."""
        repaired: list[str] = []
        seen: set[str] = set()
        try:
            self._scan(self.path, "", seen, repaired)
            for rel in self.expected.keys() - seen:
                self._restore(rel)
                repaired.append(rel)
        except OSError:  # e.g. a test made a folder unreadable: start this copy over
            remove_tree(self.path)
            self._copy()
            repaired.append(".")
        return repaired

    def _scan(self, folder: Path, prefix: str, seen: set[str], repaired: list[str]) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if rel in self.folders:
                        self._scan(Path(entry.path), rel + "/", seen, repaired)
                    else:
                        remove_tree(Path(entry.path))
                        repaired.append(rel + "/")
                elif rel in self.expected:
                    seen.add(rel)
                    if _stamp(entry.path) != self.expected[rel]:
                        self._restore(rel)
                        repaired.append(rel)
                else:
                    os.unlink(entry.path)
                    repaired.append(rel)

    def _restore(self, rel: str) -> None:
        _copy_one(self.pristine / rel, self.path / rel)
        self.expected[rel] = _stamp(str(self.path / rel))


class SandboxPool:
    """A snapshot of the tree and up to ``size`` copies of it (made lazily), all inside
    the run folder; removed on close."""

    def __init__(self, root: Path, size: int = 1, extras: list[str] | None = None) -> None:
        from codeloop.workspace.checkpoint import recover

        recover(root)  # an apply cut short by a kill is rolled back before we copy the tree
        self.root = root
        self.size = max(1, size)
        self.files = visible_files(root)
        # Copied but never edited: git-ignored files the project needs to import
        # (a generated version.py, an extension module built in place).
        self.extras = [f for f in extras or [] if f not in set(self.files)]
        # Candidates may not edit links: applied to the user's tree, they would change
        # where a link points or write outside the tree.
        self.links = {rel for rel in self.files if (root / rel).is_symlink()}
        self._base = session.current().new_folder("sandboxes-")
        self.scratch = self._base / "scratch"  # the run's own temp files, removed with the copies
        self.scratch.mkdir()
        self.pristine = self._base / "pristine" / root.name
        copy_tree(root, self.pristine, self.files + self.extras, contain_links=True)
        self._free: queue.Queue[Sandbox] = queue.Queue()
        self._made = 0
        self._fresh = 0
        self._lock = threading.Lock()  # workers take sandboxes from several threads

    def _make(self, number: int | str) -> Sandbox:
        return Sandbox(self._base / f"copy{number}" / self.root.name, self.pristine, self.files + self.extras)

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
            remove_tree(box.path.parent)

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
            box.reset()  # back to the pool only as the snapshot (a test run may have written)
            self._free.put(box)

    def read(self, rel: str) -> str:
        """The text of ``rel`` as the snapshot holds it (what every ChangeSet's ``before`` is)."""
        return (self.pristine / rel).read_text(encoding="utf-8", errors="surrogateescape")

    def close(self) -> None:
        remove_tree(self._base)

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
