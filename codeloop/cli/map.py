"""`codeloop map`: the ranked map of a repo, fitted to a token budget."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from codeloop.cli.drive import EVENTS_HELP, Driver
from codeloop.core.events import Event, Indexed
from codeloop.errors import UsageError

if TYPE_CHECKING:
    from codeloop.analysis.index import SymbolIndex


def map_repo(
    path: Path = typer.Argument(Path("."), help="A folder (or file) inside a git work tree; the map lists only what is under it."),
    tokens: int = typer.Option(1024, "--tokens", help="Token budget of the map."),
    focus: Optional[list[str]] = typer.Option(None, "--focus", help="A file or symbol to rank toward (repeatable)."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout."),
    events: Optional[str] = typer.Option(None, "--events", help=EVENTS_HELP),
) -> None:
    """Print the files and signatures most relevant to the focus, within --tokens."""
    from codeloop.workspace.git import find_worktree

    driver = Driver("map", json_out, events)
    with driver:
        if tokens < 1:
            raise UsageError("--tokens must be a positive number of tokens, e.g. --tokens 1024")
        root = find_worktree(path)
        under = _under(root, path)
        payload, text = driver.drive(_mapped(root, under, tokens, focus or []))
        driver.finish(payload, 0, lambda out, err: print(text, end=""))


def _mapped(root: Path, under: str, tokens: int, focus: list[str]) -> Generator[Event, None, tuple[dict[str, Any], str]]:
    """Index (only what changed is parsed again), then rank and fit the map: (--json payload, text)."""
    from codeloop.analysis.repomap import cached_map
    from codeloop.workspace.symbols import line_reader, open_index

    index, stats = open_index(root)
    try:
        focus_paths, focus_names = _resolve_focus(index, root, focus)  # bad input: exit 2 before any progress
        yield Indexed(stats.files, stats.parsed, round(stats.seconds, 3))
        repo_map = cached_map(index, line_reader(root), tokens, focus_paths, focus_names, under)
    finally:
        index.close()
    payload = {"status": "ok", "root": str(root), "index": stats._asdict(), "focus": {"files": focus_paths, "symbols": focus_names}}
    return {**payload, **repo_map.to_dict()}, repo_map.render()


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
