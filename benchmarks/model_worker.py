"""Patch-ranking scores: a second model with logits_all (before) vs a scoring context on the
generation model's weights in the worker (after). Peak RSS and first-score latency.

    python benchmarks/model_worker.py [--model PATH.gguf] [--variants 20]

Each side runs in a fresh process that first loads the model for generation (as a fix
run has by the time ranking starts), then scores a function and ``--variants`` one-line
edits of it. "first score" is from that point to the first score returned (it includes
loading the second model, or opening the scoring context); "per variant" is the mean
over the edits (KV prefix reuse); both in wall and in CPU seconds (one thread: CPU time
is the work, wall time also counts what other jobs on a shared machine take). Peak RSS
is the process's ru_maxrss. Default model:
the Qwen2.5-Coder-0.5B GGUF if one is cached under ~/.cache/codeloop, else the embedded
SmolLM2-135M.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

FUNCTION = '''def mad(numbers):
    """Mean absolute deviation of numbers around their mean."""
    if not numbers:
        raise ValueError("no numbers")
    mean = sum(numbers) / len(numbers)
    total = 0.0
    for x in numbers:
        total += abs(x - mean)
    return total / mean
'''


def variants(n: int) -> list[str]:
    edits = [("/ mean\n", "/ len(numbers)\n"), ("/ mean\n", "// mean\n"), ("abs(x - mean)", "abs(x + mean)"),
             ("+= abs", "-= abs"), ("0.0", "1.0"), ("not numbers", "numbers"), ("sum(numbers)", "max(numbers)")]
    found = []
    for i in range(n):
        old, new = edits[i % len(edits)]
        found.append(FUNCTION.replace(old, new) + "#" * (i // len(edits)))
    return found


def default_model() -> Path:
    for cache in (Path.home() / ".cache" / "codeloop", Path("/root/.cache/codeloop")):
        found = sorted(p for p in cache.rglob("*.gguf") if "0.5b" in p.name.lower()) if cache.is_dir() else []
        if found:
            return found[0]
    from codeloop.models.llamacpp import default_model_path

    return default_model_path()


def before(model: str, texts: list[str]) -> dict[str, object]:
    """What ranking did until now (the old models/scoring.py, verbatim): the GGUF loaded
    a second time with logits_all, new rows only, a log-prob cache for the shared prefix."""
    import llama_cpp
    import numpy as np

    gen = llama_cpp.Llama(model_path=model, n_ctx=2048, n_threads=1, verbose=False)
    gen.create_completion("def add(a, b):", max_tokens=4)
    started, started_cpu = time.perf_counter(), time.process_time()
    llm = llama_cpp.Llama(model_path=model, n_ctx=1024, n_threads=1, logits_all=True, verbose=False)
    cached: list[float] = []
    scores = []
    times: list[float] = []
    cpu: list[float] = []
    for text in texts:
        t, t_cpu = time.perf_counter(), time.process_time()
        head = llm.tokenize(b"```python\n", add_bos=True, special=False)
        body = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)[-(1024 - len(head) - 1) :]
        tokens = head + body
        reused = 0
        for old, new in zip(llm.input_ids[: llm.n_tokens].tolist(), tokens):
            if old != new:
                break
            reused += 1
        reused = min(reused, len(tokens) - 1)
        llm.n_tokens = reused
        llm.eval(tokens[reused:])
        first = max(reused, 1)
        logits = np.asarray(llm.scores[first - 1 : len(tokens) - 1], dtype=np.float64)
        top = logits.max(axis=1, keepdims=True)
        log_norm = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
        picked = logits[np.arange(len(logits)), np.asarray(tokens[first:])]
        cached = (cached or [0.0])[:first] + (picked - log_norm).tolist()
        scores.append(float(sum(cached[len(head) :])))
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - t_cpu)
        if len(scores) == 1:
            first_s, first_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    del gen
    return _timings(first_s, first_cpu, times, cpu, scores)


def after(model: str, texts: list[str]) -> dict[str, object]:
    """Now: a small scoring context on the weights generation already loaded."""
    from codeloop.models.base import CompletionRequest, Message
    from codeloop.models.llama_engine import LlamaEngine

    engine = LlamaEngine(model, 1, None)
    engine.complete(CompletionRequest((Message("user", "def add(a, b):"),), max_tokens=4), None)
    started, started_cpu = time.perf_counter(), time.process_time()
    scores = []
    times: list[float] = []
    cpu: list[float] = []
    for text in texts:
        t, t_cpu = time.perf_counter(), time.process_time()
        scores.append(engine.log_likelihood(text))
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - t_cpu)
        if len(scores) == 1:
            first_s, first_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    return _timings(first_s, first_cpu, times, cpu, scores)


def _timings(first_s: float, first_cpu: float, times: list[float], cpu: list[float], scores: list[float]) -> dict[str, object]:
    rest = max(1, len(times) - 1)
    return {"first_score_s": first_s, "first_score_cpu_s": first_cpu, "per_variant_s": sum(times[1:]) / rest,
            "per_variant_cpu_s": sum(cpu[1:]) / rest, "scores": scores}


def inner(side: str, model: str, n: int) -> None:
    texts = [FUNCTION, *variants(n)]
    result = (before if side == "before" else after)(model, texts)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--variants", type=int, default=20)
    parser.add_argument("--inner", choices=["before", "after"], default=None)
    args = parser.parse_args()
    model = str(args.model or default_model())
    if args.inner:
        inner(args.inner, model, args.variants)
        return
    rows = {}
    for side in ("before", "after"):
        out = subprocess.run([sys.executable, __file__, "--inner", side, "--model", model, "--variants", str(args.variants)],
                             capture_output=True, text=True, check=True)
        rows[side] = json.loads(out.stdout.strip().splitlines()[-1])
    b, a = rows["before"], rows["after"]
    drift = max(abs(x - y) for x, y in zip(b["scores"], a["scores"]))  # type: ignore[arg-type]
    print(f"model: {Path(model).name}, {args.variants} variants after the first text, 1 thread")
    print(f"{'':28}{'before (2nd model, logits_all)':>26}{'after (scoring ctx in worker)':>32}")
    print(f"{'peak RSS':28}{b['peak_rss_mb']:>23.0f} MB{a['peak_rss_mb']:>29.0f} MB")
    for key, label in (("first_score", "first score"), ("per_variant", "per variant (KV reuse)")):
        print(f"{label + ', wall':28}{b[key + '_s']:>24.3f} s{a[key + '_s']:>30.3f} s")
        print(f"{label + ', CPU':28}{b[key + '_cpu_s']:>24.3f} s{a[key + '_cpu_s']:>30.3f} s")
    print(f"largest score difference between the two: {drift:.4f} nats")


if __name__ == "__main__":
    main()
