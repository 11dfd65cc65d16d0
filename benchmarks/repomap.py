#!/usr/bin/env python
"""`codeloop map` on Django 5.1.4 (the PyPI sdist, pinned) against the parse floor and aider.

Measured side by side in one run, each case in a fresh subprocess so imports, caches
and peak memory are its own:

- floor: read and parse every indexable file once with py-tree-sitter, one process,
  nothing else;
- cold: no index; sync (parse in a process pool) + rank + render a 1024-token map;
- warm: nothing changed, same question (the map comes from the index's cache);
  warm, new focus: nothing changed, a focus not asked before (ranking runs);
  one edited: a function appended to one file; one touched: mtime changed, same
  bytes (a hash, no parse);
- cli warm: ``python -m codeloop map`` end to end (interpreter start and imports in);
- aider: its RepoMap.get_repo_map() driven directly (no model), in its own venv,
  cold (no tags cache) and warm, on the same file list.

Rounds interleave the cases (noise from other processes hits all alike); the table
shows medians. Also: our PageRank vs networkx.pagerank on the same graph, and our
token estimate vs SmolLM2's tokenizer on the map text.

    python benchmarks/repomap.py [--rounds 3] [--aider-python /work/aider-venv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".cache"
DJANGO = "django==5.1.4"
TREE = CACHE / "Django-5.1.4"
PROBE_FILE = "django/db/models/query.py"
GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x"}


def prepare_tree() -> Path:
    """Download and unpack the sdist once, as a git repo (the index needs git's file list)."""
    if (TREE / ".git").is_dir():
        return TREE
    CACHE.mkdir(exist_ok=True)
    archive = CACHE / "Django-5.1.4.tar.gz"
    if not archive.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps", DJANGO, "-d", str(CACHE)], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE, filter="data")  # "data": no owners from the archive (git refuses foreign-owned trees)
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "django 5.1.4"]):
        subprocess.run(["git", *args], cwd=TREE, check=True, env=env, capture_output=True)
    with open(TREE / ".git" / "info" / "exclude", "a") as handle:
        handle.write(".aider*\n")  # aider's tags cache must not change git's view of the tree
    return TREE


def indexable_files(root: Path) -> list[str]:
    from codeloop.plugins import language_for_path
    from codeloop.workspace.git import visible_files

    return [f for f in visible_files(root) if language_for_path(f) is not None]


