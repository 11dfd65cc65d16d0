"""The plugin seams: typed registries in codeloop.plugins, no import cycle between the
registry and the layers it plugs into, and plugins' commands really reach the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points

import typer

from codeloop import plugins
from codeloop.hookspecs import hookimpl
from tests.conftest import PROJECT_ROOT, run_cli


def _imported_after(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(sorted(m for m in sys.modules if m.startswith('codeloop'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, check=True)
    return set(out.stdout.split())


def test_languages_runners_and_refactoring_do_not_import_the_registry() -> None:
    for module in ("codeloop.analysis.languages", "codeloop.analysis.python_lang", "codeloop.runners.pytest_runner",
                   "codeloop.runners.command", "codeloop.core.refactor.extract", "codeloop.core.fix.loop"):
        assert "codeloop.plugins" not in _imported_after(module), module


def test_registries_are_typed_by_the_seams() -> None:
    from codeloop.analysis.languages import Language
    from codeloop.core.refactor.extract import Extractor
    from codeloop.runners.base import TestRunner

    python: Language | None = plugins.language_for_path("pkg/mod.py")
    assert python is not None and python.name == "python" and python.is_test_file("tests/test_mod.py")
    assert plugins.language_for_path("notes.txt") is None
    runner: TestRunner = plugins.make_runner("python -m pytest -q")
    assert type(runner).__name__ == "PytestRunner" and runner.command == "python -m pytest -q"
    assert type(plugins.make_runner("make test")).__name__ == "CommandRunner"
    extractor: Extractor = plugins.extractors()["python"]
    assert extractor.language == "python"


class _CommandPlugin:
    @hookimpl
    def register_commands(self, app: typer.Typer) -> None:
        @app.command("hello")
        def hello() -> None:
            print("hello from a plugin")


def test_register_commands_adds_a_plugins_command() -> None:
    from typer.testing import CliRunner

    app = typer.Typer()

    @app.command("base")
    def base() -> None:
        pass

    plugin = _CommandPlugin()
    plugins.plugin_manager().register(plugin)
    try:
        plugins.register_commands(app)
    finally:
        plugins.plugin_manager().unregister(plugin)
    assert "hello from a plugin" in CliRunner().invoke(app, ["hello"]).output


def test_the_bench_plugin_reaches_the_cli_through_its_entry_point() -> None:
    assert {ep.name: ep.value for ep in entry_points(group="codeloop")}.get("bench") == "codeloop_bench.plugin"
    proc = run_cli("bench", "--help")
    assert proc.returncode == 0 and "humaneval" in proc.stdout
    assert "benchmark" not in {p.name for p in (PROJECT_ROOT / "codeloop" / "core").iterdir()}
