"""Drive aider's RepoMap directly (no model call), for benchmarks/repomap.py.

Runs under aider's own interpreter (a separate venv: aider-chat pins many packages),
so it imports nothing from codeloop. Prints one JSON object: seconds inside
get_repo_map, the map's size, and peak RSS.

    /work/aider-venv/bin/python benchmarks/aider_repomap_driver.py ROOT FILELIST TOKENS
"""

from __future__ import annotations

import json
import resource
import sys
import time


class CharCounter:
    """aider asks its chat model for token counts; with no model (and no network for
    tiktoken's files) a chars/4 estimate stands in. RepoMap samples long texts anyway."""

    def token_count(self, text: str) -> int:
        return len(text) // 4


def main() -> None:
    root, file_list, tokens = sys.argv[1], sys.argv[2], int(sys.argv[3])
    start_import = time.perf_counter()
    from aider.io import InputOutput
    from aider.repomap import RepoMap

    imported = time.perf_counter() - start_import
    with open(file_list) as handle:
        files = [f"{root}/{line.strip()}" for line in handle if line.strip()]
    io = InputOutput(pretty=False, yes=True, fancy_input=False)
    start = time.perf_counter()
    repo_map = RepoMap(map_tokens=tokens, root=root, main_model=CharCounter(), io=io)
    text = repo_map.get_repo_map([], files) or ""
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"seconds": seconds, "import_seconds": imported, "chars": len(text), "peak_rss_mb": usage.ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
