#!/usr/bin/env python
"""What keeping every candidate in a clean copy costs, on a large tree.

    python benchmarks/sandbox_reuse.py [--files 3000] [--repeat 20]

A git repo with FILES source files (2 KB each, 30 per folder) is made in a temp folder.
Side by side, in one run: the snapshot (pristine copy) a pool takes once; one copy made
from it; the check after a candidate that changed nothing (a stat of every file and a
scan for new entries); the check plus repair after a candidate that rewrote one file,
added a file and a folder and removed a file; and, for scale, recopying the whole tree
(what a fresh copy per candidate would cost) and one launch of a contained `true`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from codeloop.runners.base import run_shell  # noqa: E402
from codeloop.workspace.sandbox import SandboxPool, copy_tree  # noqa: E402


def make_tree(root: Path, files: int) -> None:
    root.mkdir()
    for i in range(files):
        folder = root / f"pkg{i // 30}"
        folder.mkdir(exist_ok=True)
        (folder / f"mod{i}.py").write_text(f"# module {i}\n" + "def f(x):\n    return x + 1\n" * 60)
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@x"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "tree"]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env)


def timed(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="sandbox-bench-"))
    try:
        repo = base / "repo"
        make_tree(repo, args.files)
        started = time.perf_counter()
        pool = SandboxPool(repo, size=1)
        snapshot = time.perf_counter() - started
        started = time.perf_counter()
        with pool.sandbox() as box:
            pass
        first_copy = time.perf_counter() - started
        clean = timed(box.reset, args.repeat)

        def dirty() -> None:
            (box.path / "pkg0" / "mod0.py").write_text("changed\n")
            (box.path / "pkg1" / "new.py").write_text("new\n")
            (box.path / "newdir").mkdir()
            (box.path / "newdir" / "f").write_text("x")
            (box.path / "pkg2" / "mod60.py").unlink()
            box.reset()

        repaired = timed(dirty, args.repeat)
        assert not box.reset()  # really clean again

        def recopy() -> None:
            target = base / "recopy"
            shutil.rmtree(target, ignore_errors=True)
            copy_tree(repo, target, pool.files)

        full = timed(recopy, max(3, args.repeat // 4))
        launch = timed(lambda: run_shell("true", base, 30), max(5, args.repeat // 2))
        pool.close()
        rows = [
            ("snapshot (once per pool)", snapshot), ("first copy (once per worker)", first_copy),
            ("check, nothing changed (per candidate)", clean), ("check + repair 4 changes (per candidate)", repaired),
            ("recopy whole tree (fresh copy per candidate)", full), ("contained launch of `true` (per test run)", launch),
        ]
        print(f"{len(pool.files)} files")
        print("| step | seconds | vs recopy |")
        print("|---|---|---|")
        for name, seconds in rows:
            print(f"| {name} | {seconds:.4f} | {seconds / full:.2f}x |")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
