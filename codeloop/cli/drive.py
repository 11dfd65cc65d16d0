"""One driver for every long command: the rich view on stderr, ``--json`` on stdout and
``--events jsonl`` on stderr are all made here, from the same core events.

A command builds a Driver, runs its core generator through ``drive()`` inside ``with
driver:``, and ends with ``finish(payload, code, show)``: the payload is what ``--json``
prints and what the final ``result`` event carries, ``show`` the human view. Errors end
through ``fail()`` (or are mapped by ``__exit__``), so every mode ends the same way.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import time
import warnings
from collections.abc import Callable, Generator
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, NoReturn, Protocol, TypeVar

import typer

from codeloop.cli.common import usage_error
from codeloop.cli.failures import debugging, internal_error_line, machine_fault, traceback_text
from codeloop.core.errors import InvalidInput
from codeloop.core.events import PROTOCOL_VERSION, Event, Note, Question
from codeloop.errors import RefusedError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

EVENT_FORMATS = ("jsonl",)
EVENTS_HELP = "jsonl: write progress as JSON lines on stderr (one object per line; see docs/events.md)."
R = TypeVar("R")


class View(Protocol):
    """What renders events for people (EventRenderer, or a command's own progress bar)."""

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc: object) -> Any: ...

    def handle(self, event: Any) -> None: ...


Answers = Callable[[Question], "str | None"]


class JsonLines:
    """The ``--events jsonl`` writer: one versioned object per line, flushed at once."""

    def __init__(self, command: str, stream: IO[str], clock: Callable[[], float]) -> None:
        self.command, self.stream, self.clock = command, stream, clock
        self.started = clock()

    def write(self, event: str, fields: dict[str, Any]) -> None:
        head = {"v": PROTOCOL_VERSION, "command": self.command, "event": event, "t": round(self.clock() - self.started, 3)}
        clash = head.keys() & fields.keys()
        if clash:  # a bug of ours: the envelope would be overwritten
            raise ValueError(f"event {event} has fields named like the envelope: {sorted(clash)}")
        self.stream.write(json.dumps({**head, **fields}) + "\n")
        self.stream.flush()


