#!/usr/bin/env python
"""Fault injection: kill `codeloop fix --no-model` at random moments and check what is left;
the bad-input matrix; two runs at once; hostile model answers.

    python benchmarks/faults.py matrix [--only NAME,COMMAND,...] [--jobs 2]   # benchmarks/bad_inputs.py
    python benchmarks/faults.py concurrent --reps 6                         # two fixes at once
    python benchmarks/faults.py hostile [--only CASE,CASE/PROJECT] [--time-budget S]
        # benchmarks/fault_hostile.py: a catalog of hostile answers from a scripted server
        # against `codeloop fix --backend openai`; per case refused vs run, applied, escaped
        # files, orphan processes, OPENAI_API_KEY received on 127.0.0.1, the tree after
    python benchmarks/faults.py kills --trials 100 [--signals KILL,INT,TERM] [--seed 0]
                                      [--pythonpath DIR]   # e.g. another checkout of codeloop
                                      [--earliest S] [--horizon S]  # kill moments in [S, S']

Each trial builds a fresh git repo holding a planted bug, with a dirty tree like a user's:
an unstaged edit (the bug itself), a staged edit, a staged new file, an untracked file
and ignored files. Its tests are slow, write to $HOME and /tmp-like places, and one
starts a detached (double-forked, setsid) child that would write into the copy late.
`codeloop fix --no-model` runs on it like an editor would start it (TMPDIR and HOME of
the trial's own), and gets SIGKILL, SIGINT or SIGTERM after a random delay drawn over
the length of an uninterrupted run (some trials therefore end before the signal).

Then, per trial:
- bytes lost: every file of the repo (ignored ones and .git/index included, .git/objects
  and codeloop's .codeloop/ left out) is byte-compared with what it must be: the tree
  as before, or, when codeloop reports a completed apply, that plus exactly the fix;
  after `codeloop undo` (the "next run"), the tree as before in every case;
- orphans: processes still alive 10 s after codeloop exited whose environment or
  working folder points into the trial's folders (codeloop's reaper may take a moment);
- leftover temp folders: `codeloop-*` entries in the trial's TMPDIR after the next run;
- undo correct: the next run (`codeloop undo`) exits 0 and restores the tree when a fix
  had been applied, or exits 2 ("nothing to undo") with the tree untouched otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Its sibling modules (bad_inputs, fault_modes, ...) import by name, also when this file is
# loaded from elsewhere (tests/test_kills.py loads it by path).
if str(ROOT / "benchmarks") not in sys.path:
    sys.path.append(str(ROOT / "benchmarks"))
GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x"}

CALC_COMMITTED = "def add(a, b):\n    return a + b\n\n\ndef scale(values, k):\n    return [v * k for v in values]\n"
CALC_BUGGY = "def add(a, b):\n    return a - b\n\n\ndef scale(values, k):\n    return [v * k for v in values]\n"
TESTS = '''import os, subprocess, sys, time
from calc import add, scale

SLOW = float(os.environ.get("FAULTS_SLOW", "0.4"))


def test_add():
    time.sleep(SLOW)
    assert add(2, 3) == 5


def test_scale():
    time.sleep(SLOW)
    assert scale([1, 2], 3) == [3, 6]


def test_writes_home_and_tmp():
    with open(os.path.join(os.path.expanduser("~"), "from-tests.txt"), "a") as f:
        f.write("x")
    with open(os.path.join(os.environ.get("TMPDIR", "/tmp"), "faults-tmp.txt"), "a") as f:
        f.write("x")


def test_detached_child():
    # Double fork + setsid: escapes the process group; writes into its folder later.
    code = "import os, time\\nif os.fork() == 0:\\n    os.setsid()\\n    time.sleep(3)\\n    open('late-write.txt', 'w').write('late')\\n"
    subprocess.run([sys.executable, "-c", code])
    time.sleep(SLOW)
'''


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def make_project(folder: Path) -> Path:
    repo = folder / "repo"
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    files = {"calc.py": CALC_COMMITTED, "test_calc.py": TESTS, "README.md": "# demo\n", "docs.md": "docs v1\n",
             ".gitignore": ".env\nbuild/\n", "pyproject.toml": "[tool.codeloop]\ntest-cmd = 'python -m pytest -q -p no:cacheprovider'\n"}
    for rel, text in files.items():
        (repo / rel).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "initial")
    (repo / "calc.py").write_text(CALC_BUGGY)  # unstaged: the user's edit that broke it
    (repo / "docs.md").write_text("docs v2 (staged)\n")
    (repo / "notes.txt").write_text("staged new file\n")
    git(repo, "add", "docs.md", "notes.txt")
    (repo / "docs.md").write_text("docs v3 (unstaged on top of staged)\n")
    (repo / "scratch.txt").write_text("untracked work\n")
    (repo / ".env").write_text("OPENAI_API_KEY=sk-faults-not-real\n")
    (repo / "build").mkdir()
    (repo / "build" / "out.bin").write_bytes(os.urandom(4096))
    return repo


def snapshot(repo: Path) -> dict[str, bytes]:
    """Every file's bytes (links as their target), codeloop's own folder and git's
    objects left out: the one snapshot the fault modes share (bad_inputs.py)."""
    from bad_inputs import snapshot as shared

    return shared(repo)


def related_processes(marks: list[str]) -> list[int]:
    """Live processes whose environment or working folder mentions one of ``marks``."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                if handle.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X"):
                    continue
            with open(f"/proc/{name}/environ", "rb") as handle:
                env = handle.read()
            cwd = os.readlink(f"/proc/{name}/cwd")
        except OSError:
            continue
        if any(m.encode() in env or cwd.startswith(m) for m in marks):
            found.append(int(name))
    return found


