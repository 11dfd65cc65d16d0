"""Watches one codeloop process from outside and cleans up after it, however it ends.

``python -S -E -s reaper.py CONFIG_JSON`` in its own session. codeloop writes "+PID" /
"-PID" lines (launchers started / finished) to our stdin. On EOF, or when codeloop is
no longer alive (a pipe inherited by some stray child would hide the EOF), we:
SIGTERM the launchers still registered (each kills its own tree), then SIGKILL their
groups, kill every process whose environment carries this run's marker or whose working
folder is inside the run folder (children that escaped both) and remove the run folder. Signals a user sends to "codeloop" processes
are ignored: only the death of codeloop ends us.
"""

from __future__ import annotations

import json
import os
import select
import _signal as signal  # not signal: its enums cost every test run an import of enum
import sys
import time

from codeloop.containment import procs


def watch(parent: int, parent_start: int | None) -> set[int]:
    launchers: set[int] = set()
    pending = b""
    while True:
        ready, _, _ = select.select([0], [], [], 0.5)
        if not ready:
            if not procs.is_alive(parent, parent_start):
                return launchers
            continue
        data = os.read(0, 4096)
        if not data:
            return launchers
        pending += data
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line[:1] == b"+" and line[1:].isdigit():
                launchers.add(int(line[1:]))
            elif line[:1] == b"-" and line[1:].isdigit():
                launchers.discard(int(line[1:]))


def clean(launchers: set[int], run_id: str, folder: str) -> None:
    for pid in launchers:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and any(procs.is_alive(pid, None) for pid in launchers):
        time.sleep(0.02)
    for pid in launchers:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    procs.kill_all(lambda: procs.marked(run_id, folder))
    import shutil  # late: most reapers never get here before codeloop removed the folder

    if folder.rsplit("/", 1)[-1].startswith("codeloop-run-"):  # never anything else
        shutil.rmtree(folder, ignore_errors=True)


def main(args: list[str]) -> None:
    config = json.loads(args[0])
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    launchers = watch(int(config["parent"]), config["parent_start"])
    clean(launchers, config["run_id"], config["folder"])


if __name__ == "__main__":
    main(sys.argv[1:])
