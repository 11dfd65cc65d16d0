"""The local model runs in a child process, so a native crash ends the worker, not codeloop.

llama.cpp is native code: an instruction the CPU lacks (SIGILL when a hypervisor hides
AVX features the build assumed), a segfault on a damaged GGUF or the out-of-memory
killer used to take the whole ``codeloop fix`` down with it, fix found or not. Here
the parent only talks to a worker (``python -m codeloop.models.worker_main``) over its
stdin/stdout: pickled ``(op, payload)`` frames, one request at a time. A worker that
dies raises ModelCrashed (with the signal and what to do) on that call and every later
one; the commands go on without the model or stop with that one line.

One worker per GGUF per codeloop run (``shared_worker``): sampling and patch ranking
share one loaded model. A call with a deadline that the worker cannot honour (a prompt
evaluation longer than the time left cannot be interrupted) is ended by killing the
worker: DeadlinePassed, and the next call starts a fresh one.
"""

from __future__ import annotations

import atexit
import os
import pickle
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from codeloop.errors import UsageError
from codeloop.models.base import DeadlinePassed, ModelCrashed, ModelError, ModelLoadError, PromptTooLongError

# What to type when the build uses instructions this CPU lacks (the wheel was compiled
# with -march=native elsewhere, or the hypervisor hides AVX-512/AMX).
PORTABLE_REBUILD = (
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" '
    "pip install --force-reinstall --no-cache-dir llama-cpp-python"
)
# A worker stopped at its deadline answers within a token; past this it is killed.
_GRACE_S = 2.0
_EXIT_WAIT_S = 2.0


@dataclass(frozen=True)
class WorkerSettings:
    model_path: Path | None  # None: a worker that only reports the llama.cpp build
    n_threads: int = 1
    n_gpu_layers: int | None = None  # None: every layer when the build can offload, else 0


def crash_advice(signal_name: str, exit_code: int | None, model: str, log_tail: str) -> str:
    """One line: what killed the worker and what the user can do about it."""
    if signal_name == "SIGILL":
        return (
            f"the local model ({model}) crashed with SIGILL: this llama.cpp build uses CPU instructions this "
            f"machine lacks; rebuild it portably: {PORTABLE_REBUILD}"
        )
    if signal_name == "SIGKILL":
        return (
            f"the local model ({model}) was killed (SIGKILL, usually the out-of-memory killer): "
            "use a smaller --model, free memory, or pass --no-model"
        )
    if signal_name:
        return (
            f"the local model ({model}) crashed with {signal_name} in llama.cpp: the GGUF may be damaged or "
            "unsupported by this llama-cpp-python; try another --model, upgrade llama-cpp-python, or pass --no-model"
        )
    last = log_tail.strip().splitlines()[-1][:200] if log_tail.strip() else "no message"
    return f"the local model's worker ({model}) exited with code {exit_code} ({last}); pass --no-model to go on without it"


