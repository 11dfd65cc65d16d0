"""The ranked repo map: the definitions most relevant to a focus, fitted to a token budget.

Ranking is personalized PageRank (analysis.ranking) over the index's reference graph;
the walk restarts at the focus files and focus symbols, so what they use and what uses
them rises. A definition scores the rank that reaches its file through its name. The
map is filled greedily, best definition first, and printed grouped by file (files by
rank, definitions by line) with signature lines only, never bodies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import NamedTuple

from codeloop.analysis.index import Location, SymbolIndex

# Roughly one BPE token per word piece or punctuation mark; long identifiers split
# into several. benchmarks/repomap.py measures this against a real tokenizer.
_PIECE = re.compile(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]")
# Definitions considered before the greedy fill gives up (more never fit a budget).
_CANDIDATES = 4000


def count_tokens(text: str) -> int:
    return sum(1 + (len(piece) - 1) // 6 for piece in _PIECE.findall(text))


class MapFile(NamedTuple):
    path: str
    rank: float
    definitions: list[tuple[Location, list[str]]]  # with their signature lines


class RepoMap(NamedTuple):
    files: list[MapFile]
    tokens: int
    budget: int

    def render(self) -> str:
        out = []
        for f in self.files:
            out.append(f"{f.path}:")
            for loc, lines in f.definitions:
                out += [f"{loc.line + i:>5} {text}" for i, text in enumerate(lines)]
        return "\n".join(out) + ("\n" if out else "")

    def to_dict(self) -> dict[str, object]:
        return {
            "tokens": self.tokens,
            "budget": self.budget,
            "files": [
                {
                    "path": f.path,
                    "rank": f.rank,
                    "definitions": [
                        {"name": loc.name, "qualname": loc.qualname, "kind": loc.kind, "line": loc.line, "signature": "\n".join(lines)}
                        for loc, lines in f.definitions
                    ],
                }
                for f in self.files
            ],
        }


    def to_cache(self) -> str:
        files = [[f.path, f.rank, [[list(loc), lines] for loc, lines in f.definitions]] for f in self.files]
        return json.dumps([files, self.tokens, self.budget])

    @classmethod
    def from_cache(cls, text: str) -> RepoMap:
        files, tokens, budget = json.loads(text)
        return cls([MapFile(p, r, [(Location(*loc), lines) for loc, lines in defs]) for p, r, defs in files], tokens, budget)


def cached_map(
    index: SymbolIndex,
    read_lines: Callable[[str], list[str]],
    budget: int = 1024,
    focus_paths: list[str] | None = None,
    focus_names: list[str] | None = None,
    under: str = "",
) -> RepoMap:
    """``build_map``, answered from the index's cache when nothing changed since the
    same question was asked (the index generation is part of the key)."""
    key = json.dumps(["map", budget, sorted(focus_paths or []), sorted(focus_names or []), under])
    hit = index.cached(key)
    if hit is not None:
        return RepoMap.from_cache(hit)
    repo_map = build_map(index, read_lines, budget, focus_paths, focus_names, under)
    index.remember(key, repo_map.to_cache())
    return repo_map


def rank_definitions(index: SymbolIndex, focus_paths: list[str], focus_names: list[str]) -> tuple[list[str], list[float], list[tuple[int, int, float]]]:
    """(paths, file ranks, [(def rowid, file index, score)] best first)."""
    import numpy as np

    from codeloop.analysis import ranking  # numpy: not needed when the map comes from the cache

    rows = index.graph_rows()
    scale = np.where(rows.ref_private, 0.1, 1.0)
    graph = ranking.build_graph(len(rows.paths), rows.ref_file, rows.ref_name, rows.ref_count, scale, rows.def_file, rows.def_name)
    personal = np.zeros(graph.n_nodes)
    wanted = set(focus_paths)
    for i, path in enumerate(rows.paths):
        if path in wanted:
            personal[i] = 1.0
    focus_ids = np.array(list(index.name_ids(focus_names).values()), dtype=np.int64)
    for name_id in focus_ids.tolist():
        if graph.has_name(name_id):
            personal[graph.name_nodes(name_id)] = 1.0
    # The walk only follows uses toward definitions; the users of a focus symbol (its
    # callers, its tests) matter too, so the walk also restarts at them, at half weight.
    users = rows.ref_file[np.isin(rows.ref_name, focus_ids)]
    if len(users):
        np.add.at(personal, users, 0.5 / len(users) * len(focus_ids))
    rank = ranking.pagerank(graph, personal)
    file_rank = rank[: graph.n_files]
    nodes = graph.name_nodes(rows.def_name)
    score = rank[nodes] / graph.definers[nodes - graph.n_files] + 1e-6 * file_rank[rows.def_file]
    best = np.argsort(-score, kind="stable")[:_CANDIDATES]
    picked = [(int(rows.def_rowid[i]), int(rows.def_file[i]), float(score[i])) for i in best]
    return rows.paths, file_rank.tolist(), picked


def build_map(
    index: SymbolIndex,
    read_lines: Callable[[str], list[str]],
    budget: int = 1024,
    focus_paths: list[str] | None = None,
    focus_names: list[str] | None = None,
    under: str = "",
) -> RepoMap:
    """``read_lines(path)`` gives a file's lines (the caller reads the disk); ``under``
    limits the listing (not the ranking) to one folder."""
    paths, file_rank, picked = rank_definitions(index, focus_paths or [], focus_names or [])
    picked = [p for p in picked if paths[p[1]].startswith(under)]
    chosen: dict[int, list[tuple[Location, list[str]]]] = {}
    used, misses = 0, 0
    for start in range(0, len(picked), 200):  # fetch details a chunk at a time: most never show
        chunk = picked[start : start + 200]
        locations = index.locations([p[0] for p in chunk])
        for rowid, file_index, _score in chunk:
            loc = locations[rowid]
            lines = _signature(read_lines(loc.path), loc)
            cost = count_tokens("\n".join(lines)) + 2 + (0 if file_index in chosen else count_tokens(loc.path) + 2)
            if used + cost <= budget:
                chosen.setdefault(file_index, []).append((loc, lines))
                used += cost
                continue
            misses += 1
            if misses > 50 or budget - used < 8:
                break
        else:
            continue
        break
    files = [
        MapFile(paths[i], file_rank[i], sorted(defs, key=lambda d: d[0].line))
        for i, defs in sorted(chosen.items(), key=lambda item: -file_rank[item[0]])
    ]
    return RepoMap(files, used, budget)


def _signature(lines: list[str], loc: Location) -> list[str]:
    # Minified files have megabyte lines: a map shows the start of a header, no more.
    header = [text.rstrip()[:160] for text in lines[loc.line - 1 : max(loc.sig_end, loc.line)]]
    # Comments between a header and its body belong to neither: stop at the header's end.
    for i, text in enumerate(header):
        if text.endswith((":", "{")):
            return header[: i + 1]
    return header or [f"{loc.kind} {loc.name}"]
