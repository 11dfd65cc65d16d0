"""The typer app: one small module per command, registered here."""

from __future__ import annotations

import signal
import sys

import typer

from codeloop import plugins
from codeloop.cli import apply as apply_cmd
from codeloop.cli import commit_msg as commit_msg_cmd
from codeloop.cli import doctor as doctor_cmd
from codeloop.cli import fix as fix_cmd
from codeloop.cli import generate as generate_cmd
from codeloop.cli import map as map_cmd
from codeloop.cli import model as model_cmd
from codeloop.cli import refactor as refactor_cmd
from codeloop.cli import review as review_cmd
from codeloop.cli import undo as undo_cmd

app = typer.Typer(
    name="codeloop",
    help="Local-first code repair and generation, verified by your own tests.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _options(debug: bool = typer.Option(False, "--debug", help="On an internal error, print its traceback (for bug reports).")) -> None:
    if debug:
        from codeloop.cli.failures import enable_debug

        enable_debug()


app.command("fix")(fix_cmd.fix)
app.command("undo")(undo_cmd.undo)
app.add_typer(refactor_cmd.app, name="refactor")
app.command("map")(map_cmd.map_repo)
app.command("review")(review_cmd.review)
app.command("commit-msg")(commit_msg_cmd.commit_msg)
app.command("generate")(generate_cmd.generate)
app.add_typer(model_cmd.app, name="model")
app.command("doctor")(doctor_cmd.doctor)
app.command("apply")(apply_cmd.apply)
# Plugins add theirs last (e.g. `codeloop bench` from plugins/codeloop-bench): loading
# their entry points imports only their hook modules, so --help stays fast.
plugins.register_commands(app)


def main() -> None:
    from codeloop.cli import signals
    from codeloop.containment.session import sweep_stale

    signals.install()
    sweep_stale()  # what killed runs left behind: copies, processes, locks
    try:
        app()
    except Exception as exc:  # a command without a Driver: one line, traceback only with --debug
        from codeloop.cli.failures import end_unhandled

        sys.exit(end_unhandled(exc))
    except (signals.Interrupted, KeyboardInterrupt) as exc:
        stop = exc if isinstance(exc, signals.Interrupted) else signals.Interrupted(signal.SIGINT)
        try:
            print(stop.message(), file=sys.stderr)
        except OSError:  # the terminal is gone (SIGHUP)
            pass
        sys.exit(stop.exit_code)