class ModelWorker:
    """The parent's handle on one worker process (started on first use, thread-safe)."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self.info: dict[str, Any] = {}  # what the worker reported when it loaded the model
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._lock = threading.Lock()
        self._crash: ModelCrashed | None = None
        self._unloadable: ModelLoadError | None = None
        self.restarts = 0  # workers killed at a deadline and started again

    @property
    def label(self) -> str:
        path = self.settings.model_path
        return path.name if path is not None else "llama.cpp"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def crash(self) -> ModelCrashed | None:
        return self._crash

    def start(self, deadline: float | None = None) -> dict[str, Any]:
        """Start the worker and load the model now, if not yet; what it reported."""
        with self._lock:
            self._ready(deadline)
            return self.info

    def call(self, op: str, payload: Any = None, deadline: float | None = None) -> Any:
        """Send one request and wait for its answer (until ``deadline`` plus a grace)."""
        with self._lock:
            self._ready(deadline)
            return self._roundtrip(op, payload, deadline)

    def _ready(self, deadline: float | None) -> None:
        if self._crash is not None:
            raise self._crash
        if self._unloadable is not None:
            raise self._unloadable
        if self._proc is None:
            self._start(deadline)

    def close(self) -> None:
        with self._lock:
            self._stop()

    # -- the process ---------------------------------------------------------------
    def _start(self, deadline: float | None) -> None:
        self._log = tempfile.TemporaryFile(prefix="codeloop-model-")
        env = dict(os.environ)
        # The child must import this very codeloop, whatever the cwd or install mode.
        package_root = str(Path(__file__).resolve().parent.parent.parent)
        env["PYTHONPATH"] = package_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "codeloop.models.worker_main"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            bufsize=0,
            start_new_session=True,  # Ctrl-C reaches codeloop, which ends the worker
        )
        s = self.settings
        if s.model_path is None:
            return
        try:
            self.info = self._roundtrip("load", {"model_path": str(s.model_path), "n_threads": s.n_threads, "n_gpu_layers": s.n_gpu_layers}, deadline)
        except ModelLoadError as exc:  # the file will not load any better next time
            self._stop()
            self._unloadable = exc
            raise

    def _stop(self, kill: bool = False) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if not kill and proc.stdin is not None:
                proc.stdin.close()  # EOF: the worker exits on its own
                proc.wait(timeout=_EXIT_WAIT_S)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout, self._log):
            if stream is not None:
                stream.close()
        self._log = None

    def _roundtrip(self, op: str, payload: Any, deadline: float | None) -> Any:
        assert self._proc is not None and self._proc.stdin is not None and self._proc.stdout is not None
        # Clocks of two processes need not agree: the worker gets the time left.
        timeout = None if deadline is None else deadline - time.monotonic()
        try:
            _write_frame(self._proc.stdin, (op, payload, timeout))
            reply = _read_frame(self._proc.stdout.fileno(), None if deadline is None else deadline + _GRACE_S)
        except (BrokenPipeError, EOFError, ConnectionResetError):
            raise self._crashed() from None
        except TimeoutError:
            self._stop(kill=True)
            self.restarts += 1
            raise DeadlinePassed(f"the model call ran past its deadline; the worker for {self.label} was stopped") from None
        if reply[0] == "ok":
            return reply[1]
        _, kind, message = reply
        raise _ERRORS.get(kind, RuntimeError)(message)

    def _crashed(self) -> ModelCrashed:
        proc = self._proc
        assert proc is not None
        try:
            code = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # closed its pipe but lives on: end it
            proc.kill()
            code = proc.wait()
        tail = b""
        if self._log is not None:
            self._log.seek(max(0, self._log.seek(0, os.SEEK_END) - 2000))
            tail = self._log.read()
        name = signal.Signals(-code).name if code < 0 else ""
        self._stop(kill=True)
        self._crash = ModelCrashed(crash_advice(name, None if code < 0 else code, self.label, tail.decode("utf-8", "replace")), name, code)
        return self._crash


_ERRORS: dict[str, type[Exception]] = {
    "load": ModelLoadError,
    "too_long": PromptTooLongError,
    "usage": UsageError,
    "model": ModelError,
}


def _write_frame(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(8, "little") + data)
    stream.flush()


def _read_exact(fd: int, n: int, until: float | None) -> bytes:
    chunks: list[bytes] = []
    while n:
        if until is not None:
            left = until - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _read_frame(fd: int, until: float | None) -> Any:
    size = int.from_bytes(_read_exact(fd, 8, until), "little")
    return pickle.loads(_read_exact(fd, size, until))


# -- one worker per model per run ------------------------------------------------------
_workers: dict[Path, ModelWorker] = {}
_registry_lock = threading.Lock()


def shared_worker(settings: WorkerSettings) -> ModelWorker:
    """The run's worker for this GGUF (the first caller's threads and GPU layers win)."""
    assert settings.model_path is not None
    key = settings.model_path.resolve()
    with _registry_lock:
        worker = _workers.get(key)
        if worker is None:
            worker = _workers[key] = ModelWorker(settings)
        return worker


def crashes() -> list[ModelCrashed]:
    """Every worker of this run that died (what the commands report on one line)."""
    with _registry_lock:
        return [w.crash for w in _workers.values() if w.crash is not None]


@atexit.register
def close_all() -> None:
    with _registry_lock:
        workers = list(_workers.values())
        _workers.clear()
    for worker in workers:
        worker.close()
