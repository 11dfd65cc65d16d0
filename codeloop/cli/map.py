"""`codeloop map`: the ranked map of a repo, fitted to a token budget."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from codeloop.cli.common import fail_usage
from codeloop.errors import UsageError

if TYPE_CHECKING:
    from codeloop.analysis.index import SymbolIndex


def map_repo(
    path: Path = typer.Argument(Path("."), help="A folder (or file) inside a git work tree; the map lists only what is under it."),
    tokens: int = typer.Option(1024, "--tokens", help="Token budget of the map."),
    focus: Optional[list[str]] = typer.Option(None, "--focus", help="A file or symbol to rank toward (repeatable)."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout."),
) -> None:
    """Print the files and signatures most relevant to the focus, within --tokens."""
    from codeloop.analysis.repomap import cached_map
    from codeloop.workspace.git import find_worktree
    from codeloop.workspace.symbols import line_reader, open_index

    try:
        if tokens < 1:
            raise UsageError("--tokens must be a positive number of tokens, e.g. --tokens 1024")
        root = find_worktree(path)
        under = _under(root, path)
        index, stats = open_index(root)
    except UsageError as exc:
        fail_usage(str(exc), json_out)
    try:
        focus_paths, focus_names = _resolve_focus(index, root, focus or [])
        repo_map = cached_map(index, line_reader(root), tokens, focus_paths, focus_names, under)
    except UsageError as exc:
        fail_usage(str(exc), json_out)
    finally:
        index.close()
    print(f"codeloop: indexed {stats.files} files ({stats.parsed} parsed) in {stats.seconds:.2f} s", file=sys.stderr)
    if json_out:
        index_info = stats._asdict()
        payload = {"status": "ok", "root": str(root), "index": index_info, "focus": {"files": focus_paths, "symbols": focus_names}}
        print(json.dumps({**payload, **repo_map.to_dict()}))
    else:
        sys.stdout.write(repo_map.render())


def _under(root: Path, path: Path) -> str:
    rel = path.resolve().relative_to(root).as_posix()
    if rel == ".":
        return ""
    return rel if path.is_file() else rel + "/"


def _resolve_focus(index: SymbolIndex, root: Path, focus: list[str]) -> tuple[list[str], list[str]]:
    """Each focus item is a file of the repo (relative to here or to the root) or a symbol."""
    paths: list[str] = []
    names: list[str] = []
    for item in focus:
        rel = _repo_path(root, item)
        if rel is not None and index.language_of(rel) is not None:
            paths.append(rel)
        elif index.definitions_of(item):
            names.append(item)
        else:
            raise UsageError(f"--focus {item}: not a source file of this repo nor a symbol it defines; pass a file path or a defined name")
    return paths, names


def _repo_path(root: Path, item: str) -> str | None:
    for candidate in (Path(item), root / item):
        try:
            if candidate.is_file():
                return candidate.resolve().relative_to(root).as_posix()
        except ValueError:  # a file outside the repo
            return None
    return None
