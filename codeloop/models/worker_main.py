"""The model worker process (``python -m codeloop.models.worker_main``): llama.cpp lives here.

Reads ``(op, payload, seconds_left)`` frames on stdin, answers ``("ok", value)`` or
``("error", kind, message)`` on the original stdout, one request at a time. File
descriptor 1 is pointed at stderr first, so nothing llama.cpp prints can corrupt a frame.
EOF on stdin (the parent exited or closed it) ends the worker. (No PR_SET_PDEATHSIG:
it fires when the *thread* that started the worker ends, which a thread pool does.)

Test-only fault injection: ``CODELOOP_FAULT_MODEL_WORKER=SIGILL`` makes the worker kill
itself with that signal on its first model call (generation or scoring);
``SIGILL@load`` does it while loading the model. It exists so the tests can crash the
worker for real, the way a CPU without AVX does; never set it otherwise.
"""

from __future__ import annotations

import os
import pickle
import resource
import signal
import sys
from typing import IO, Any

from codeloop.errors import UsageError
from codeloop.models.base import ModelLoadError, PromptTooLongError

FAULT_ENV = "CODELOOP_FAULT_MODEL_WORKER"


class _Fault:
    def __init__(self, spec: str) -> None:
        name, _, when = spec.partition("@")
        self.signal = getattr(signal, name.strip().upper(), None) if name.strip() else None
        self.ops = {"load"} if when.strip() == "load" else {"complete", "score"}

    def maybe_fire(self, op: str) -> None:
        if self.signal is not None and op in self.ops:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file in the user's folder
            if self.signal not in (signal.SIGKILL, signal.SIGSTOP):  # those have no handler to reset
                signal.signal(self.signal, signal.SIG_DFL)
            os.kill(os.getpid(), self.signal)


def _read(stream: IO[bytes]) -> Any:
    head = stream.read(8)
    if len(head) < 8:
        return None
    return pickle.loads(stream.read(int.from_bytes(head, "little")))


def _write(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(8, "little") + data)
    stream.flush()


def _kind(exc: Exception) -> str:
    if isinstance(exc, ModelLoadError):
        return "load"
    if isinstance(exc, PromptTooLongError):
        return "too_long"
    if isinstance(exc, UsageError):
        return "usage"
    return "model"


def serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    from codeloop.models.llama_engine import LlamaEngine, build_info

    fault = _Fault(os.environ.get(FAULT_ENV, ""))
    engine: LlamaEngine | None = None
    while (request := _read(requests)) is not None:
        op, payload, seconds_left = request
        fault.maybe_fire(op)
        try:
            if op == "build":
                value: Any = build_info()
            elif op == "load":
                engine = LlamaEngine(payload["model_path"], payload["n_threads"], payload["n_gpu_layers"])
                value = engine.info()
            elif engine is None:
                raise RuntimeError(f"{op!r} before a model was loaded")
            elif op == "complete":
                value = engine.complete(payload, seconds_left)
            elif op == "prefill":
                value = engine.prefill(payload[0], payload[1])
            elif op == "score":
                value = engine.log_likelihood(payload)
            elif op == "count_tokens":
                value = engine.count_tokens(payload)
            else:
                raise RuntimeError(f"unknown request {op!r}")
            reply: tuple[Any, ...] = ("ok", value)
        except Exception as exc:  # reported to the parent, which raises it there
            reply = ("error", _kind(exc), f"{exc}" or type(exc).__name__)
        _write(replies, reply)


def main() -> None:
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and ends us
    serve(sys.stdin.buffer, replies)


if __name__ == "__main__":
    main()
