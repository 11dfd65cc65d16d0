"""The plugin's hook: the `bench` command group, added to codeloop's typer app."""

from __future__ import annotations

from typing import Any

from codeloop.hookspecs import hookimpl


@hookimpl
def register_commands(app: Any) -> None:
    from codeloop_bench.cli import app as bench_app

    app.add_typer(bench_app, name="bench")
