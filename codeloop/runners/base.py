"""The TestRunner seam and the report it returns."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Frame:
    path: str  # as printed by the runner (relative to the run directory when inside it)
    line: int
    function: str = ""


@dataclass(frozen=True)
class TestFailure:
    __test__ = False  # not a pytest test class

    test_id: str
    message: str  # the assertion / exception line(s)
    details: str  # the traceback text, trimmed
    frames: tuple[Frame, ...] = ()
    file: str = ""  # the test's file, relative to the run directory
    line: int = 0


# The per-test limit of the baseline run marks hung tests with this text (it must match
# HUNG_MARKER in runners/sbfl_plugin.py, which cannot import codeloop).
HUNG_MARKER = "ran past codeloop's per-test limit"


@dataclass
class TestReport:
    __test__ = False  # not a pytest test class

    passed: bool
    exit_code: int
    failures: list[TestFailure] = field(default_factory=list)
    passed_ids: list[str] = field(default_factory=list)
    skipped_ids: list[str] = field(default_factory=list)
    output: str = ""  # tail of stdout+stderr
    seconds: float = 0.0
    timed_out: bool = False
    structured: bool = False  # True when failures come from a parsed report, not just the exit code

    @property
    def failed_ids(self) -> list[str]:
        return [f.test_id for f in self.failures]

    @property
    def collected(self) -> int:
        """Tests the run reported on (passed, failed or skipped)."""
        return len(self.passed_ids) + len(self.failures) + len(self.skipped_ids)

    @property
    def hung_ids(self) -> list[str]:
        """Tests the per-test limit interrupted (see runners/sbfl_plugin.py)."""
        return [f.test_id for f in self.failures if HUNG_MARKER in f.message or HUNG_MARKER in f.details]

    def signature(self) -> str:
        """A short fingerprint of *how* it fails, to notice rounds that repeat a failure."""
        if self.failures:
            return "|".join(sorted(f"{f.test_id}:{f.message[:120]}" for f in self.failures))
        return f"exit={self.exit_code}:{self.output[-200:]}"


class TestRunner(Protocol):
    __test__: bool = False  # not a pytest test class

    command: str

    def run(self, cwd: Path, selection: list[str] | None = None, timeout: float = 600.0) -> TestReport: ...


@dataclass(frozen=True)
class ProcessResult:
    exit_code: int
    output: str
    seconds: float
    timed_out: bool


# Process groups of test commands running now (from any thread), so that Ctrl-C can end
# them all at once: worker threads blocked on them then return instead of holding the
# interpreter's exit until their test runs finish.
_running_groups: set[int] = set()
_running_lock = threading.Lock()


def kill_running() -> None:
    """Kill every test command still running (their groups: children included)."""
    with _running_lock:
        groups = list(_running_groups)
    for group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)


def run_shell(command: str, cwd: Path, timeout: float, extra_env: dict[str, str] | None = None) -> ProcessResult:
    """Run ``command`` through the shell in its own process group, killed whole on timeout."""
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # stale .pyc from same-second rewrites would lie to us
    env.pop("PYTEST_ADDOPTS", None)
    env.update(extra_env or {})
    started = time.perf_counter()
    proc = subprocess.Popen(
        command,
        shell=True,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    with _running_lock:
        _running_groups.add(proc.pid)
    try:
        out, _ = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        timed_out = True
    finally:
        if proc.poll() is None:  # interrupted (Ctrl-C): take the whole group down with us
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        with _running_lock:
            _running_groups.discard(proc.pid)
    text = out.decode("utf-8", "replace")
    return ProcessResult(
        exit_code=proc.returncode if not timed_out else 124,
        output=text[-20000:],
        seconds=time.perf_counter() - started,
        timed_out=timed_out,
    )
