"""Materialize what is reviewed (the staged index, or a commit) in a temp folder.

Review must see exactly what would be committed, not the working tree: pre-commit
stashes unstaged edits around hooks, and outside pre-commit we give the same answer by
reading the index itself (``git checkout-index --prefix`` writes a copy and leaves the
index and the working tree alone). A revision is materialized with ``git archive``. An
editor reviews what is saved instead (``--worktree``): the working tree's files, copied.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

from codeloop.containment import session
from codeloop.errors import UsageError

_DIFF = ["diff", "--no-color", "--no-ext-diff", "-U3", "--src-prefix=a/", "--dst-prefix=b/"]
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's well-known empty tree


def _git(top: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(["git", *args], cwd=top, capture_output=True)
    if check and proc.returncode != 0:
        raise UsageError(f"git {' '.join(args[:3])} failed: {proc.stderr.decode(errors='replace').strip()[:200]}")
    return proc


def has_commit(top: Path, rev: str) -> bool:
    return _git(top, "rev-parse", "--verify", "--quiet", rev + "^{commit}", check=False).returncode == 0


class Version:
    """One version of the repository, copied into a temp folder (removed on close)."""

    def __init__(self, top: Path, old_rev: str | None, label: str) -> None:
        self.top = top
        self.old_rev = old_rev  # what the change is compared against (None: nothing before)
        self.label = label
        self._base = session.current().new_folder("review-")
        self.root = self._base / top.name
        self.root.mkdir()

    def read(self, rel: str) -> str | None:
        path = self.root / rel
        try:
            return path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def read_old(self, rel: str) -> str | None:
        if self.old_rev is None:
            return None
        proc = _git(self.top, "show", f"{self.old_rev}:{rel}", check=False)
        if proc.returncode != 0:
            return None
        try:
            return proc.stdout.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def source_files(self, suffixes: tuple[str, ...] = (".py",), limit: int = 3000) -> dict[str, str]:
        found: dict[str, str] = {}
        for path in sorted(self.root.rglob("*")):
            if len(found) >= limit:
                break
            if path.suffix in suffixes and path.is_file():
                text = self.read(path.relative_to(self.root).as_posix())
                if text is not None:
                    found[path.relative_to(self.root).as_posix()] = text
        return found

    def close(self) -> None:
        shutil.rmtree(self._base, ignore_errors=True)

    def __enter__(self) -> Version:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def staged_diff(top: Path) -> str:
    base = "HEAD" if has_commit(top, "HEAD") else EMPTY_TREE
    return _git(top, *_DIFF, "--cached", base).stdout.decode("utf-8", "surrogateescape")


def staged(top: Path) -> tuple[Version, str]:
    """The index as a Version, and the diff HEAD -> index."""
    diff = staged_diff(top)
    version = Version(top, "HEAD" if has_commit(top, "HEAD") else None, "staged")
    try:
        _git(top, "checkout-index", "--all", f"--prefix={version.root}/")
    except UsageError:
        version.close()
        raise
    return version, diff


def revision_range(top: Path, spec: str) -> tuple[Version, str]:
    """``A..B`` as a Version of B and the diff A -> B."""
    if ".." not in spec or spec.count("..") != 1 or "..." in spec:
        raise UsageError(f"--rev {spec!r} is not a range: pass --rev A..B, e.g. --rev HEAD~1..HEAD")
    old, new = (part or "HEAD" for part in spec.split(".."))
    for rev in (old, new):
        if not has_commit(top, rev):
            raise UsageError(f"--rev: {rev!r} is not a commit in this repository")
    diff = _git(top, *_DIFF, old, new).stdout.decode("utf-8", "surrogateescape")
    version = Version(top, old, spec)
    archive = _git(top, "archive", "--format=tar", new).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(version.root, filter="data")
    return version, diff


def worktree(top: Path) -> tuple[Version, str]:
    """The working tree (tracked and untracked-not-ignored files, as saved) as a Version,
    and the diff HEAD -> working tree, new files included: what an editor shows."""
    from codeloop.workspace.git import visible_files

    base = "HEAD" if has_commit(top, "HEAD") else EMPTY_TREE
    diff = _git(top, *_DIFF, base).stdout.decode("utf-8", "surrogateescape")
    untracked = _git(top, "ls-files", "-z", "--others", "--exclude-standard").stdout.decode("utf-8", "surrogateescape")
    for rel in (n for n in untracked.split("\0") if n):
        # git diff leaves untracked files out; --no-index shows one as a new file (exit 1: differs).
        new = _git(top, *_DIFF, "--no-index", "--", "/dev/null", rel, check=False).stdout
        diff += new.decode("utf-8", "surrogateescape")
    version = Version(top, "HEAD" if base == "HEAD" else None, "working tree")
    for rel in visible_files(top):
        target = version.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(top / rel, target, follow_symlinks=True)
    return version, diff