@dataclass
class Trial:
    signal: str
    delay: float
    exit_code: int | None = None
    signalled: bool = False  # False: codeloop had already finished
    applied: bool = False
    files_lost: list[str] = field(default_factory=list)
    orphans: int = 0
    cleanup_seconds: float = 0.0
    leftover_temp: list[str] = field(default_factory=list)
    undo_ok: bool = False
    escaped_writes: list[str] = field(default_factory=list)
    note: str = ""


def codeloop_env(folder: Path, pythonpath: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODELOOP_")}
    env.update(GIT_ENV)
    env.update({"TMPDIR": str(folder / "tmp"), "HOME": str(folder / "home"), "FAULTS_SLOW": env.get("FAULTS_SLOW", "0.4")})
    path = pythonpath or str(ROOT)
    env["PYTHONPATH"] = path + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start_fix(repo: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "codeloop", "fix", "--no-model", "--time-budget", "120", "--workers", "2", str(repo)],
        cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )


def calibrate(base: Path, pythonpath: str | None) -> float:
    """Seconds of one uninterrupted run (the range the kill moments are drawn from)."""
    folder = Path(tempfile.mkdtemp(prefix="calibrate-", dir=base))
    repo = make_project(folder)
    (folder / "tmp").mkdir()
    (folder / "home").mkdir()
    started = time.monotonic()
    proc = start_fix(repo, codeloop_env(folder, pythonpath))
    proc.communicate(timeout=600)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"calibration run failed (exit {proc.returncode}); is codeloop importable?")
    shutil.rmtree(folder, ignore_errors=True)
    return seconds


def run_trial(base: Path, sig: str, delay: float, pythonpath: str | None) -> Trial:
    trial = Trial(sig, round(delay, 2))
    folder = Path(tempfile.mkdtemp(prefix="trial-", dir=base))
    repo = make_project(folder)
    (folder / "tmp").mkdir()
    home = folder / "home"
    home.mkdir()
    before = snapshot(repo)
    fixed = dict(before, **{"calc.py": CALC_COMMITTED.encode()})
    env = codeloop_env(folder, pythonpath)
    proc = start_fix(repo, env)
    time.sleep(delay)
    if proc.poll() is None:
        trial.signalled = True
        os.kill(proc.pid, getattr(signal, "SIG" + sig))
    try:
        _, err = proc.communicate(timeout=60)
        trial.exit_code = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        trial.exit_code = proc.returncode
        trial.note = "codeloop hung after the signal"
    ended = time.monotonic()
    marks = [str(folder)]
    while related_processes(marks) and time.monotonic() - ended < 10:
        time.sleep(0.05)
    trial.cleanup_seconds = round(time.monotonic() - ended, 2)
    trial.orphans = len(related_processes(marks))
    for pid in related_processes(marks):  # leave the machine clean for the next trial
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass

    # What the tree must be right now: as before, or as before plus the fix when a
    # completed checkpoint says it was applied.
    undo_root = repo / ".codeloop" / "undo"
    manifests = sorted(undo_root.glob("*/manifest.json")) if undo_root.is_dir() else []
    complete = [m for m in manifests if json.loads(m.read_text()).get("complete", True)]
    trial.applied = bool(complete)
    now = snapshot(repo)
    expected = fixed if trial.applied else before
    if not complete and manifests:  # cut short mid-apply: the next run must roll it back
        expected = now if set(now) == set(before) else before
    trial.files_lost = sorted(rel for rel in set(expected) | set(now) if expected.get(rel) != now.get(rel))

    # The next run: codeloop undo (sweeps stale run folders, rolls back a cut apply).
    undo = subprocess.run([sys.executable, "-m", "codeloop", "undo", str(repo)], cwd=repo, env=env, capture_output=True, timeout=120)
    after = snapshot(repo)
    lost_after_undo = sorted(rel for rel in set(before) | set(after) if before.get(rel) != after.get(rel))
    trial.files_lost = sorted(set(trial.files_lost) | set(lost_after_undo))
    trial.undo_ok = (undo.returncode == 0) if trial.applied else (undo.returncode == 2)
    trial.undo_ok = trial.undo_ok and not lost_after_undo
    time.sleep(0.2)
    trial.leftover_temp = sorted(p.name for p in (folder / "tmp").iterdir() if p.name.startswith("codeloop"))
    trial.escaped_writes = sorted(p.name for p in home.iterdir())
    if not trial.note and trial.signalled and trial.exit_code not in (-9, 130, 143, 0, 1):
        trial.note = err.decode(errors="replace").strip().splitlines()[-1:][0] if err.strip() else ""
    shutil.rmtree(folder, ignore_errors=True)
    return trial


