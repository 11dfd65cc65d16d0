"""Render core events on stderr: a live status line on a terminal, plain lines otherwise."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console
from rich.syntax import Syntax

from codeloop.core import events as ev


def make_console(stderr: bool = True) -> Console:
    plain = bool(os.environ.get("NO_COLOR")) or not (sys.stderr if stderr else sys.stdout).isatty()
    return Console(stderr=stderr, no_color=plain, highlight=False, soft_wrap=True, force_terminal=None if not plain else False)


class EventRenderer:
    """Turns events into progress. Counts what happened so the summary can say it."""

    def __init__(self, console: Console, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self.live = console.is_terminal
        self._status: Any = None
        self.stage = ""
        self.round = 0
        self.tried = 0
        self.passed = 0
        self.tokens_per_second = 0.0

    def __enter__(self) -> EventRenderer:
        if self.live and not self.quiet:
            self._status = self.console.status("starting")
            self._status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()

    def _line(self, text: str) -> None:
        if not self.quiet:
            self.console.print(text, markup=False)

    def _update(self) -> None:
        if self._status is not None:
            rate = f", {self.tokens_per_second:.0f} tok/s" if self.tokens_per_second else ""
            self._status.update(
                f"{self.stage} · round {self.round} · candidates tried {self.tried}, passed {self.passed}{rate}"
            )

    def handle(self, event: ev.Event) -> None:
        if isinstance(event, ev.StageStarted):
            self.stage = event.stage
            if event.detail or event.stage != "localize":  # Localized says the rest
                self._line(f"[{event.stage}] {event.detail}".rstrip())
        elif isinstance(event, ev.TestsRan):
            state = "pass" if event.passed else f"{len(event.failed)} failing"
            self._line(f"[tests] {event.purpose}: {state} ({event.seconds:.1f}s)")
            for test_id in event.failed[:5]:
                self._line(f"  ✗ {test_id}")
        elif isinstance(event, ev.Localized):
            self._line("[localize] suspects: " + (", ".join(event.suspects[:3]) or "none"))
        elif isinstance(event, ev.CandidatesSampled):
            self.round = event.round
            self.tokens_per_second = event.tokens_per_second
        elif isinstance(event, ev.CandidateChecked):
            if event.stage == "cheap":  # counted by TierProgress; only wins are worth a line
                if event.outcome == "passed":
                    self._line(f"  candidate passed: {event.detail}")
                self._update()
                return
            if event.outcome in ("passed", "failed", "forbidden"):
                self.tried += 1
            if event.outcome == "passed":
                self.passed += 1
            if not self.live:
                detail = f": {event.detail}" if event.detail else ""
                self._line(f"  candidate {event.candidate} ({event.stage}) {event.outcome}{detail}"[:160])
        elif isinstance(event, ev.TierProgress):
            self.tried, self.passed = event.tried, event.passed
            if not self.live and (event.passed or event.tried == event.total or event.tried % 50 == 0):
                self._line(f"[{event.stage}] {event.tried}/{event.total} candidates tried, {event.passed} passed")
        elif isinstance(event, ev.RoundFinished):
            self._line(f"[round {event.round}] {event.tried} candidates tested, {event.passed} passed")
        elif isinstance(event, ev.RoundStarted):
            self.stage, self.round = event.stage, event.round
            self._line(f"[{event.stage}] round {event.round}")
        elif isinstance(event, ev.PatchesCompared):
            how = f"{event.behaviours} behaviour(s) on {event.inputs} probe inputs" if event.inputs else "no probe inputs"
            self._line(f"[compare] {event.patches} plausible patch(es), {how}: {event.chosen} (confidence {event.confidence:.2f})")
            for shown in event.disagreements:
                self._line(f"  they disagree on {shown}")
        elif isinstance(event, ev.Note):
            self._line(f"note: {event.message}")
        elif isinstance(event, ev.ModelFailed):
            self._line(model_off_line(event.message, event.fallback or "going on without it"))
        elif isinstance(event, ev.Indexed):
            self._line(f"codeloop: indexed {event.files} files ({event.parsed} parsed) in {event.seconds:.2f} s")
        elif isinstance(event, ev.TaskFinished):
            # benchmarks/humaneval_lpw.py --from-log reads these lines back: keep their shape
            self._line(
                f"[{event.index}/{event.tasks}] {event.method:<13} {event.task_id:<14} {'PASS' if event.passed else 'fail'} "
                f"visible={'ok' if event.visible else 'no'} {event.completion_tokens} tok {event.seconds:.1f}s"
            )
        self._update()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """The live status line stopped, e.g. while the user types an answer."""
        if self._status is not None:
            self._status.stop()
        try:
            yield
        finally:
            if self._status is not None:
                self._status.start()


def terminal_answers(renderer: EventRenderer) -> Callable[[ev.Question], str]:
    """Put a Question to the person at the terminal; their text is the answer ("" keeps the default)."""

    def ask(question: ev.Question) -> str:
        console = renderer.console
        with renderer.paused():
            console.print(f"\n{question.question}", markup=False)
            for option in question.options:
                console.print(f"  {option.id}) {option.label}" + (f"    ({option.detail})" if option.detail else ""), markup=False)
            hint = "Type a number, or the value itself" if question.free_text else "Type a number"
            return str(console.input(f"{hint} (empty: {question.default}): ")).strip()

    return ask


def model_off_line(message: str, instead: str = "going on without it") -> str:
    """The one line a command prints when it goes on without a dead model (the message
    ends with what to do, often a command to copy: nothing may follow it)."""
    return f"codeloop: model off, {instead}: {message}"


def print_diff(console: Console, diff: str) -> None:
    if diff:
        console.print(Syntax(diff, "diff", theme="ansi_dark", background_color="default"))
