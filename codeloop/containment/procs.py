"""Process facts read from /proc (Linux), shared by the launcher, the reaper and codeloop.

Standard library only: this module is imported by ``launcher`` and ``reaper``, which run
without site-packages. Everything degrades to "nothing found" where /proc is missing.
"""

from __future__ import annotations

import os
import _signal as signal  # not signal: its enums cost every test run an import of enum
import time
from collections.abc import Callable

MARKER = "CODELOOP_RUN"  # env var every contained process carries: the id of its codeloop run


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (None if it is gone): with the pid
    it names a process for good, since pids are reused."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = stat[stat.rfind(b")") + 2 :].split()
    return int(fields[19])


def is_alive(pid: int, started: int | None) -> bool:
    """Whether the process ``pid`` that started at ``started`` still runs (not a zombie)."""
    now = start_time(pid)
    return now is not None and (started is None or now == started) and _state(pid) not in ("Z", "X", None)


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    return stat[stat.rfind(b")") + 2 :].split()[0].decode()


def _pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def parents() -> dict[int, int]:
    """pid -> parent pid for every live (non-zombie) process."""
    found: dict[int, int] = {}
    for pid in _pids():
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if fields[0] not in (b"Z", b"X"):
            found[pid] = int(fields[1])
    return found


def descendants(root: int) -> list[int]:
    """Live descendants of ``root`` (children first)."""
    children: dict[int, list[int]] = {}
    for pid, parent in parents().items():
        children.setdefault(parent, []).append(pid)
    found: list[int] = []
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def marked(run_id: str, folder: str | None = None) -> list[int]:
    """Live processes that belong to codeloop run ``run_id``: their environment carries
    its marker, or (a process that cleared its environment) their working folder is
    inside the run's ``folder``."""
    needle = f"{MARKER}={run_id}".encode()
    inside = folder.rstrip("/") + "/" if folder else None
    me = os.getpid()
    found = []
    for pid in _pids():
        if pid == me:
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                ours = needle in handle.read().split(b"\0")
            if not ours and inside is not None:
                ours = (os.readlink(f"/proc/{pid}/cwd") + "/").startswith(inside)
        except OSError:
            continue
        if ours and _state(pid) not in ("Z", "X", None):
            found.append(pid)
    return found


def kill_all(find: Callable[[], list[int]], rounds: int = 50) -> int:
    """SIGKILL what ``find()`` returns until it returns nothing (a process forked between
    a look and the kill is found by the next look); how many were killed."""
    killed = 0
    for _ in range(rounds):
        pids = find()
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        time.sleep(0.01)
    return killed
