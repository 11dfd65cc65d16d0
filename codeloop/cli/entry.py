"""The console script: stops cleanly even when a signal comes while codeloop is still
importing (an editor cancelling right after starting it).

Importing the CLI (typer, every command module) takes a few hundred milliseconds; until
``signals.install`` runs, Python's default SIGINT handling would end in a traceback and
death by signal. Nothing has been touched yet at that point (no copy, no run folder, no
write), so the early handler just says so and exits 128+signal.
"""

from __future__ import annotations

import os
import signal


def _stopped_early(signum: int, frame: object) -> None:
    name = signal.Signals(signum).name
    try:
        os.write(2, f"codeloop: interrupted ({name}) while starting; your working tree is unchanged\n".encode())
    finally:
        os._exit(128 + signum)


def install_early_handlers() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stopped_early)


def main() -> None:
    install_early_handlers()
    from codeloop.cli.app import main as run  # installs the real handlers first thing

    run()
