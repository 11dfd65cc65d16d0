"""The TestRunner seam and the report it returns."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
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


def kill_running() -> None:
    """Stop every test command still running (each launcher kills its whole tree) and
    start no new one: worker threads blocked on them then return at once. Safe to call
    from a signal handler."""
    from codeloop.containment import session

    runs = session.active()
    if runs is not None:
        runs.stop_all()


def run_shell(command: str, cwd: Path, timeout: float, extra_env: dict[str, str] | None = None) -> ProcessResult:
    """Run ``command`` through the shell, contained (see codeloop/containment): its own
    session under a launcher that kills everything it started when it ends or times out,
    an allow-listed environment (``extra_env``, codeloop's own values, is added as is)
    with a fresh HOME and TMPDIR, resource limits, no network where the OS allows."""
    return run_contained(["/bin/sh", "-c", command], cwd, timeout, extra_env)


def run_contained(
    argv: list[str], cwd: Path, timeout: float, extra_env: dict[str, str] | None = None,
    input: bytes | None = None, merge_stderr: bool = True,
) -> ProcessResult:
    """``argv`` contained like ``run_shell``; ``input`` is fed to its stdin."""
    from codeloop.containment import session

    runs = session.current()
    started = time.perf_counter()
    timed_out = False
    with runs.scratch() as scratch:
        stdin = subprocess.PIPE if input is not None else subprocess.DEVNULL
        proc = runs.start(argv, cwd, scratch, timeout, extra_env, stdin=stdin, merge_stderr=merge_stderr)
        out = b""
        try:
            out, _ = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            out = _stop(proc)
        finally:
            if proc.poll() is None:  # interrupted (Ctrl-C): take the whole tree down with us
                _stop(proc)
            runs.finished(proc)
    text = out.decode("utf-8", "replace")
    return ProcessResult(
        exit_code=proc.returncode if not timed_out else 124,
        output=text[-20000:],
        seconds=time.perf_counter() - started,
        timed_out=timed_out,
    )


def _stop(proc: subprocess.Popen[bytes]) -> bytes:
    """End a launcher and its tree; what it printed until then."""
    with contextlib.suppress(OSError):
        os.kill(proc.pid, signal.SIGTERM)  # the launcher kills every descendant, then exits
    try:
        out, _ = proc.communicate(timeout=5)
        return out or b""
    except subprocess.TimeoutExpired as late:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.stdout is not None:
            proc.stdout.close()
        proc.wait()
        return bytes(late.output or b"")