class Driver:
    """The output of one command run, in the modes the user asked for."""

    def __init__(
        self,
        command: str,
        json_out: bool = False,
        events: str | None = None,
        view: Callable[[Console], View] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from rich.console import Console

        from codeloop.cli.render import EventRenderer, make_console

        self.command = command
        self.json_out = json_out
        self._bad_events = events is not None and events not in EVENT_FORMATS
        self.jsonl = events in EVENT_FORMATS
        self.answers: Answers | None = None
        # Human text meant for stderr goes nowhere in jsonl mode: only events go there.
        self.console = Console(file=io.StringIO()) if self.jsonl else make_console()
        self._events = JsonLines(command, sys.stderr, clock) if self.jsonl else None
        self.view: View | None = None if self.jsonl else (view or EventRenderer)(self.console)
        self._view_open = False
        self._saved_showwarning: Any = None
        self._log_handler: logging.Handler | None = None

    # -- the run ---------------------------------------------------------------------

    def __enter__(self) -> Driver:
        if self._bad_events:
            self.fail(f"--events takes {' or '.join(EVENT_FORMATS)}: pass --events jsonl", 2)
        if self.view is not None:
            self.view.__enter__()
            self._view_open = True
        if self.jsonl:  # a library's warning or log line would be a stray line in the event stream
            self._saved_showwarning = warnings.showwarning
            warnings.showwarning = self._warning_note
            self._log_handler = _NoteHandler(self)
            logging.getLogger().addHandler(self._log_handler)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        """Ends the run for an exception the command did not handle: bad input exit 2,
        refusals exit 1, Ctrl-C exit 130, a bug of ours exit 1 with its traceback."""
        self._close_view()
        if self._saved_showwarning is not None:
            warnings.showwarning = self._saved_showwarning
            self._saved_showwarning = None
        if self._log_handler is not None:
            logging.getLogger().removeHandler(self._log_handler)
            self._log_handler = None
        import click

        if exc is None or isinstance(exc, (typer.Exit, click.exceptions.Exit, SystemExit)):
            return
        signalled = getattr(exc, "exit_code", None)
        if isinstance(signalled, int) and callable(getattr(exc, "message", None)):
            # A signal turned into an exception (SIGTERM, SIGHUP): ends like Ctrl-C, with its code.
            self.interrupted(str(exc.message()).removeprefix("codeloop: "), signalled)  # type: ignore[attr-defined]
        if not isinstance(exc, (Exception, KeyboardInterrupt)):
            return
        if isinstance(exc, KeyboardInterrupt):
            self.interrupted()
        if isinstance(exc, InvalidInput):
            exc = usage_error(exc)
        if isinstance(exc, UsageError):
            self.fail(str(exc), 2)
        if isinstance(exc, RefusedError):
            self.fail(str(exc), 1)
        fault = machine_fault(exc)
        if fault is not None:  # a full disk, a read-only folder: the user's to fix
            self.fail(fault, 2)
        self.internal_error(exc)

    def handle(self, event: Event) -> None:
        if self._events is not None:
            self._events.write(type(event).__name__, {k: v for k, v in event.to_dict().items() if k != "event"})
        elif self.view is not None:
            self.view.handle(event)

    def note(self, message: str) -> None:
        self.handle(Note(message))

    def drive(self, loop: Generator[Any, Any, R]) -> R:
        """Run a core generator to its end, handing every event to the view or the event
        stream; a Question is answered by ``self.answers`` (None: the question's default)
        and the answer is sent back into the generator. Returns the generator's value."""
        reply: str | None = None
        while True:
            try:
                event = loop.send(reply)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            reply = None
            self.handle(event)
            if isinstance(event, Question) and self.answers is not None:
                reply = self.answers(event)

    # -- how it ends -------------------------------------------------------------------

    def finish(self, payload: dict[str, Any], code: int, show: Callable[[Console, Console], None] | None = None) -> NoReturn:
        """``payload`` on stdout with --json and as the ``result`` event with --events; else
        ``show(stdout console, stderr console)`` draws it for people. Exits with ``code``."""
        from codeloop.cli.render import make_console

        self._close_view()
        if self.json_out:
            print(json.dumps(payload), flush=True)
        if self._events is not None:
            self._events.write("result", payload)
        if not self.json_out and show is not None:
            show(make_console(stderr=False), self.console)
        raise typer.Exit(code)

    def fail(self, message: str, code: int, **extra: Any) -> NoReturn:
        """One line saying what to do; exit ``code`` (2: bad input, 1: refused or failed).
        With --json the line is also one object on stdout; with --events it is the result
        event, followed on stderr (exit 2 only) by the plain line."""
        self._close_view()
        message = " ".join(message.split())  # one line, whatever an exception's text held
        payload = {"status": "error", "message": message, **extra}
        if self.json_out:
            print(json.dumps(payload), flush=True)
        if self._events is not None:
            self._events.write("result", payload)
        if self._events is None or code == 2:
            print(f"codeloop: {message}", file=sys.stderr, flush=True)
        raise typer.Exit(code)

    def interrupted(self, message: str = "interrupted; your working tree is unchanged", code: int = 130) -> NoReturn:
        self._close_view()
        try:
            if self._events is not None:
                self._events.write("result", {"status": "interrupted", "message": message})
            else:
                print(f"codeloop: {message}", file=sys.stderr, flush=True)
        except OSError:  # the terminal is gone (SIGHUP)
            pass
        raise typer.Exit(code)

    def internal_error(self, exc: BaseException) -> NoReturn:
        """A bug of ours: one line, exit 1; with ``codeloop --debug`` the traceback first
        (as a note in jsonl mode)."""
        if debugging():
            text = traceback_text(exc)
            if self._events is not None:
                self.note(text)
            else:
                print(text, file=sys.stderr, end="")
        self.fail(internal_error_line(exc), 1)

    # -- helpers ------------------------------------------------------------------------

    def _close_view(self) -> None:
        if self.view is not None and self._view_open:
            self._view_open = False
            self.view.__exit__(None, None, None)

    def _warning_note(self, message: Warning | str, category: type[Warning], filename: str, lineno: int, file: IO[str] | None = None, line: str | None = None) -> None:
        self.note(f"{category.__name__}: {message} ({filename}:{lineno})")


class _NoteHandler(logging.Handler):
    """Log records of warning level and up as notes (instead of Python's last-resort
    handler writing them on stderr)."""

    def __init__(self, driver: Driver) -> None:
        super().__init__(logging.WARNING)
        self.driver = driver

    def emit(self, record: logging.LogRecord) -> None:
        self.driver.note(f"{record.levelname.lower()}: {record.getMessage()} ({record.name})")


def quiet_view(console: Console) -> View:
    """For quick commands: no live status line, nothing rendered (they have no progress)."""
    from codeloop.cli.render import EventRenderer

    return EventRenderer(console, quiet=True)


def stdin_answers(driver: Driver, stream: IO[str] | None = None) -> Answers:
    """Answers read from stdin, one JSON line each: ``{"answer": "<option id or text>",
    "question": <id>}``. A line for another question or one that is not such an object is
    skipped (with a note); end of input answers None (the question's default)."""
    source = stream if stream is not None else sys.stdin

    def answer(question: Question) -> str | None:
        for line in source:
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if not isinstance(data, dict) or not isinstance(data.get("answer"), str):
                    raise ValueError("not an object with a string answer")
            except ValueError as exc:
                driver.note(f"ignored an answer line ({exc}): send {{\"answer\": \"<option id or text>\", \"question\": {question.id}}}")
                continue
            if data.get("question", question.id) != question.id:
                driver.note(f"ignored an answer to question {data.get('question')!r}: question {question.id} is open")
                continue
            return str(data["answer"])
        return None

    return answer


def events_answer_channel(driver: Driver) -> bool:
    """Whether answers come on stdin: --events jsonl with stdin not a terminal."""
    return driver.jsonl and not sys.stdin.isatty()
