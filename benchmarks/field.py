#!/usr/bin/env python
"""`codeloop fix` on real projects set up as their developers set them up (issue 18).

Six PyPI projects (pinned versions and sdist sha256; four src-layout, two flat), each
unpacked into a git repo with its own `.venv` in the project folder, installed editable
(`pip install -e .`) or regular (`pip install .`) with its pinned test dependencies. Each
seeded bug of field_projects.py (one-token slips and deleted statements, in decorator
wrappers, deep helpers and import-time code too) is planted in the tree, and codeloop is
run exactly as a user would: the project's venv activated (VIRTUAL_ENV set, its bin/ first
on PATH), codeloop installed in another environment and called by absolute path, cwd = the
project, no --test-cmd, --json and a time budget. Every applied patch is judged by the
project's full suite in the real tree afterwards, and compared with the original text.

Regular installs: site-packages holds a copy of the package, so the seeded file is copied
there too (what `pip install .` after the slip would do), and so is the patched file before
judging (what the user does after accepting a fix); the tree is reset between tasks.

    python benchmarks/field.py --settings no-model --installs editable,regular
    python benchmarks/field.py --self-check
    python benchmarks/field.py --projects click,toolz --bugs click-1,toolz-4 --jobs 2

Downloads, trees and venvs live in --work (default ~/.cache/codeloop-field), outside git.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from field_env import SetupError, apply_seed, changed_paths, clean_suite_seconds, reset, run_suite, set_up, sh, sync_installed, tree_dir, user_env  # noqa: E402
from field_projects import PROJECTS, SEEDS, Project, Seed  # noqa: E402

SETTINGS = {"default": [], "no-model": ["--no-model"]}
INSTALLS = ("editable", "regular")
GRACE = 90.0  # seconds past the budget before a run counts as hung and is killed


@dataclass
class Outcome:
    seed: str
    project: str
    install: str
    setting: str
    exit_code: int | None
    status: str  # codeloop's JSON status, or "no-json" / "timeout"
    verdict: str  # fixed | misjudged | setup-error | unfixed | passing | crashed
    exact: bool | None = None  # the patch restored the original text
    suite_after: bool | None = None
    suite_tail: str = ""
    seconds: float = 0.0
    stage: str | None = None
    message: str = ""
    diff: str = ""  # the applied patch's file against the original (empty when exact)
    patch: str = ""  # codeloop's own diff (against the seeded tree)
    candidates: int | None = None
    python: str = ""  # which interpreter codeloop chose and why (its JSON, where it says)


def run_codeloop(codeloop: str, tree: Path, setting: str, budget: float) -> tuple[int | None, dict[str, Any] | None, str, float]:
    """codeloop fix in the project, venv active, as the user types it: (exit, json, stderr tail, seconds)."""
    cmd = [codeloop, "fix", "--json", "--time-budget", str(budget), *SETTINGS[setting]]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=tree, env=user_env(tree), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=budget + GRACE)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        code = None
    seconds = time.monotonic() - start
    try:
        payload = json.loads(out.strip().splitlines()[-1]) if out.strip() else None
    except json.JSONDecodeError:
        payload = None
    return code, payload, err.strip()[-1500:], seconds


def run_task(codeloop: str, work: Path, seed: Seed, install: str, setting: str, budget: float) -> Outcome:
    project = PROJECTS[seed.project]
    tree = tree_dir(work, project, install)
    reset(tree, project, install)
    apply_seed(tree, project, install, seed)
    try:
        code, payload, err, seconds = run_codeloop(codeloop, tree, setting, budget)
        out = Outcome(seed.id, seed.project, install, setting, code, "timeout" if code is None else (payload or {}).get("status", "no-json"), "crashed", seconds=round(seconds, 1))
        if payload:
            out.stage, out.candidates, out.patch = payload.get("stage"), payload.get("candidates"), payload.get("diff") or ""
            out.python = " ".join(str(payload[k]) for k in ("python", "python_source", "test_command") if payload.get(k))
            out.message = str(payload.get("message") or payload.get("error") or "")[:500]
        if code == 2:
            out.verdict = "setup-error"
            out.message = out.message or (err.splitlines()[-1] if err else "")
        elif code == 0 and out.status == "fixed" and payload and payload.get("applied"):
            paths = changed_paths(tree)
            out.diff = sh(["git", "diff", "HEAD"], tree).stdout
            out.exact = not paths
            sync_installed(tree, project, install, paths + [seed.path])
            out.suite_after, _, out.suite_tail = run_suite(tree)
            out.verdict = "fixed" if out.suite_after else "misjudged"
        elif code == 0 and out.status == "passing":
            out.verdict = "passing"  # codeloop's tests did not see the bug the user's suite sees
        elif code == 1 and out.status == "ambiguous":
            # Not applied: codeloop was not sure. Was the patch it put first the real fix?
            out.verdict = "abstained"
            out.exact = shown_patch_is_exact(tree, out.patch)
        elif code == 1:
            out.verdict = "unfixed"
        elif code is not None and code != 0 and not out.message:
            out.message = err.splitlines()[-1] if err else ""
        return out
    finally:
        reset(tree, project, install)


def shown_patch_is_exact(tree: Path, patch: str) -> bool | None:
    """Whether ``patch`` (codeloop's best candidate, not applied) turns the seeded tree
    back into the original; the tree is left as it was."""
    if not patch:
        return None
    applied = subprocess.run(["git", "apply", "-"], cwd=tree, input=patch, text=True, capture_output=True)
    if applied.returncode != 0:
        return None
    exact = not changed_paths(tree)
    subprocess.run(["git", "apply", "-R", "-"], cwd=tree, input=patch, text=True, capture_output=True, check=True)
    return exact


def check_seeds(work: Path, seeds: list[Seed], notes: list[str]) -> list[Seed]:
    """Keep the seeds that make the full suite fail (checked once on the editable tree, cached)."""
    cache_file = work / "seed-check.json"
    cache: dict[str, Any] = json.loads(cache_file.read_text()) if cache_file.exists() else {}
    kept = []
    for seed in seeds:
        key = json.dumps(asdict(seed), sort_keys=True)
        if key not in cache:
            project = PROJECTS[seed.project]
            tree = tree_dir(work, project, "editable")
            reset(tree, project, "editable")
            apply_seed(tree, project, "editable", seed)
            passed, seconds, tail = run_suite(tree)
            reset(tree, project, "editable")
            cache[key] = {"fails": not passed, "tail": tail, "seconds": round(seconds, 1)}
            cache_file.write_text(json.dumps(cache, indent=1))
        if cache[key]["fails"]:
            kept.append(seed)
        else:
            notes.append(f"dropped {seed.id}: the full suite still passes with it ({cache[key]['tail']})")
    return kept


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.0f}" if values else "-"


@dataclass
class Cell:
    tasks: list[Outcome] = field(default_factory=list)

    def count(self, verdict: str) -> int:
        return sum(o.verdict == verdict for o in self.tasks)

    def row(self) -> dict[str, str]:
        fixed = [o for o in self.tasks if o.verdict == "fixed"]
        return {
            "fixed": f"{len(fixed)}/{len(self.tasks)}",
            "exact": str(sum(bool(o.exact) for o in fixed)),
            "misjudged": str(self.count("misjudged")),
            "wrong-but-passing": str(sum(o.exact is False for o in fixed)),
            "abstained (right first)": f"{self.count('abstained')} ({sum(o.verdict == 'abstained' and bool(o.exact) for o in self.tasks)})",
            "set-up errors": str(self.count("setup-error")),
            "unfixed": str(self.count("unfixed")),
            "other": str(len(self.tasks) - len(fixed) - self.count("misjudged") - self.count("abstained") - self.count("setup-error") - self.count("unfixed")),
            "median s": _median([o.seconds for o in self.tasks]),
        }


def table(outcomes: list[Outcome], installs: list[str]) -> str:
    """One row per project and setting (then overall), editable and regular side by side."""
    settings = list(dict.fromkeys(o.setting for o in outcomes))
    projects = list(dict.fromkeys(o.project for o in outcomes))
    metrics = list(Cell().row())
    head = ["project", "layout", "setting"] + [m + (" (" + "/".join(i[:3] for i in installs) + ")" if len(installs) > 1 else "") for m in metrics]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for setting in settings:
        for name in projects + ["overall"]:
            cells = [Cell([o for o in outcomes if o.setting == setting and o.install == i and (name == "overall" or o.project == name)]) for i in installs]
            rows = [c.row() for c in cells]
            layout = PROJECTS[name].layout if name in PROJECTS else ""
            label = f"**{name}**" if name == "overall" else name
            lines.append("| " + " | ".join([label, layout, setting] + [" / ".join(r[m] for r in rows) for m in metrics]) + " |")
    return "\n".join(lines)


def details(outcomes: list[Outcome]) -> str:
    lines = ["| bug | install | setting | verdict | exact | s | stage | exit | message |", "|---|---|---|---|---|---|---|---|---|"]
    for o in outcomes:
        exact = "" if o.exact is None else ("yes" if o.exact else "NO")
        msg = (o.message or o.suite_tail).replace("|", "\\|").replace("\n", " ")[:140]
        lines.append(f"| {o.seed} | {o.install} | {o.setting} | {o.verdict} | {exact} | {o.seconds:.0f} | {o.stage or ''} | {o.exit_code} | {msg} |")
    return "\n".join(lines)


def run_all(tasks: list[tuple[Seed, str, str]], codeloop: str, work: Path, budget: float, jobs: int, stream: Path | None = None) -> list[Outcome]:
    """Run the tasks ``jobs`` at a time; a worker takes the first task whose tree is not in use.

    Each outcome is also appended to ``stream`` (JSON lines) as it comes, so a run cut short
    still has its results (``--from-jsonl`` prints the tables from them).
    """
    pending = list(enumerate(tasks))
    results: list[Outcome | None] = [None] * len(tasks)
    busy: set[tuple[str, str]] = set()
    cond = threading.Condition()

    def worker() -> None:
        while True:
            with cond:
                while True:
                    if not pending:
                        return
                    pick = next((t for t in pending if (t[1][0].project, t[1][1]) not in busy), None)
                    if pick is not None:
                        pending.remove(pick)
                        break
                    cond.wait()
                index, (seed, install, setting) = pick
                busy.add((seed.project, install))
            try:
                out = run_task(codeloop, work, seed, install, setting, budget)
            except (SetupError, subprocess.SubprocessError, OSError) as exc:
                out = Outcome(seed.id, seed.project, install, setting, None, "harness-error", "crashed", message=str(exc)[:300])
            print(f"{seed.id:16} {install:8} {setting:8} {out.verdict:11} {out.seconds:5.0f}s {out.status} {out.message[:100]}", file=sys.stderr, flush=True)
            with cond:
                results[index] = out
                if stream is not None:
                    with stream.open("a") as fh:
                        fh.write(json.dumps(asdict(out)) + "\n")
                busy.discard((seed.project, install))
                cond.notify_all()

    threads = [threading.Thread(target=worker) for _ in range(max(1, jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [o for o in results if o is not None]


def self_check(work: Path) -> int:
    """Set up one project; the clean suite passes, one seed makes it fail, a reset restores it."""
    project = PROJECTS["cachetools"]
    seed = next(s for s in SEEDS if s.project == project.name)
    start = time.monotonic()
    log: list[str] = []
    tree = set_up(project, "editable", work, log)
    reset(tree, project, "editable")
    clean, s_clean, tail_clean = run_suite(tree)
    apply_seed(tree, project, "editable", seed)
    seeded, _, tail_seeded = run_suite(tree)
    reset(tree, project, "editable")
    back, _, _ = run_suite(tree)
    status = sh(["git", "status", "--porcelain"], tree).stdout.strip()
    ok = clean and not seeded and back and not status
    print(f"self-check {project.key} editable: clean suite {'passes' if clean else 'FAILS'} ({s_clean:.1f}s: {tail_clean}); "
          f"with {seed.id} it {'fails' if not seeded else 'PASSES'} ({tail_seeded}); after reset it {'passes' if back else 'FAILS'}, "
          f"git status {'clean' if not status else repr(status)}; {time.monotonic() - start:.0f}s")
    return 0 if ok else 1


def report(outcomes: list[Outcome], installs: list[str]) -> None:
    """The summary table, every task, and the diff of every misjudged or wrong-but-passing fix."""
    print(table(outcomes, installs))
    print()
    print(details(outcomes))
    for o in outcomes:
        if o.verdict == "misjudged" or (o.verdict == "fixed" and o.exact is False):
            label = "wrong-but-passing" if o.verdict == "fixed" else "MISJUDGED"
            print(f"\n{label} {o.seed} {o.install} {o.setting}: suite after: {o.suite_tail}\npatch:\n```diff\n{o.patch}```\nagainst the original:\n```diff\n{o.diff}```")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--projects", default=",".join(PROJECTS), help="comma-separated project names")
    ap.add_argument("--bugs", default="", help="comma-separated seed ids (default: all of the projects')")
    ap.add_argument("--settings", default="default,no-model", help="default (model tier, embedded model) and/or no-model")
    ap.add_argument("--installs", default="editable,regular")
    ap.add_argument("--budget", type=float, default=120.0, help="codeloop's --time-budget per task (s)")
    ap.add_argument("--jobs", type=int, default=1, help="tasks run in parallel (one tree is never used by two at once)")
    ap.add_argument("--codeloop", default=str(Path(sys.executable).parent / "codeloop"), help="the codeloop executable (another env than the project's)")
    ap.add_argument("--json-out", type=Path, help="write every outcome and the set-up facts here")
    ap.add_argument("--work", type=Path, default=Path.home() / ".cache" / "codeloop-field")
    ap.add_argument("--setup-only", action="store_true", help="set up the projects and check the seeds, run nothing")
    ap.add_argument("--self-check", action="store_true", help="set up one project; check a seed fails its suite and the clean tree passes")
    ap.add_argument("--from-jsonl", type=Path, help="print the tables from the outcomes a (possibly cut) run streamed")
    args = ap.parse_args()
    work = args.work.expanduser().resolve()
    if args.from_jsonl:
        done = [Outcome(**json.loads(line)) for line in args.from_jsonl.read_text().splitlines() if line.strip()]
        report(done, [i for i in INSTALLS if any(o.install == i for o in done)])
        return 0

    if args.self_check:
        return self_check(work)
    names = [n for n in args.projects.split(",") if n]
    settings = [s for s in args.settings.split(",") if s]
    installs = [i for i in args.installs.split(",") if i]
    bugs = {b for b in args.bugs.split(",") if b}
    bad = [n for n in names if n not in PROJECTS] + [s for s in settings if s not in SETTINGS] + [i for i in installs if i not in INSTALLS]
    bad += sorted(bugs - {s.id for s in SEEDS})
    if bad or not Path(args.codeloop).is_file():
        print(f"field.py: unknown {', '.join(bad) or 'codeloop executable ' + args.codeloop}; see --help", file=sys.stderr)
        return 2

    notes: list[str] = []
    log: list[str] = []
    facts: dict[str, Any] = {}
    for name in names:
        project = PROJECTS[name]
        for install in sorted(set(installs) | {"editable"}):  # seeds are checked on the editable tree
            t0 = time.monotonic()
            tree = set_up(project, install, work, log)
            seconds, tail = clean_suite_seconds(tree)
            freeze = (tree / ".venv" / "field-freeze.txt").read_text().split()
            facts[f"{name}/{install}"] = {"version": project.version, "layout": project.layout, "suite_seconds": seconds, "suite": tail, "pip_freeze": freeze}
            print(f"set up {project.key} ({project.layout}, {install}) in {time.monotonic() - t0:.0f}s: suite {seconds:.1f}s, {tail}", file=sys.stderr)
    seeds = [s for s in SEEDS if s.project in names and (not bugs or s.id in bugs)]
    seeds = check_seeds(work, seeds, notes)
    for note in notes:
        print(note, file=sys.stderr)
    if args.setup_only:
        return 0

    version = sh([args.codeloop, "--version"]).stdout.strip()
    tasks = [(seed, install, setting) for setting in settings for install in installs for seed in seeds]
    start = time.monotonic()
    stream = args.json_out.with_suffix(".jsonl") if args.json_out else None
    if stream is not None:
        stream.write_text("")
    outcomes = run_all(tasks, args.codeloop, work, args.budget, args.jobs, stream)
    print(f"\n{len(tasks)} tasks in {time.monotonic() - start:.0f}s; budget {args.budget:.0f}s; codeloop {args.codeloop} {version}\n")
    report(outcomes, installs)
    if notes:
        print("\n" + "\n".join(notes))
    if args.json_out:
        args.json_out.write_text(json.dumps({"facts": facts, "notes": notes, "pip_freeze": log, "budget": args.budget, "codeloop": args.codeloop,
                                             "outcomes": [asdict(o) for o in outcomes]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
