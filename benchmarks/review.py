#!/usr/bin/env python
"""`codeloop review` on HumanEvalFix (Python): does it block bugs, and leave fixes alone?

Each task gives two staged diffs in temp git repos, with the task's visible example test
as ``test_solution.py``:
  bug-introducing: canonical solution committed, the buggy one staged;
  fix:             buggy solution committed, the canonical one staged.
Recall = share of bug-introducing diffs with a blocking finding on the changed lines of
solution.py; false alarms = share of fix diffs with any blocking finding.

Configurations run side by side on the same diffs in one process (one model load):
  full      tests, deterministic checks, then the model on hunks the facts left uncovered
  facts     tests and deterministic checks, no model
  model     deterministic checks and the model, no tests (the model's own contribution)
  model@1   the same with no self-score filter (nothing dropped)
The model's answers are cached by prompt, so "full" and "model" ask it each question once.

    python benchmarks/review.py --limit 30

Measured 2026-12-01 (2 shared CPU cores, heavily loaded), 20 tasks (every 5th, Python/0..95):
recall full 16/20, facts 16/20 (17/20 after deletion-only changes were anchored), model 4/20,
model@1 19/20; false alarms 0/20 for all but model@1 (20/20): the self-score filter is what
makes the model usable, and here it adds no recall beyond the facts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.humanevalfix import DEFAULT_DATA, load_tasks, visible_test  # noqa: E402
from codeloop.plugins import language_for_path  # noqa: E402
from codeloop.core.review.diffs import parse_diff  # noqa: E402
from codeloop.core.review.engine import ReviewInput, ReviewOptions, review  # noqa: E402
from codeloop.core.review.model_review import ModelReviewer  # noqa: E402
from codeloop.models.base import Completion, CompletionRequest  # noqa: E402
from codeloop.runners.pytest_runner import PytestRunner  # noqa: E402
from codeloop.workspace import revision  # noqa: E402

# (tests, model, min self-score); "model@1" keeps every comment: what the self-score filter removes.
CONFIGS = {"full": (True, True, 4), "facts": (True, False, 4), "model": (False, True, 4), "model@1": (False, True, 1)}
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x"}


class CachedBackend:
    """Same request, same (greedy) answer: ask the model once per distinct prompt."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.cache: dict[str, Completion] = {}
        self.calls = 0
        self.name = "cached"
        self.context_size = 8192

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)  # type: ignore[attr-defined, no-any-return]

    def complete(self, request: CompletionRequest) -> Completion:
        key = repr(request)
        if key not in self.cache:
            self.calls += 1
            self.cache[key] = self.inner.complete(request)  # type: ignore[attr-defined]
        return self.cache[key]


def staged_repo(where: Path, committed: str, staged: str, test: str) -> Path:
    where.mkdir(parents=True)
    (where / "solution.py").write_text(committed)
    (where / "test_solution.py").write_text(test)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", *args], cwd=where, check=True, env=GIT_ENV, capture_output=True)
    (where / "solution.py").write_text(staged)
    subprocess.run(["git", "add", "solution.py"], cwd=where, check=True, capture_output=True)
    return where


