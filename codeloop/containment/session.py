"""The parent side of containment: one run folder and one reaper per codeloop process.

Everything a codeloop process puts on disk outside the user's tree (sandbox copies,
reports, the HOME and TMPDIR of test runs) lives in one folder,
``$TMPDIR/codeloop-run-<pid>-<start ticks>-<random>``, held by an flock on its ``.owner``
file for as long as codeloop lives. Whoever finds such a folder unlocked knows its
owner is dead, whatever killed it: the next run's ``sweep_stale`` kills what is left of
that run (processes carrying its marker) and removes the folder.

The reaper is a small separate process (``reaper.py``, its own session, so Ctrl-C and
a terminal hang-up do not reach it) that reads a pipe from codeloop. When the pipe
reaches EOF (codeloop exited, however) or codeloop is gone, it stops the run's launchers,
kills every process marked with the run's id and removes the folder, so even a SIGKILL
leaves nothing behind for long.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import itertools
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import codeloop
from codeloop.containment import procs
from codeloop.containment.environment import child_env

RUN_PREFIX = "codeloop-run-"
_NAME = re.compile(rf"^{RUN_PREFIX}(\d+)-(\d+)-[0-9a-f]+$")
# Runs the launcher or reaper module without site-packages: they need only the stdlib
# and codeloop.containment, found through the folder that holds the codeloop package.
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); import importlib; importlib.import_module(sys.argv[2]).main(sys.argv[3:])"
_PACKAGE_PARENT = str(Path(codeloop.__file__).resolve().parent.parent)
NETWORK_OPT_OUT = "CODELOOP_TEST_NETWORK"  # "1": test runs keep the network
FILESYSTEM_OPT_OUT = "CODELOOP_TEST_FILESYSTEM"  # "1": test runs may write anywhere the user may


def program(module: str, *args: str) -> list[str]:
    return [sys.executable, "-S", "-E", "-s", "-c", _BOOT, _PACKAGE_PARENT, module, *args]


def remove_tree(path: Path) -> None:
    """rmtree that also gets through folders a test made read-only."""

    def retry(func: object, name: str, exc: object) -> None:
        with contextlib.suppress(OSError):
            parent = os.path.dirname(name)
            os.chmod(parent, os.stat(parent).st_mode | stat.S_IRWXU)
            if os.path.isdir(name) and not os.path.islink(name):
                os.chmod(name, stat.S_IRWXU)
                shutil.rmtree(name, ignore_errors=True)
            else:
                os.unlink(name)

    if os.path.lexists(path):
        shutil.rmtree(path, onerror=retry)  # type: ignore[arg-type]


def _owner_gone(folder: Path, pid: int, started: int) -> bool:
    try:
        handle = open(folder / ".owner", "a")  # noqa: SIM115 -- closed below
    except FileNotFoundError:  # being created right now, or already half removed
        return not procs.is_alive(pid, started)
    except OSError:
        return False  # not ours to judge (another user's folder)
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return False  # its owner holds the lock: alive
            return not procs.is_alive(pid, started)  # no flock here: judge by pid and start time
        return True


def sweep_stale(root: Path | None = None) -> list[Path]:
    """Remove run folders (and kill the processes) of codeloop runs that died; the folders removed."""
    root = Path(root or tempfile.gettempdir())
    removed: list[Path] = []
    try:
        names = os.listdir(root)
    except OSError:
        return removed
    for name in names:
        match = _NAME.match(name)
        if match is None:
            continue
        folder = root / name
        if not _owner_gone(folder, int(match.group(1)), int(match.group(2))):
            continue
        run_id = name[len(RUN_PREFIX) :]
        procs.kill_all(lambda: procs.marked(run_id, str(folder)))
        remove_tree(folder)
        removed.append(folder)
    return removed


def _memory_limit() -> int:
    """Address space per process: three quarters of RAM, at least 4 GiB (a backstop
    against a runaway candidate, loose enough for JVMs that reserve a quarter of RAM)."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 0
    return max(4 << 30, total * 3 // 4)


class RunSession:
    def __init__(self, temp_root: Path | None = None) -> None:
        self.pid = os.getpid()
        self.id = f"{self.pid}-{procs.start_time(self.pid) or 0}-{os.urandom(3).hex()}"
        root = Path(temp_root or tempfile.gettempdir())
        sweep_stale(root)
        self.folder = root / f"{RUN_PREFIX}{self.id}"
        self.folder.mkdir(mode=0o700)
        self._owner = open(self.folder / ".owner", "w")  # noqa: SIM115 -- held for our lifetime
        with contextlib.suppress(OSError):
            fcntl.flock(self._owner, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._guard = threading.Lock()
        self._launchers: set[int] = set()
        self._numbers = itertools.count()
        self.closed = False
        self.stopping = False  # set when interrupted: no new test run may start
        config = json.dumps({"folder": str(self.folder), "run_id": self.id, "parent": self.pid,
                             "parent_start": procs.start_time(self.pid)})
        self._reaper: subprocess.Popen[bytes] | None = subprocess.Popen(
            program("codeloop.containment.reaper", config),
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            cwd="/", env={"PATH": os.defpath}, start_new_session=True,
        )

    def _tell(self, line: str) -> None:
        if self._reaper is None or self._reaper.stdin is None:
            return
        with contextlib.suppress(OSError, ValueError):
            self._reaper.stdin.write(line.encode() + b"\n")
            self._reaper.stdin.flush()

    def new_folder(self, prefix: str) -> Path:
        """A fresh folder inside the run folder (removed with it at the latest)."""
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.folder))

    @contextlib.contextmanager
    def scratch(self) -> Iterator[Path]:
        """HOME and TMPDIR for one test run: fresh each time, removed afterwards."""
        folder = self.folder / f"scratch-{next(self._numbers)}"
        (folder / "home").mkdir(parents=True)
        (folder / "tmp").mkdir()
        try:
            yield folder
        finally:
            remove_tree(folder)

    def start(
        self, argv: list[str], cwd: Path, scratch: Path, timeout: float,
        extra_env: Mapping[str, str] | None = None, stdin: int = subprocess.DEVNULL, merge_stderr: bool = True,
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` contained (through the launcher); call ``finished`` when it ended."""
        if self.stopping:
            raise RuntimeError("codeloop is stopping: no new test run")
        env = child_env(os.environ, str(scratch / "home"), str(scratch / "tmp"), self.id, extra_env)
        network = os.environ.get(NETWORK_OPT_OUT) == "1"
        limits = [os.getpid(), int(2 * timeout) + 60, _memory_limit(), 512, int(network)]
        writable = self.writable_folders(cwd)
        with self._guard:
            proc = subprocess.Popen(
                program("codeloop.containment.launcher", *map(str, limits), str(len(writable)), *writable, *argv),
                cwd=cwd, env=env, stdin=stdin,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT if merge_stderr else subprocess.DEVNULL,
                start_new_session=True,
            )
            self._launchers.add(proc.pid)
        self._tell(f"+{proc.pid}")
        return proc

    def writable_folders(self, cwd: Path) -> list[str]:
        """What a test run may write to: the run folder (its copy, scratch HOME and TMPDIR,
        reports); everything else is read-only for it. A run started outside the run
        folder (a command run in place, not in a copy) may write where it runs, too.
        Empty (no mount namespace) when the user opted out."""
        if os.environ.get(FILESYSTEM_OPT_OUT) == "1":
            return []
        folders = [str(self.folder)]
        try:
            Path(cwd).resolve().relative_to(self.folder.resolve())
        except ValueError:
            folders.append(str(cwd))
        return folders

    def finished(self, proc: subprocess.Popen[bytes]) -> None:
        with self._guard:
            self._launchers.discard(proc.pid)
        self._tell(f"-{proc.pid}")

    def stop_all(self) -> None:
        """Ask every running launcher to kill its tree and start no new one (non-blocking:
        safe in a signal handler)."""
        self.stopping = True
        for pid in list(self._launchers):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)

    def close(self) -> None:
        if self.closed or os.getpid() != self.pid:
            return
        self.closed = True
        self.stop_all()
        deadline = time.monotonic() + 2.0
        while self._launchers and time.monotonic() < deadline and any(procs.is_alive(p, None) for p in self._launchers):
            time.sleep(0.01)
        for pid in list(self._launchers):
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        procs.kill_all(lambda: procs.marked(self.id, str(self.folder)))
        remove_tree(self.folder)
        self._owner.close()
        if self._reaper is not None:
            with contextlib.suppress(OSError):
                if self._reaper.stdin is not None:
                    self._reaper.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._reaper.wait(timeout=5)
            self._reaper = None


_current: RunSession | None = None
_current_lock = threading.Lock()


def current() -> RunSession:
    """This process's RunSession, made on first use (and closed at exit)."""
    global _current
    with _current_lock:
        if _current is None or _current.pid != os.getpid() or _current.closed:
            _current = RunSession()
            atexit.register(_current.close)
        return _current


def active() -> RunSession | None:
    """The session if one was made in this process (None otherwise)."""
    return _current if _current is not None and _current.pid == os.getpid() and not _current.closed else None
