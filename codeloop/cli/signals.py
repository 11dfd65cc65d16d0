"""SIGINT, SIGTERM and SIGHUP end every command the same way.

Editors cancel with SIGINT or SIGTERM, a closed terminal sends SIGHUP, hooks time out
with SIGTERM: each stops the test runs at once (their launchers kill their whole trees),
unwinds (sandbox copies and the run folder are removed on the way out) and exits
128+signal with one line on stderr. Applying a change holds these signals until it is
complete (workspace/checkpoint.py), so the tree never gets half a patch.
"""

from __future__ import annotations

import signal

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(BaseException):
    """Raised in the main thread by a handled signal. A BaseException, not a
    KeyboardInterrupt: click would turn that into "Aborted!" and exit 1."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def message(self) -> str:
        from codeloop.workspace.checkpoint import APPLIED

        name = signal.Signals(self.signum).name
        if APPLIED:
            return f"codeloop: interrupted ({name}) after the verified change was applied; `codeloop undo` reverts it"
        return f"codeloop: interrupted ({name}); your working tree is unchanged"


def _handle(signum: int, frame: object) -> None:
    # Test commands run in their own sessions, out of the terminal's reach: end them
    # here, so that threads waiting on them let the interpreter exit at once.
    from codeloop.runners.base import kill_running
    from codeloop.workspace import checkpoint

    if checkpoint.defer(signum):  # a change is being written: stop right after it
        return
    kill_running()
    raise Interrupted(signum)


def install() -> None:
    for signum in HANDLED:
        signal.signal(signum, _handle)
