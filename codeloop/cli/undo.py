"""`codeloop undo`: restore exactly what the last applied change replaced."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from codeloop.cli.common import fail_refused, fail_usage
from codeloop.errors import RefusedError, UsageError


def undo(
    path: Path = typer.Argument(Path("."), help="A folder inside the git work tree."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout."),
) -> None:
    """Revert the last change codeloop applied (refuses if you edited those files since)."""
    from codeloop.workspace import checkpoint
    from codeloop.workspace.git import find_project

    try:
        root = find_project(path)
        restored = checkpoint.undo(root)
    except UsageError as exc:
        fail_usage(str(exc), json_out)
    except RefusedError as exc:
        fail_refused(str(exc), json_out)
    if json_out:
        print(json.dumps({"status": "restored", "files": restored, "root": str(root)}))
    typer.echo("restored: " + ", ".join(restored), err=True)
