"""The `matrix` and `concurrent` modes of benchmarks/faults.py (the `kills` mode lives there)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import bad_input_repos as repos
from bad_inputs import CASES, Case, Outcome, cli_env, run_case, snapshot


def matrix(cases: list[Case], jobs: int, pythonpath: str | None) -> list[Outcome]:
    base = Path(tempfile.mkdtemp(prefix="codeloop-matrix-"))
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(run_case, case, base / case.name, pythonpath) for case in cases]
            outcomes = []
            for future in futures:
                o = future.result()
                outcomes.append(o)
                mark = "skipped: " + o.skipped if o.skipped else ("ok" if not o.problems() else "PROBLEM " + "; ".join(o.problems()))
                last = o.stderr.strip().splitlines()[-1:] or [""]
                print(f"{o.case:<28} exit {o.code} (expected {o.expected}) {o.seconds:5.1f}s {mark}  | {last[0][:150]}", flush=True)
        return outcomes
    finally:
        shutil.rmtree(base, ignore_errors=True)


def matrix_table(outcomes: list[Outcome]) -> str:
    rows = ["| command | cases | exit codes as expected | one `codeloop:` line, last (exit 2) | bytes changed | tracebacks | skipped |",
            "|---|---|---|---|---|---|---|"]
    groups = sorted({o.command for o in outcomes}) + ["all"]
    for command in groups:
        g = [o for o in outcomes if command in ("all", o.command)]
        ran = [o for o in g if not o.skipped]
        two = [o for o in ran if o.expected == 2]
        one_line = sum(1 for o in two if not any("stderr lines" in p for p in o.problems()))
        rows.append(f"| {command} | {len(g)} | {sum(o.code == o.expected for o in ran)}/{len(ran)} | {one_line}/{len(two)} | "
                    f"{sum(len(o.changed) for o in ran)} | {sum(o.traceback for o in ran)} | {len(g) - len(ran)} |")
    return "\n".join(rows)


def matrix_main(only: str, jobs: int, pythonpath: str | None) -> int:
    wanted = {w.strip() for w in only.split(",") if w.strip()}
    cases = [c for c in CASES if not wanted or c.name in wanted or c.command in wanted]
    started = time.monotonic()
    outcomes = matrix(cases, jobs, pythonpath)
    print(matrix_table(outcomes))
    bad = [o for o in outcomes if not o.skipped and o.problems()]
    print(f"{len(outcomes) - len(bad)}/{len(outcomes)} cases as the contract says, {time.monotonic() - started:.0f} s")
    return 1 if bad else 0


@dataclass
class Rep:
    codes: tuple[int, int]
    applied: int
    refused_line: bool
    fixed_bytes_ok: bool
    undo_ok: bool
    tracebacks: int


def concurrent_rep(base: Path, pythonpath: str | None) -> Rep:
    """Two `codeloop fix --no-model` started together on one repo; then `codeloop undo`."""
    repo = repos.project(base)
    env = cli_env(base, pythonpath)
    before = snapshot(repo)
    command = [sys.executable, "-m", "codeloop", "fix", "--no-model", "--time-budget", "300", "--workers", "1", "--accept-ambiguous"]
    procs = [subprocess.Popen(command, cwd=repo, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    codes = (procs[0].returncode, procs[1].returncode)
    errs = [e.decode(errors="replace") for _, e in results]
    after = snapshot(repo)
    expected = dict(before, **{"calc.py": repos.CALC_OK.encode()})
    undo = subprocess.run([sys.executable, "-m", "codeloop", "undo"], cwd=repo, env=env, capture_output=True, timeout=120)
    restored = snapshot(repo)
    loser = errs[codes.index(1)] if 1 in codes else ""
    return Rep(
        codes=codes, applied=sum(c == 0 for c in codes), refused_line="changed while codeloop was working" in loser,
        fixed_bytes_ok=after == expected, undo_ok=undo.returncode == 0 and restored == before,
        tracebacks=sum("Traceback (most recent call last)" in e for e in errs + [undo.stderr.decode(errors="replace")]),
    )


def concurrent_main(reps: int, pythonpath: str | None) -> int:
    base = Path(tempfile.mkdtemp(prefix="codeloop-concurrent-"))
    results = []
    try:
        for n in range(reps):
            rep = concurrent_rep(base / f"rep{n}", pythonpath)
            results.append(rep)
            print(f"rep {n + 1}: exits {rep.codes} applied {rep.applied} refused-line {rep.refused_line} "
                  f"tree-after-fix {rep.fixed_bytes_ok} undo {rep.undo_ok} tracebacks {rep.tracebacks}", flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    good = [r for r in results if sorted(r.codes) == [0, 1] and r.refused_line and r.fixed_bytes_ok and r.undo_ok and not r.tracebacks]
    print("| reps | exactly one applied | the other refused (exit 1, says why) | tree = before + fix | undo restores every byte | tracebacks |")
    print("|---|---|---|---|---|---|")
    print(f"| {len(results)} | {sum(r.applied == 1 for r in results)} | {sum(sorted(r.codes) == [0, 1] and r.refused_line for r in results)} | "
          f"{sum(r.fixed_bytes_ok for r in results)} | {sum(r.undo_ok for r in results)} | {sum(r.tracebacks for r in results)} |")
    print(f"{len(good)}/{len(results)} reps clean")
    return 0 if len(good) == len(results) else 1