def ok(trial: Trial) -> bool:
    return not (trial.files_lost or trial.orphans or trial.leftover_temp or not trial.undo_ok or trial.escaped_writes or trial.note)


def kills(
    trials: int, signals: list[str], seed: int, pythonpath: str | None, horizon: float | None = None,
    out: object = sys.stdout, earliest: float = 0.0,
) -> list[Trial]:
    rng = random.Random(seed)
    base = Path(tempfile.mkdtemp(prefix="codeloop-faults-bench-"))
    try:
        horizon = horizon or calibrate(base, pythonpath)
        print(f"kill moments drawn from [{earliest:.1f}, {horizon:.1f}] s (an uninterrupted run: the upper end unless given)", file=out)  # type: ignore[arg-type]
        results = []
        for number in range(trials):
            sig = signals[number % len(signals)]
            trial = run_trial(base, sig, rng.uniform(earliest, horizon), pythonpath)
            results.append(trial)
            status = "ok" if ok(trial) else "PROBLEM"
            print(f"{number + 1:4d} SIG{sig:<4} at {trial.delay:5.2f}s exit={trial.exit_code} applied={trial.applied} "
                  f"cleanup={trial.cleanup_seconds}s {status} {'' if ok(trial) else asdict(trial)}", file=out, flush=True)  # type: ignore[call-arg]
        return results
    finally:
        shutil.rmtree(base, ignore_errors=True)


def table(results: list[Trial]) -> str:
    rows = ["| signal | trials | signalled | applied | files lost | orphans | leftover temp | undo correct | escaped writes | max cleanup s |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for sig in sorted({t.signal for t in results}):
        group = [t for t in results if t.signal == sig]
        rows.append(
            f"| SIG{sig} | {len(group)} | {sum(t.signalled for t in group)} | {sum(t.applied for t in group)} | "
            f"{sum(len(t.files_lost) for t in group)} | {sum(t.orphans for t in group)} | "
            f"{sum(len(t.leftover_temp) for t in group)} | {sum(t.undo_ok for t in group)}/{len(group)} | "
            f"{sum(len(t.escaped_writes) for t in group)} | {max(t.cleanup_seconds for t in group):.2f} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("matrix", help="the bad-input matrix (benchmarks/bad_inputs.py)")
    m.add_argument("--only", default="", help="comma-separated case names or commands (default: all)")
    m.add_argument("--jobs", type=int, default=2, help="cases run at once")
    m.add_argument("--pythonpath", default=None)
    c = sub.add_parser("concurrent", help="two `codeloop fix` at once on the same repo")
    c.add_argument("--reps", type=int, default=6)
    c.add_argument("--pythonpath", default=None)
    h = sub.add_parser("hostile", help="hostile model answers against codeloop fix (benchmarks/fault_hostile.py)")
    h.add_argument("--only", default="", help="comma-separated case names, or NAME/PROJECT (default: all)")
    h.add_argument("--time-budget", type=int, default=120, help="codeloop's --time-budget per case")
    h.add_argument("--pythonpath", default=None)
    k = sub.add_parser("kills", help="kill codeloop fix at random moments")
    k.add_argument("--trials", type=int, default=30)
    k.add_argument("--signals", default="KILL,INT,TERM")
    k.add_argument("--seed", type=int, default=0)
    k.add_argument("--pythonpath", default=None, help="where codeloop is imported from (default: this checkout)")
    k.add_argument("--horizon", type=float, default=None, help="latest kill moment in seconds (default: an uninterrupted run's length, measured)")
    k.add_argument("--earliest", type=float, default=0.0, help="earliest kill moment in seconds (to aim at the apply at the end of a run)")
    args = parser.parse_args()
    if args.command == "matrix":
        from fault_modes import matrix_main

        sys.exit(matrix_main(args.only, args.jobs, args.pythonpath))
    if args.command == "concurrent":
        from fault_modes import concurrent_main

        sys.exit(concurrent_main(args.reps, args.pythonpath))
    if args.command == "hostile":
        from fault_hostile import hostile_main

        sys.exit(hostile_main(args.only, args.pythonpath, args.time_budget))
    results = kills(args.trials, [s.strip().upper() for s in args.signals.split(",")], args.seed, args.pythonpath, args.horizon, earliest=args.earliest)
    print(table(results))
    problems = [t for t in results if not ok(t)]
    print(f"{len(results) - len(problems)}/{len(results)} trials clean")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