# -- children: one measurement each, printed as JSON ---------------------------------


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_mb(cpu_start: float) -> dict[str, float]:
    """Peak RSS of this process and of its largest worker, and CPU seconds of both since
    ``cpu_start`` (on a shared machine CPU time says what wall time cannot: the work done)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_rss_mb": own, "peak_child_rss_mb": children, "cpu": _cpu() - cpu_start}


def child_floor(root: Path) -> dict[str, object]:
    import tree_sitter

    from codeloop.plugins import language_for_path

    files = indexable_files(root)
    parsers: dict[str, tree_sitter.Parser] = {}
    cpu_start = _cpu()
    start = time.perf_counter()
    for rel in files:
        language = language_for_path(rel)
        assert language is not None
        if language.name not in parsers:
            parsers[language.name] = tree_sitter.Parser(tree_sitter.Language(language.grammar()))
        parsers[language.name].parse((root / rel).read_bytes())
    return {"seconds": time.perf_counter() - start, "files": len(files), **_peak_mb(cpu_start)}


def child_codeloop(root: Path, tokens: int, focus: list[str]) -> dict[str, object]:
    from codeloop.analysis.repomap import cached_map
    from codeloop.workspace.symbols import line_reader, open_index

    cpu_start = _cpu()
    start = time.perf_counter()
    index, stats = open_index(root)
    synced = time.perf_counter() - start
    repo_map = cached_map(index, line_reader(root), tokens, focus)
    seconds = time.perf_counter() - start
    index.close()
    return {"seconds": seconds, "sync_seconds": synced, "parsed": stats.parsed, "files": stats.files, "map_tokens": repo_map.tokens, "map": repo_map.render(), **_peak_mb(cpu_start)}


# -- the parent: rounds of cases ----------------------------------------------------


def run_child(mode: str, root: Path, tokens: int, focus: str | None = None) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, __file__, "--child", mode, "--root", str(root), "--tokens", str(tokens)]
    cmd += ["--focus", focus] if focus else []
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    result = json.loads(out)
    result["wall"] = time.perf_counter() - start
    return result


def run_cli_warm(root: Path, tokens: int) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "codeloop", "map", str(root), "--tokens", str(tokens)], env=env, capture_output=True, check=True)
    return {"seconds": time.perf_counter() - start}


def run_aider(python: str, root: Path, tokens: int, file_list: Path, cold: bool) -> dict[str, object]:
    if cold:
        shutil.rmtree(root / ".aider.tags.cache.v4", ignore_errors=True)
    cmd = [python, str(Path(__file__).with_name("aider_repomap_driver.py")), str(root), str(file_list), str(tokens)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=root)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - start
    return result


def drop_index(root: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        (root / ".codeloop" / f"index.sqlite{suffix}").unlink(missing_ok=True)


# A different focus each round, so "warm, new focus" never finds its answer cached.
FOCUS_FILES = ["django/http/request.py", "django/forms/forms.py", "django/urls/resolvers.py", "django/core/mail/message.py", "django/views/generic/base.py"]


def one_round(root: Path, tokens: int, original: bytes, number: int) -> dict[str, dict[str, object]]:
    probe = root / PROBE_FILE
    out = {"floor": run_child("floor", root, tokens)}
    drop_index(root)
    out["cold"] = run_child("codeloop", root, tokens)
    out["warm"] = run_child("codeloop", root, tokens)
    out["warm, new focus"] = run_child("codeloop", root, tokens, FOCUS_FILES[number % len(FOCUS_FILES)])
    out["cli warm"] = run_cli_warm(root, tokens)
    probe.write_bytes(original + b"\n\ndef _codeloop_bench_probe(queryset):\n    return queryset.filter(pk=1)\n")
    out["one edited"] = run_child("codeloop", root, tokens)
    probe.write_bytes(original)
    run_child("codeloop", root, tokens)  # back in step, not measured
    os.utime(probe, ns=(time.time_ns(), time.time_ns()))
    out["one touched"] = run_child("codeloop", root, tokens)
    return out


def compare_pagerank(root: Path) -> dict[str, float]:
    """Our numpy power iteration vs networkx.pagerank on the same graph and restart vector."""
    import networkx as nx
    import numpy as np

    from codeloop.analysis import ranking
    from codeloop.workspace.symbols import open_index

    index, _ = open_index(root)
    rows = index.graph_rows()
    index.close()
    start = time.perf_counter()
    graph = ranking.build_graph(len(rows.paths), rows.ref_file, rows.ref_name, rows.ref_count, np.where(rows.ref_private, 0.1, 1.0), rows.def_file, rows.def_name)
    built = time.perf_counter() - start
    start = time.perf_counter()
    ours = ranking.pagerank(graph)
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    g = nx.DiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    g.add_weighted_edges_from(zip(graph.src.tolist(), graph.dst.tolist(), graph.weight.tolist()))
    nx_build = time.perf_counter() - start
    personal = {i: 1.0 for i in range(graph.n_files)}
    start = time.perf_counter()
    theirs = nx.pagerank(g, alpha=ranking.DAMPING, personalization=personal, dangling=personal, tol=1e-10, max_iter=500)
    nx_s = time.perf_counter() - start
    theirs_arr = np.array([theirs[i] for i in range(graph.n_nodes)])
    top_ours = set(np.argsort(-ours)[:50].tolist())
    top_theirs = set(np.argsort(-theirs_arr)[:50].tolist())
    return {
        "nodes": graph.n_nodes, "edges": len(graph.src), "build_s": built, "ours_s": ours_s,
        "nx_build_s": nx_build, "nx_pagerank_s": nx_s, "max_abs_diff": float(np.abs(ours - theirs_arr).max()),
        "top50_overlap": len(top_ours & top_theirs) / 50,
    }


def compare_tokens(text: str) -> dict[str, float] | None:
    """Our estimate vs the embedded model's real tokenizer (vocab only: no weights run)."""
    try:
        from llama_cpp import Llama

        from codeloop.analysis.repomap import count_tokens
        from codeloop.models.llamacpp import default_model_path
    except ImportError:
        return None
    llm = Llama(model_path=str(default_model_path()), vocab_only=True, verbose=False)
    real = len(llm.tokenize(text.encode(), add_bos=False))
    return {"estimate": count_tokens(text), "smollm2": real}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=1024)
    parser.add_argument("--aider-python", default="/work/aider-venv/bin/python")
    parser.add_argument("--child", choices=["floor", "codeloop"])
    parser.add_argument("--root", type=Path)
    parser.add_argument("--focus", action="append", default=[])
    args = parser.parse_args()
    if args.child:
        result = child_floor(args.root) if args.child == "floor" else child_codeloop(args.root, args.tokens, args.focus)
        print(json.dumps(result))
        return
    sys.path.insert(0, str(ROOT))
    report(args)


