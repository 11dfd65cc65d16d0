"""`codeloop undo`: restore exactly what the last applied change replaced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from codeloop.cli.drive import Driver


def undo(
    path: Path = typer.Argument(Path("."), help="A folder inside the git work tree."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout."),
) -> None:
    """Revert the last change codeloop applied (refuses if you edited those files since)."""
    from codeloop.workspace import checkpoint
    from codeloop.workspace.git import find_project

    driver = Driver("undo", json_out)
    with driver:
        root = find_project(path)
        restored = checkpoint.undo(root)

        def show(out: Any, err: Any) -> None:
            err.print("restored: " + ", ".join(restored), markup=False, highlight=False)

        driver.finish({"status": "restored", "root": str(root), "files": restored}, 0, show)