def review_repo(repo: Path, run_tests: bool, reviewer: ModelReviewer | None, budget: float) -> dict:
    version, diff = revision.staged(repo)
    with version:
        inp = ReviewInput(diff, version.read, version.read_old, version.source_files, version.root, "")
        options = ReviewOptions(time_budget=budget, run_tests=run_tests, use_model=reviewer is not None)
        loop = review(inp, PytestRunner("python -m pytest -q"), reviewer, language_for_path, options)
        while True:
            try:
                next(loop)
            except StopIteration as stop:
                result = stop.value
                break
    (change,) = [c for c in parse_diff(diff) if c.path == "solution.py"]
    blocking = result.blocking
    on_change = [f for f in blocking if f.path == "solution.py" and change.touches(f.start_line, f.end_line)]
    return {
        "blocking": len(blocking), "on_changed_lines": len(on_change), "sources": sorted({f.source for f in blocking}),
        "findings": len(result.findings), "dropped": result.dropped, "seconds": result.seconds,
        "messages": [f.headline()[:160] for f in result.findings][:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=30, help="tasks, spread evenly over the 164")
    parser.add_argument("--budget", type=float, default=120.0, help="--time-budget per review")
    parser.add_argument("--min-score", type=int, default=4)
    parser.add_argument("--configs", default=",".join(CONFIGS), help="which configurations to run, comma-separated")
    parser.add_argument("--every", type=int, default=0, help="take every EVERY-th task (default: spread --limit over all)")
    parser.add_argument("--skip", type=int, default=0, help="continue a run: leave out the first SKIP tasks of the subset")
    parser.add_argument("--report", type=Path, nargs="+", help="only summarize the rows of earlier (maybe partial) runs")
    args = parser.parse_args()
    if args.report:
        rows = [json.loads(line) for path in args.report for line in path.read_text().splitlines() if line.strip()]
        complete = {r["task"] for r in rows if r["diff"] == "fix"}
        rows = [r for r in rows if r["task"] in complete]
        report(rows, len(complete), 0.0, 0, args.report[0].resolve())
        return
    tasks = load_tasks(args.data)
    step = args.every or max(1, len(tasks) // args.limit)
    tasks = tasks[::step][: args.limit][args.skip :]
    from codeloop.models.llamacpp import LlamaCppBackend

    backend = CachedBackend(LlamaCppBackend())
    reviewers = {score: ModelReviewer(lambda: backend, min_score=score) for score in (1, args.min_score)}  # type: ignore[arg-type, return-value]
    rows: list[dict] = []
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"review-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="codeloop-review-bench-") as tmp, out.open("w") as log:
        for i, task in enumerate(tasks):
            canonical = task["declaration"] + task["canonical_solution"]
            buggy = task["declaration"] + task["buggy_solution"]
            # A few tasks have no visible example: then no test can speak, as in many real repos.
            test = visible_test(task) if task["example_test"].strip() else "# no visible tests for this task\n"
            for kind, (old, new) in {"bug": (canonical, buggy), "fix": (buggy, canonical)}.items():
                repo = staged_repo(Path(tmp) / f"{i}-{kind}", old, new, test)
                for name, (tests, model, score) in CONFIGS.items():
                    if name not in args.configs.split(","):
                        continue
                    row = {"task": task["task_id"], "bug_type": task["bug_type"], "diff": kind, "config": name}
                    reviewer = reviewers.get(score if score == 1 else args.min_score) if model else None
                    row.update(review_repo(repo, tests, reviewer, args.budget))
                    rows.append(row)
                    log.write(json.dumps(row) + "\n")
                    log.flush()
            print(f"[{i + 1}/{len(tasks)}] {task['task_id']} done, {time.perf_counter() - started:.0f}s, {backend.calls} model calls", file=sys.stderr)
    report(rows, len(tasks), time.perf_counter() - started, backend.calls, out)


def report(rows: list[dict], n: int, seconds: float, calls: int, out: Path) -> None:
    by = defaultdict(list)
    for row in rows:
        by[(row["config"], row["diff"])].append(row)
    print(f"\nHumanEvalFix python, {n} tasks, embedded SmolLM2-135M; {seconds:.0f}s, {calls} distinct model calls\n")
    print(f"{'config':8} {'recall (bug diffs: blocking on changed lines)':>46} {'false alarms (fix diffs: any blocking)':>40} {'dropped':>8} {'s/review':>9}")
    for name in CONFIGS:
        bug, fix = by[(name, "bug")], by[(name, "fix")]
        if not bug:
            continue
        recall = sum(r["on_changed_lines"] > 0 for r in bug)
        alarms = sum(r["blocking"] > 0 for r in fix)
        dropped = sum(r["dropped"] for r in bug + fix)
        mean = sum(r["seconds"] for r in bug + fix) / max(1, len(bug + fix))
        print(f"{name:8} {f'{recall}/{len(bug)} = {recall / max(1, len(bug)):.0%}':>46} {f'{alarms}/{len(fix)} = {alarms / max(1, len(fix)):.0%}':>40} {dropped:>8} {mean:>9.1f}")
    model_bug = by[("model@1", "bug")]
    sources = defaultdict(int)
    for r in model_bug:
        for s in r["sources"]:
            sources[s] += 1
    print(f"\nbug diffs with a blocking finding, config 'model@1', by source: {dict(sources)}")
    print(f"per-review rows: {out}")


if __name__ == "__main__":
    main()
