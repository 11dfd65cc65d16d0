"""The fix loop's deadlines come from the clock it is given (time.monotonic by default)."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

from codeloop.core.events import Event, Note
from codeloop.core.fix.cheap_tier import CheapTier
from codeloop.core.fix.context import Candidate, FixOptions, RepairContext
from codeloop.core.fix.loop import repair
from codeloop.plugins import candidate_generators, language_for_path
from codeloop.runners.pytest_runner import PytestRunner
from codeloop.workspace.sandbox import SandboxPool
from tests.conftest import drain, make_repo

BUGGY = {
    "calc.py": "def add(a, b):\n    return a - b\n",
    "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
}


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _TimePasses:
    """A scripted tier that only lets an hour pass on the clock."""

    name = "wait"

    def __init__(self, clock: _Clock) -> None:
        self.clock = clock

    def run(self, ctx: RepairContext) -> Generator[Event, None, Candidate | None]:
        self.clock.now += 3600
        yield Note(f"{ctx.remaining():.0f} s left")
        return None


def _run(repo: Path, clock: _Clock, first: object) -> tuple[object, list[Event]]:
    events: list[Event] = []
    cheap = CheapTier(lambda language: candidate_generators().get(language.name, []), share=1.0, workers=1)
    with SandboxPool(repo, size=1) as pool:
        loop = repair(pool, PytestRunner("python -m pytest -q"), [first, cheap], language_for_path, FixOptions(time_budget=600), clock=clock)  # type: ignore[list-item]
        return drain(loop, events.append), events


def test_scripted_clock_spent_budget_stops_the_next_tier(tmp_path: Path) -> None:
    clock = _Clock()
    result, events = _run(make_repo(tmp_path / "r", BUGGY), clock, _TimePasses(clock))
    notes = [e.message for e in events if isinstance(e, Note)]
    assert "time budget spent before the cheap tier" in notes  # real time had minutes left
    assert result.status == "unfixed" and result.seconds >= 3600  # type: ignore[attr-defined]


def test_scripted_clock_standing_still_leaves_the_budget_whole(tmp_path: Path) -> None:
    clock = _Clock()

    class _Nothing(_TimePasses):
        def run(self, ctx: RepairContext) -> Generator[Event, None, Candidate | None]:
            yield Note(f"{ctx.remaining():.0f} s left")
            return None

    result, events = _run(make_repo(tmp_path / "r", BUGGY), clock, _Nothing(clock))
    assert result.status == "fixed" and result.seconds == 0.0  # type: ignore[attr-defined]
