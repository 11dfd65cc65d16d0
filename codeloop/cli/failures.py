"""How a command ends on an exception nobody handled: a fault of the machine the user can
act on (a full disk, a read-only folder) is bad input, one line, exit 2; anything else is a
bug of ours, one line, exit 1, and its traceback only with ``codeloop --debug`` (or
``CODELOOP_DEBUG=1``, for editors that start codeloop themselves)."""

from __future__ import annotations

import errno
import os
import sys
import traceback

_debug = False

_ACTIONS = {
    errno.ENOSPC: "no space left on device{where}: free some space (or point TMPDIR at a disk with room) and rerun",
    errno.EDQUOT: "disk quota exceeded{where}: free some space and rerun",
    errno.EROFS: "read-only file system{where}: run codeloop on a writable copy of the repository",
    errno.EACCES: "permission denied{where}: run codeloop as a user who may write there",
    errno.EPERM: "operation not permitted{where}: run codeloop as a user who may write there",
    errno.EMFILE: "too many open files: raise the limit (ulimit -n) and rerun",
    errno.EFBIG: "file too large{where}: raise the file size limit (ulimit -f) and rerun",
}


def enable_debug() -> None:
    global _debug
    _debug = True


def debugging() -> bool:
    return _debug or os.environ.get("CODELOOP_DEBUG", "") not in ("", "0")


def machine_fault(exc: BaseException) -> str | None:
    """The one line for an OSError the user can fix on their machine, else None."""
    for current in _chain(exc):
        if isinstance(current, OSError) and current.errno in _ACTIONS:
            where = f" writing {current.filename}" if current.filename else ""
            return _ACTIONS[current.errno].format(where=where) + "; nothing was changed"
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def internal_error_line(exc: BaseException) -> str:
    hint = "" if debugging() else " (rerun with codeloop --debug for the traceback)"
    return f"internal error ({type(exc).__name__}: {exc}); nothing was changed{hint}"


def traceback_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def end_unhandled(exc: Exception) -> int:
    """For commands that run outside a Driver: print the one line (and, with --debug, the
    traceback first) and return the exit code."""
    line = machine_fault(exc)
    if line is not None:
        print(f"codeloop: {line}", file=sys.stderr)
        return 2
    if debugging():
        print(traceback_text(exc), file=sys.stderr, end="")
    print(f"codeloop: {internal_error_line(exc)}", file=sys.stderr)
    return 1
