#!/usr/bin/env python
"""HumanEvalFix (Python) through `codeloop fix --json`, judged by the hidden tests.

Each task becomes a tiny git repo: ``solution.py`` holds the buggy function (the
dataset's ``declaration`` + ``buggy_solution``, the "tests only" setting of
HumanEvalFix: no docstring) and ``test_solution.py`` the task's visible
``example_test`` as a pytest test. codeloop runs there as a user would; afterwards the
task's hidden ``test`` judges whatever ``solution.py`` holds.

Several configurations run side by side in one run (interleaved per task, so machine
noise hits them alike):

    python benchmarks/humanevalfix.py --limit 40 \
        --config default: --config greedy:"--samples 1 --max-rounds 1 --temperature 0"

Tasks 0-39 are for tuning (``--tuning``); figures are reported on the held-out tasks
40-163 (``--held-out``), all of them or a fixed seeded sample (``--sample 60 --seed 0``):

    nice -n 10 python benchmarks/humanevalfix.py --held-out --sample 60 --seed 0 --budget 60 \
        --config 'no-model:--no-model' --config 'default:'

A fix that is applied is judged right when the hidden tests pass on the file it left;
``precision`` = right / applied (a wrong patch applied is worse than none), ``recall`` =
right / tasks. ``--codeloop DIR`` runs another codeloop tree (a ``git archive`` of main:
the "before" column) with the same harness.

Prints a table; writes per-task JSON lines to benchmarks/results/.

Code models, e.g. routed (cheap tier, then the model) against the model tier alone:

    python benchmarks/humanevalfix.py --held-out --sample 60 --seed 19 \
        --config "routed-0.5b:--model qwen2.5-coder-0.5b" --config "model-0.5b:--tiers model --model qwen2.5-coder-0.5b"

``--docs`` keeps the docstring in ``solution.py`` (HumanEvalFixDocs' setting); without it
the function has none (HumanEvalFix's "tests only" setting).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "humanevalpack" / "python.jsonl"
TUNING = range(0, 40)  # tuned on; never report on them
HELD_OUT = range(40, 164)  # report on these, never tune on them


# The three tier settings of the routing study, side by side.
DEFAULT_CONFIGS = [
    "cheap:--no-model",
    "model:--tiers model",
    "routed:",
]


def load_tasks(path: Path) -> list[dict]:
    with path.open() as handle:
        return [json.loads(line) for line in handle if line.strip()]


def visible_test(task: dict) -> str:
    lines = task["example_test"].rstrip().splitlines()
    call = lines[-1].strip()  # "check(entry_point)"
    body = "\n".join(lines[:-1])
    return f"from solution import *\n\n\n{body}\n\n\ndef test_example():\n    {call}\n"


def make_repo(task: dict, where: Path, docs: bool = False) -> Path:
    repo = where / task["task_id"].replace("/", "_")
    repo.mkdir(parents=True)
    # With --docs: the dataset's prompt is the declaration plus the docstring.
    head = task["prompt"] if docs else task["declaration"]
    (repo / "solution.py").write_text(head + task["buggy_solution"])
    (repo / "test_solution.py").write_text(visible_test(task))
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "task"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env=env, capture_output=True)
    return repo


def hidden_pass(task: dict, solution: str, timeout: float = 20.0) -> bool:
    program = solution + "\n\n" + task["test"] + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "judge.py"
        path.write_text(program)
        try:
            proc = subprocess.run([sys.executable, str(path)], cwd=tmp, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
    return proc.returncode == 0


def run_fix(repo: Path, extra: list[str], timeout: float, codeloop: Path = ROOT) -> dict:
    env = {**os.environ, "PYTHONPATH": str(codeloop)}
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "codeloop", "fix", str(repo), "--json", *extra],
            # cwd: ``-m`` puts it first on sys.path, so it must be the tree being measured
            capture_output=True, text=True, timeout=timeout, env=env, cwd=codeloop,
        )
        payload = json.loads(proc.stdout) if proc.stdout.strip() else {"status": "error", "message": proc.stderr[-500:]}
    except subprocess.TimeoutExpired:
        payload = {"status": "timeout"}
    except json.JSONDecodeError:
        payload = {"status": "error", "message": "stdout was not one JSON object"}
    payload["wall_seconds"] = time.perf_counter() - started
    return payload


def parse_config(text: str) -> tuple[str, list[str]]:
    name, _, args = text.partition(":")
    return name, shlex.split(args)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--limit", type=int, default=164)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--held-out", action="store_true", help="tasks 40-163 (report figures on these)")
    which.add_argument("--tuning", action="store_true", help="tasks 0-39 (tune on these)")
    parser.add_argument("--sample", type=int, default=0, help="a fixed random sample of this many of the selected tasks")
    parser.add_argument("--seed", type=int, default=0, help="seed of --sample")
    parser.add_argument("--codeloop", type=Path, default=ROOT, help="the codeloop tree to run (default: this one)")
    parser.add_argument("--config", action="append", default=[], help="NAME:ARGS for codeloop fix (repeatable); NAME@DIR:ARGS runs the codeloop tree in DIR")
    parser.add_argument("--budget", type=float, default=120.0, help="--time-budget per task for every config")
    parser.add_argument("--task-timeout", type=float, default=900.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--report", type=Path, help="only print the table of a (possibly cut-short) results .jsonl")
    parser.add_argument("--docs", action="store_true", help="keep the docstring in solution.py (HumanEvalFixDocs)")
    parser.add_argument("--tasks", default="", help="comma-separated task ids (e.g. Python/71,Python/77): only these, of the selection")
    parser.add_argument("--resume", type=Path, help="continue a cut-short run: skip the (task, config) pairs this .jsonl holds and append to it")
    args = parser.parse_args()
    if args.report:
        rows_of: dict[str, list[dict]] = defaultdict(list)
        for line in args.report.read_text().splitlines():
            row = json.loads(line)
            rows_of[row["config"]].append(row)
        # Only tasks every config finished, so the columns stay comparable.
        done = set.intersection(*({r["task"] for r in items} for items in rows_of.values()))
        print_table({name: [r for r in items if r["task"] in done] for name, items in rows_of.items()}, len(done))
        return 0
    configs = [parse_config(c) for c in (args.config or DEFAULT_CONFIGS)]
    # A few tasks ship no example test: with nothing visible to verify against, codeloop
    # cannot be asked to fix them (it would be judged on tests it never saw). They are
    # left out before sampling, so a sample of N is N tasks.
    every = load_tasks(args.data)
    tasks = select([t if t["example_test"].strip() else None for t in every], args)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    rows: dict[str, list[dict]] = defaultdict(list)
    done: set[tuple[str, str]] = set()
    if args.resume:
        # The same command line continued: earlier rows count in the table, their tasks are not rerun.
        for line in args.resume.read_text().splitlines():
            row = json.loads(line)
            rows[row["config"]].append(row)
            done.add((row["task"], row["config"]))
    log = (args.resume or args.out / f"humanevalfix-{stamp}.jsonl").open("a")
    with tempfile.TemporaryDirectory(prefix="hefix-") as tmp:
        for n, task in enumerate(tasks, 1):
            for name, extra in configs:
                if (task["task_id"], name) in done:
                    continue
                repo = make_repo(task, Path(tmp) / name, args.docs)
                # NAME@DIR: this config runs the codeloop tree in DIR (before/after, interleaved)
                tree = Path(name.split("@", 1)[1]) if "@" in name else args.codeloop
                payload = run_fix(repo, ["--time-budget", str(args.budget), *extra], args.task_timeout, tree.resolve())
                solution = (repo / "solution.py").read_text()
                judged = hidden_pass(task, solution) if payload.get("status") == "fixed" or payload.get("applied") else False
                row = {
                    "task": task["task_id"], "config": name, "bug_type": task["bug_type"],
                    "status": payload.get("status"), "stage": payload.get("stage", ""),
                    "visible": payload.get("status") == "fixed",
                    # applied: the user's file was changed (older trees lack the key: fixed = applied)
                    "applied": bool(payload.get("applied", payload.get("status") == "fixed")),
                    "hidden": payload.get("status") == "fixed" and judged,
                    "confidence": payload.get("confidence"),
                    "rivals": len(payload.get("rivals") or []),
                    "seconds": payload.get("seconds", payload["wall_seconds"]),
                    "llm_calls": payload.get("llm_calls", 0),
                    "candidates": payload.get("candidates", 0),
                    "completion_tokens": payload.get("completion_tokens", 0),
                    "prompt_tokens": payload.get("prompt_tokens", 0),
                    "prompt_tokens_evaluated": payload.get("prompt_tokens_evaluated", 0),
                    "model_seconds": payload.get("model_seconds", 0.0),
                    "prompt_seconds": payload.get("prompt_seconds", 0.0),
                    "wasted_answers": payload.get("wasted_answers", 0),
                    "wasted_by": payload.get("wasted_by", {}),  # e.g. "function unchanged": what to fix in the answer forms
                    "stage_seconds": payload.get("stage_seconds", {}),
                    "models": payload.get("models", {}),
                    "wall_seconds": payload.get("wall_seconds", payload.get("seconds", 0.0)),
                    # what was chosen and why: to study a wrong patch without running it again
                    "winner": payload.get("winner", ""),
                    "diff": payload.get("diff", ""),
                    "confidence_reasons": payload.get("confidence_reasons", []),
                }
                row["right"] = row["applied"] and judged
                rows[name].append(row)
                log.write(json.dumps(row) + "\n")
                log.flush()
                print(f"[{n}/{len(tasks)}] {name:>10} {task['task_id']:<12} {row['status']:<9} applied={'yes' if row['applied'] else 'no '} right={'yes' if row['right'] else 'no '} conf={row['confidence']} {row['seconds']:.0f}s calls={row['llm_calls']}", file=sys.stderr, flush=True)
    print_table(rows, len(tasks))
    return 0


def select(tasks: list[dict | None], args: argparse.Namespace) -> list[dict]:
    """The tasks of this run: a range (--held-out, --tuning, else --start/--limit), then
    optionally a seeded sample of it, in dataset order."""
    if args.held_out or args.tuning:
        span = HELD_OUT if args.held_out else TUNING
        chosen = [t for i, t in enumerate(tasks) if i in span and t is not None]
    else:
        chosen = [t for t in tasks[args.start : args.start + args.limit] if t is not None]
    if args.sample and args.sample < len(chosen):
        picked = set(random.Random(args.seed).sample(range(len(chosen)), args.sample))
        chosen = [t for i, t in enumerate(chosen) if i in picked]
    if args.tasks:
        wanted = set(args.tasks.split(","))
        chosen = [t for t in chosen if t["task_id"] in wanted]
    return chosen


def _ratio(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"
def print_model_use(rows: dict[str, list[dict]]) -> None:
    """What the model tier spent: applied fixes, precision, calls, tokens and rates."""
    print(f"\n{'config':<14} {'applied':>8} {'right':>6} {'precision':>10} {'median s':>9} {'median wall':>12} {'calls':>6} {'prompt tok':>11} {'read tok':>9} {'gen tok':>8} {'wasted':>7} {'read tok/s':>11} {'gen tok/s':>10}")
    for name, items in rows.items():
        applied = sum(r["visible"] for r in items)
        right = sum(r["hidden"] for r in items)
        gen = sum(r.get("completion_tokens", 0) for r in items)
        read = sum(r.get("prompt_tokens_evaluated", 0) for r in items)
        model_s = sum(r.get("model_seconds", 0.0) for r in items)
        prompt_s = sum(r.get("prompt_seconds", 0.0) for r in items)
        print(
            f"{name:<14} {applied:>8} {right:>6} {(f'{right / applied:.0%}' if applied else '-'):>10} "
            f"{statistics.median(r['seconds'] for r in items):>9.1f} {statistics.median(r.get('wall_seconds', r['seconds']) for r in items):>12.1f} "
            f"{sum(r['llm_calls'] for r in items):>6} {sum(r.get('prompt_tokens', 0) for r in items):>11} {read:>9} {gen:>8} "
            f"{sum(r.get('wasted_answers', 0) for r in items):>7} "
            f"{(read / prompt_s if prompt_s else 0):>11.1f} {(gen / (model_s - prompt_s) if model_s > prompt_s else 0):>10.1f}"
        )


def print_table(rows: dict[str, list[dict]], total: int) -> None:
    print(f"\nHumanEvalFix-Python, {total} tasks (right = applied and the hidden tests pass)")
    print(f"{'config':<12} {'right':>6} {'applied':>8} {'precision':>10} {'recall':>7} {'abstained':>10} {'median s':>9} {'calls':>6} {'tokens':>7}")
    for name, items in rows.items():
        right = sum(r.get("right", r["hidden"]) for r in items)
        applied = sum(r.get("applied", r["visible"]) for r in items)
        abstained = sum(r["status"] == "ambiguous" for r in items)
        print(
            f"{name:<12} {right:>6} {applied:>8} {_ratio(right, applied):>10} {_ratio(right, len(items)):>7} {abstained:>10} "
            f"{statistics.median(r['seconds'] for r in items):>9.1f} "
            f"{statistics.median(r['llm_calls'] for r in items):>6.0f} "
            f"{statistics.median(r['completion_tokens'] + r.get('prompt_tokens', 0) for r in items):>7.0f}"
        )
    print("\nby bug type (right/applied of tasks):")
    types = sorted({r["bug_type"] for items in rows.values() for r in items})
    print(f"{'bug type':<22}" + "".join(f"{name:>16}" for name in rows))
    for bug in types:
        cells = []
        for items in rows.values():
            of_type = [r for r in items if r["bug_type"] == bug]
            right = sum(r.get("right", r["hidden"]) for r in of_type)
            applied = sum(r.get("applied", r["visible"]) for r in of_type)
            cells.append(f"{right}/{applied} of {len(of_type)}")
        print(f"{bug:<22}" + "".join(f"{c:>16}" for c in cells))
    wrong = {name: [r["task"] for r in items if r.get("applied", r["visible"]) and not r.get("right", r["hidden"])] for name, items in rows.items()}
    for name, tasks in wrong.items():
        if tasks:
            print(f"wrong patches applied by {name}: {', '.join(tasks)}")
    print_model_use(rows)


if __name__ == "__main__":
    sys.exit(main())