def report(args: argparse.Namespace) -> None:
    from codeloop.analysis.index_parse import available_cpus

    root = prepare_tree()
    files = indexable_files(root)
    file_list = CACHE / "django-files.txt"
    file_list.write_text("\n".join(files) + "\n")
    original = (root / PROBE_FILE).read_bytes()
    print(f"Django 5.1.4 sdist: {len(files)} indexable files; {available_cpus()} CPUs; load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    rounds = []
    aider: dict[str, list[dict[str, object]]] = {"aider cold": [], "aider warm": []}
    aider_error = None
    for i in range(args.rounds):
        rounds.append(one_round(root, args.tokens, original, i))
        if aider_error is None and Path(args.aider_python).exists():
            try:
                aider["aider cold"].append(run_aider(args.aider_python, root, args.tokens, file_list, cold=True))
                aider["aider warm"].append(run_aider(args.aider_python, root, args.tokens, file_list, cold=False))
            except (RuntimeError, json.JSONDecodeError) as exc:
                aider_error = str(exc)
        print(f"round {i + 1}/{args.rounds} done", file=sys.stderr)
    if not Path(args.aider_python).exists():
        aider_error = f"no interpreter at {args.aider_python} (pip install aider-chat into a separate venv)"
    print_table(rounds, aider, aider_error)
    pr = compare_pagerank(root)
    print(f"\nPageRank on {pr['nodes']} nodes / {pr['edges']} edges: graph build {pr['build_s'] * 1000:.0f} ms, "
          f"ours {pr['ours_s'] * 1000:.1f} ms; networkx graph build {pr['nx_build_s'] * 1000:.0f} ms + pagerank {pr['nx_pagerank_s'] * 1000:.0f} ms; "
          f"max |diff| {pr['max_abs_diff']:.1e}, top-50 overlap {pr['top50_overlap']:.0%}")
    tokens = compare_tokens(str(rounds[-1]["warm"]["map"]))
    if tokens:
        print(f"token estimate {tokens['estimate']} vs SmolLM2 tokenizer {tokens['smollm2']} on the map ({tokens['estimate'] / tokens['smollm2']:.2f}x)")


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_table(rounds: list[dict[str, dict[str, object]]], aider: dict[str, list[dict[str, object]]], aider_error: str | None) -> None:
    cases = list(rounds[0])
    med = {c: _median([float(r[c]["seconds"]) for r in rounds]) for c in cases}
    floor = med["floor"]
    cpu = {c: _median([float(r[c]["cpu"]) for r in rounds]) if "cpu" in rounds[0][c] else float("nan") for c in cases}
    print(f"\n{'case':<16} {'median s':>9} {'x floor':>8} {'cpu s':>7} {'x floor':>8} {'parsed':>7} {'peak MB':>8} {'runs (s)':>30}")
    for case in cases:
        runs = ", ".join(f"{float(r[case]['seconds']):.3f}" for r in rounds)
        parsed = rounds[-1][case].get("parsed", "")
        peak = rounds[-1][case].get("peak_rss_mb")
        peak_s = f"{float(peak):.0f}+{float(rounds[-1][case]['peak_child_rss_mb']):.0f}" if peak is not None else ""
        print(f"{case:<16} {med[case]:>9.3f} {med[case] / floor:>8.2f} {cpu[case]:>7.2f} {cpu[case] / cpu['floor']:>8.2f} {parsed!s:>7} {peak_s:>8} {runs:>30}")
    for case, results in aider.items():
        if results:
            m = _median([float(r["seconds"]) for r in results])
            # aider's warm run recomputes its ranking from its tags cache: like our new-focus case
            ours = med["cold" if "cold" in case else "warm, new focus"]
            runs = ", ".join(f"{float(r['seconds']):.3f}" for r in results)
            print(f"{case:<16} {m:>9.3f} {m / floor:>8.2f} {'':>7} {'':>8} {'':>7} {float(results[-1]['peak_rss_mb']):>8.0f} {runs:>30}   aider/ours {m / ours:.1f}x")
    if aider_error:
        print(f"aider: not measured: {aider_error}")
    print("targets: cold <= 1.3x floor, warm <= 0.3 s, one edited <= 0.5 s (peak MB: main+largest worker; cpu s: main+workers)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
