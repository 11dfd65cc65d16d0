#!/usr/bin/env python
"""HumanEval: plain completion vs LPW vs SLPW at one token budget (wraps `codeloop bench humaneval`).

    python benchmarks/humaneval_lpw.py --limit 10 --token-budget 400
    python benchmarks/humaneval_lpw.py --from-log run.log   # re-tabulate a run's progress lines

The second form rebuilds the table from the per-task lines the command prints on
stderr, so a run cut short (slow machine, Ctrl-C) still reports the tasks it finished
(only tasks every method finished are counted, so the comparison stays side by side).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

LINE = re.compile(r"^\[(\d+)/(\d+)\] (\S+)\s+(\S+)\s+(PASS|fail) visible=(ok|no) (\d+) tok ([\d.]+)s")


def tabulate(log: str) -> str:
    rows = [m.groups() for m in map(LINE.match, log.splitlines()) if m]
    by_task: dict[str, dict[str, tuple[bool, bool, int, float]]] = defaultdict(dict)
    methods: dict[str, None] = {}
    for _, _, method, task, verdict, visible, tokens, seconds in rows:
        by_task[task][method] = (verdict == "PASS", visible == "ok", int(tokens), float(seconds))
        methods.setdefault(method, None)
    complete = [t for t, done in by_task.items() if len(done) == len(methods)]
    lines = [f"{len(complete)} tasks finished by every method: {', '.join(complete)}",
             f"{'method':<14}{'pass@1':>9}{'passed':>9}{'visible ok':>12}{'tokens/task':>13}{'s/task':>9}"]
    for method in methods:
        got = [by_task[t][method] for t in complete]
        if not got:
            continue
        lines.append(
            f"{method:<14}{sum(g[0] for g in got) / len(got):>9.3f}{f'{sum(g[0] for g in got)}/{len(got)}':>9}"
            f"{f'{sum(g[1] for g in got)}/{len(got)}':>12}{statistics.mean(g[2] for g in got):>13.0f}"
            f"{statistics.mean(g[3] for g in got):>9.1f}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from-log", type=Path)
    args, rest = parser.parse_known_args()
    if args.from_log:
        print(tabulate(args.from_log.read_text()))
        return 0
    return subprocess.call([sys.executable, "-m", "codeloop", "bench", "humaneval", *rest])


if __name__ == "__main__":
    sys.exit(main())
