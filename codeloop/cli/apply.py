"""`codeloop apply RESULT.json`: write a patch previewed with --dry-run --json, exactly."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from codeloop.cli.drive import Driver, quiet_view
from codeloop.errors import UsageError


def apply(
    result: str = typer.Argument(..., help="The --dry-run --json output of fix, generate or refactor extract-method (a file, or - for stdin)."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout."),
) -> None:
    """Apply a previewed patch (refused if a file changed since the preview; codeloop undo reverts it)."""
    from codeloop.workspace.git_state import ensure_no_operation
    from codeloop.workspace.patch import apply_patch, load_patch

    driver = Driver("apply", json_out, view=quiet_view)
    with driver:
        patch = load_patch(_read(result))
        ensure_no_operation(patch.root, "apply")
        written = apply_patch(patch)

        def show(out: Any, err: Any) -> None:
            err.print(f"applied to {', '.join(written)} in {patch.root} (codeloop undo reverts it)", markup=False, highlight=False)

        driver.finish({"status": "applied", "root": str(patch.root), "files": written}, 0, show)


def _read(source: str) -> object:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {source} ({exc}): pass the file --dry-run --json wrote, or - for stdin") from None
    # A whole result, or an event stream whose result event carries the patch.
    lines = [line for line in text.splitlines() if line.strip()]
    for candidate in [text] + lines[::-1]:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict) and (data.get("event") in (None, "result")):
            return data
    raise UsageError(f"{source} is not JSON: pass the output of --dry-run --json")
