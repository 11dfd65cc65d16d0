"""What ``codeloop doctor`` learns about llama.cpp and the models, each in a worker process
(a build that crashes this CPU is reported, not suffered)."""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from codeloop.errors import UsageError
from codeloop.models.base import CompletionRequest, DeadlinePassed, Message, ModelError
from codeloop.models.worker import PORTABLE_REBUILD, ModelWorker, WorkerSettings

# llama_print_system_info's names -> /proc/cpuinfo's flags (x86). A build compiled for a
# feature the CPU lacks dies with SIGILL on its first matrix product.
_CPU_FLAGS = {
    "SSE3": "pni", "SSSE3": "ssse3", "AVX": "avx", "AVX2": "avx2", "F16C": "f16c", "FMA": "fma",
    "BMI2": "bmi2", "AVX_VNNI": "avx_vnni", "AVX512": "avx512f", "AVX512_VBMI": "avx512vbmi",
    "AVX512_VNNI": "avx512_vnni", "AVX512_BF16": "avx512_bf16", "AMX_INT8": "amx_int8",
}
_BENCH_PROMPT = "Write a Python function that returns the n-th Fibonacci number, with a docstring and a doctest. " * 3
_BENCH_TOKENS = 32


@dataclass
class ModelCheck:
    label: str  # "embedded" or the --model path as given
    path: str
    loads: bool = False
    error: str = ""
    context_limit: int = 0
    n_gpu_layers: int = 0  # what codeloop passed to llama.cpp (-1: all)
    prompt_tokens_per_second: float = 0.0
    decode_tokens_per_second: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_info() -> tuple[dict[str, Any], str]:
    """The llama.cpp build (version, CPU features, GPU offload), and an error if it crashed."""
    worker = ModelWorker(WorkerSettings(None))
    try:
        return dict(worker.call("build", deadline=time.monotonic() + 60)), ""
    except (ModelError, DeadlinePassed, RuntimeError) as exc:
        return {}, str(exc)
    finally:
        worker.close()


def built_features(system_info: str) -> set[str]:
    """The CPU features a build reports as compiled in ("AVX2 = 1")."""
    return {name for name, on in re.findall(r"\b([A-Z0-9_]+) = (\d)", system_info) if on == "1"}


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str] | None:
    """This CPU's feature flags (Linux), None where they cannot be read."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return None
    match = re.search(r"^flags\s*:(.*)$", text, re.MULTILINE)
    return set(match.group(1).split()) if match else None


def missing_cpu_features(system_info: str, flags: set[str] | None) -> list[str]:
    """Features the build uses that this CPU does not report (each one is a SIGILL)."""
    if flags is None:
        return []
    return sorted(name for name in built_features(system_info) if name in _CPU_FLAGS and _CPU_FLAGS[name] not in flags)


def rebuild_advice(missing: list[str]) -> str:
    return f"llama.cpp was built for CPU features this machine lacks ({', '.join(missing)}): it will crash with SIGILL; rebuild it portably: {PORTABLE_REBUILD}"


def check_model(label: str, path: Path, n_threads: int, gpu_layers: int | None, seconds: float = 120.0) -> ModelCheck:
    """Load ``path`` in a fresh worker; measure prompt and decode speed on a short request."""
    check = ModelCheck(label, str(path))
    worker = ModelWorker(WorkerSettings(path, n_threads, gpu_layers))
    deadline = time.monotonic() + seconds
    try:
        check.info = worker.start(deadline)
        check.loads = True
        check.context_limit = int(check.info.get("context_limit", 0))
        check.n_gpu_layers = int(check.info.get("n_gpu_layers", 0))
        request = CompletionRequest((Message("user", _BENCH_PROMPT),), max_tokens=_BENCH_TOKENS, temperature=0.0, deadline=deadline)
        done = worker.call("complete", request, deadline)
        if done.prompt_seconds > 0:
            check.prompt_tokens_per_second = done.prompt_tokens_evaluated / done.prompt_seconds
        check.decode_tokens_per_second = done.decode_tokens_per_second
    except (ModelError, DeadlinePassed, RuntimeError, UsageError) as exc:
        check.error = str(exc)
    finally:
        worker.close()
    return check
