#!/usr/bin/env python
"""Sampling throughput of the openai backend for the same K candidates: one local
``llama_cpp.server`` vs a pool of two (same model, same settings), side by side in one run.

Two servers are started on 127.0.0.1 (the embedded GGUF unless --model, ``--threads``
threads each). Each round draws the same K samples (same prompt, same seeds, so the
same texts) through ``OpenAIBackend(base_url=URL1)`` and through
``OpenAIBackend(base_url="URL1,URL2")``; rounds alternate the order of the two cases so
load from other jobs hits both alike. Printed: medians of wall seconds and completion
tokens/s per case, the ratio, the CPU count and the load average before and after
(on a shared machine the second server only pays when a core is free).

    nice -n 10 python benchmarks/server_pool.py [--samples 8] [--max-tokens 32] [--rounds 2] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from codeloop.models.base import CompletionRequest, Message
from codeloop.models.openai_compat import OpenAIBackend

PROMPT = (Message("user", "Write a Python function that returns the n-th Fibonacci number, with a docstring."),)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(model: Path, threads: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
         "--n_ctx", "1024", "--n_threads", str(threads), "--n_threads_batch", str(threads)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return proc, f"http://127.0.0.1:{port}/v1"


def wait_up(url: str, seconds: float = 300.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not come up within {seconds:.0f} s")


def draw(backend: OpenAIBackend, k: int, max_tokens: int) -> tuple[float, int, list[str]]:
    request = CompletionRequest(PROMPT, n=k, max_tokens=max_tokens, temperature=0.8, seed=1234)
    started = time.perf_counter()
    completion = backend.complete(request)
    return time.perf_counter() - started, completion.completion_tokens, completion.texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=8, help="K: candidates per draw")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="llama.cpp threads per server")
    parser.add_argument("--model", type=Path, default=None, help="a GGUF (default: the embedded SmolLM2-135M)")
    args = parser.parse_args()
    from codeloop.models.llamacpp import default_model_path

    model = args.model or default_model_path()
    load_before = os.getloadavg()
    servers = [start_server(model, args.threads) for _ in range(2)]
    try:
        for _, url in servers:
            wait_up(url)
        urls = [url for _, url in servers]
        cases = {"1 server": OpenAIBackend(base_url=urls[0], timeout=600), "2 servers": OpenAIBackend(base_url=",".join(urls), timeout=600)}
        for backend in cases.values():
            draw(backend, 1, 4)  # warm up: health checks, weights paged in, graphs built
        seconds: dict[str, list[float]] = {name: [] for name in cases}
        tokens: dict[str, list[int]] = {name: [] for name in cases}
        same_texts = True
        for r in range(args.rounds):
            order = list(cases) if r % 2 == 0 else list(reversed(cases))
            texts: dict[str, list[str]] = {}
            for name in order:
                wall, made, texts[name] = draw(cases[name], args.samples, args.max_tokens)
                seconds[name].append(wall)
                tokens[name].append(made)
                print(f"round {r + 1}: {name:<9} {wall:7.1f} s  {made:5d} tokens  {made / wall:6.1f} tokens/s", flush=True)
            same_texts = same_texts and texts["1 server"] == texts["2 servers"]
        served = cases["2 servers"].servers()
    finally:
        for proc, _ in servers:
            proc.terminate()
        for proc, _ in servers:
            proc.wait(timeout=30)
    load_after = os.getloadavg()
    rate = {name: statistics.median(t / s for t, s in zip(tokens[name], seconds[name])) for name in cases}
    print()
    print(f"model {model.name}, K={args.samples} samples x max {args.max_tokens} tokens, {args.threads} thread(s) per server, "
          f"{args.rounds} round(s), medians")
    print(f"{'case':<10}{'wall s':>9}{'tokens/s':>10}")
    for name in cases:
        print(f"{name:<10}{statistics.median(seconds[name]):>9.1f}{rate[name]:>10.1f}")
    print(f"throughput ratio, 2 servers / 1 server: {rate['2 servers'] / rate['1 server']:.2f}x")
    print(f"the same texts from both cases: {same_texts}; answered per server in the pool: {[s['answered'] for s in served]}")
    print(f"machine: {os.cpu_count()} CPUs; load average (1/5/15 min) before {load_before[0]:.1f}/{load_before[1]:.1f}/{load_before[2]:.1f}, "
          f"after {load_after[0]:.1f}/{load_after[1]:.1f}/{load_after[2]:.1f}")


if __name__ == "__main__":
    main()
