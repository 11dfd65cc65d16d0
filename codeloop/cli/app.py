"""The typer app: one small module per command, registered here."""

from __future__ import annotations

import sys

import typer

from codeloop.cli import bench as bench_cmd
from codeloop.cli import fix as fix_cmd
from codeloop.cli import generate as generate_cmd
from codeloop.cli import undo as undo_cmd

app = typer.Typer(
    name="codeloop",
    help="Local-first code repair and generation, verified by your own tests.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("fix")(fix_cmd.fix)
app.command("undo")(undo_cmd.undo)
app.command("generate")(generate_cmd.generate)
app.add_typer(bench_cmd.app, name="bench")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        print("codeloop: interrupted; your working tree is unchanged", file=sys.stderr)
        sys.exit(130)
