#!/usr/bin/env python
"""Prompt and decode tokens/s of each installed catalog model through llama.cpp, 1 and 2 threads.

Each (model, threads) case runs in a fresh subprocess (its own load, page cache aside);
rounds interleave the cases so load from other jobs on the machine hits all alike, and
the table shows medians. Rates are wall-clock: prompt = one llama.cpp batch of --prompt-tokens tokens of Python,
decode = --decode-tokens greedy tokens after it through llama-cpp-python's generate (EOS
suppressed so every case decodes the same count). Beside them: the share of its cores
the process really got (CPU time / wall time / threads) and the load average, because on
a shared 2-core machine other jobs take the rest, and 2 threads only pay on idle cores;
and tokens per CPU-second, which that load hardly changes (for 1 thread it is about the
rate on an idle core).

    python benchmarks/model_rates.py [--rounds 1] [--prompt-tokens 256] [--decode-tokens 32] [--models smollm2-135m,qwen2.5-coder-0.5b,qwen2.5-coder-1.5b]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROMPT_SOURCE = ROOT / "codeloop" / "core" / "fix" / "cheap_tier.py"  # realistic code, always there


def measure(model: str, threads: int, prompt_tokens: int, decode_tokens: int) -> dict[str, float]:
    """One case, in this process: load, warm up, then time a prompt batch and greedy decoding."""
    import llama_cpp

    from codeloop.models.store import resolve

    path = resolve(model, Path.cwd())
    llm = llama_cpp.Llama(model_path=str(path), n_ctx=prompt_tokens + decode_tokens + 64, n_batch=512,
                          n_threads=threads, n_threads_batch=threads, verbose=False)
    tokens = llm.tokenize(PROMPT_SOURCE.read_text().encode(), add_bos=False)[:prompt_tokens]
    llm.eval(tokens[:8])  # page the weights in and build the graphs before timing
    llm.reset()
    eos = llm.token_eos()

    def no_eos(_ids: Any, scores: Any) -> Any:
        scores[eos] = -1e9
        return scores

    wall, cpu = time.perf_counter(), time.process_time()
    llm.eval(tokens)
    prompt_wall, prompt_cpu = time.perf_counter() - wall, time.process_time() - cpu
    made, wall, cpu = 0, time.perf_counter(), time.process_time()
    # generate() keeps the evaluated prompt (longest common prefix) and re-runs only its last token
    for _ in llm.generate(tokens, top_k=1, temp=0.0, logits_processor=llama_cpp.LogitsProcessorList([no_eos])):
        made += 1
        if made >= decode_tokens:
            break
    decode_wall, decode_cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "prompt_tps": len(tokens) / prompt_wall, "decode_tps": made / decode_wall,
        # per CPU-second: what the work costs, whatever share of the cores other jobs left us
        "prompt_tpc": len(tokens) / prompt_cpu, "decode_tpc": made / decode_cpu,
        # the share of the requested cores the process actually got (others' jobs take the rest)
        "share": (prompt_cpu + decode_cpu) / ((prompt_wall + decode_wall) * threads),
        "load": os.getloadavg()[0],
    }

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="smollm2-135m,qwen2.5-coder-0.5b,qwen2.5-coder-1.5b")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--prompt-tokens", type=int, default=256)
    parser.add_argument("--decode-tokens", type=int, default=32)
    parser.add_argument("--case", help=argparse.SUPPRESS)  # model:threads, run in the child
    args = parser.parse_args()
    if args.case:
        model, threads = args.case.rsplit(":", 1)
        print(json.dumps(measure(model, int(threads), args.prompt_tokens, args.decode_tokens)))
        return
    from codeloop.models.catalog import lookup
    from codeloop.models.store import installed_path

    models = [m for m in args.models.split(",") if m]
    missing = [m for m in models if (found := lookup(m)) is None or installed_path(found) is None]
    if missing:
        sys.exit(f"not installed: {', '.join(missing)} (codeloop model pull NAME)")
    cases = [(m, int(t)) for m in models for t in args.threads.split(",")]
    results: dict[tuple[str, int], list[dict[str, float]]] = {case: [] for case in cases}
    for round_no in range(1, args.rounds + 1):
        for model, threads in cases:
            out = subprocess.run(
                [sys.executable, __file__, "--case", f"{model}:{threads}", "--prompt-tokens", str(args.prompt_tokens), "--decode-tokens", str(args.decode_tokens)],
                capture_output=True, text=True, check=True,
            )
            row = json.loads(out.stdout.strip().splitlines()[-1])
            results[(model, threads)].append(row)
            print(f"round {round_no}: {model} {threads}t prompt {row['prompt_tps']:.0f} tok/s, decode {row['decode_tps']:.1f} tok/s (core share {row['share']:.0%}, load {row['load']:.1f})", file=sys.stderr, flush=True)
    print(f"\nllama.cpp {__import__('llama_cpp').__version__}, {os.cpu_count()} cores; prompt {args.prompt_tokens} tokens, decode {args.decode_tokens} tokens; median of {args.rounds}")
    print(f"{'model':<20} {'threads':>7} {'prompt tok/s':>13} {'decode tok/s':>13} {'core share':>11} {'load avg':>9} {'prompt tok/CPU-s':>17} {'decode tok/CPU-s':>17}")
    for (model, threads), rows in results.items():
        med = {k: statistics.median(r[k] for r in rows) for k in ("prompt_tps", "decode_tps", "share", "load", "prompt_tpc", "decode_tpc")}
        print(
            f"{model:<20} {threads:>7} {med['prompt_tps']:>13.1f} {med['decode_tps']:>13.1f} {med['share']:>11.0%} {med['load']:>9.1f}"
            f" {med['prompt_tpc']:>17.1f} {med['decode_tpc']:>17.1f}"
        )


if __name__ == "__main__":
    main()
