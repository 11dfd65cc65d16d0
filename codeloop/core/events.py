"""Events every command emits. The CLI renders them with rich; ``--events jsonl`` writes
them as JSON lines for editors (docs/events.md; docs/events.schema.json checks them).

Protocol version 1. Compatible changes only: new events and new fields with defaults.
A consumer ignores events and fields it does not know.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PROTOCOL_VERSION = 1


@dataclass(frozen=True)
class Event:
    def to_dict(self) -> dict[str, Any]:
        return {"event": type(self).__name__, **asdict(self)}


@dataclass(frozen=True)
class StageStarted(Event):
    stage: str  # "tests", "localize", "model", "validate", "cheap", "final-check", ...
    detail: str = ""


@dataclass(frozen=True)
class TestsRan(Event):
    __test__ = False  # not a pytest test class

    passed: bool
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    purpose: str = "baseline"  # "baseline" | "candidate" | "final" | "review" | "refactor"


@dataclass(frozen=True)
class Localized(Event):
    suspects: list[str]  # "path::qualname" in rank order


@dataclass(frozen=True)
class RoundStarted(Event):
    round: int
    stage: str  # the tier whose round it is ("model", ...)


@dataclass(frozen=True)
class CandidatesSampled(Event):
    round: int
    count: int
    completion_tokens: int
    seconds: float
    tokens_per_second: float


@dataclass(frozen=True)
class CandidateChecked(Event):
    round: int
    candidate: int
    stage: str  # which tier produced it
    outcome: str  # "passed" | "failed" | "invalid" | "duplicate" | "unchanged" | "forbidden"
    detail: str = ""
    diff: str = ""  # for a passing candidate: its unified diff (what would be applied)


@dataclass(frozen=True)
class TierProgress(Event):
    stage: str
    tried: int
    total: int
    passed: int


@dataclass(frozen=True)
class RoundFinished(Event):
    round: int
    tried: int
    passed: int


@dataclass(frozen=True)
class PatchesCompared(Event):
    """The plausible patches were run side by side (core/fix/behaviour.py)."""

    patches: int  # distinct plausible patches compared
    behaviours: int  # how many different behaviours they show on the probe inputs
    inputs: int  # probe inputs every variant answered
    chosen: str  # the chosen patch's origin
    confidence: float
    disagreements: list[str] = field(default_factory=list)  # "call: output vs output"


@dataclass(frozen=True)
class Note(Event):
    message: str


@dataclass(frozen=True)
class ModelFailed(Event):
    """The model can serve this run no more (its worker crashed, it cannot load): the
    command goes on without it. ``message`` says what happened and what to do."""

    message: str
    fallback: str = ""  # what the command does instead, e.g. "naming deterministically"


@dataclass(frozen=True)
class Option:
    id: str  # what an answer names ("1", "2", ...)
    label: str  # what the option means, e.g. an output value
    detail: str = ""  # e.g. "2 programs"


@dataclass(frozen=True)
class Question(Event):
    """The command needs a decision. The driver answers by sending a string into the
    generator (an option id, or free text); None (no answer channel) means ``default``."""

    id: int
    question: str
    options: list[Option]
    default: str  # the option id taken without an answer
    free_text: bool = True  # whether an answer may be text that is not an option id

    def resolve(self, answer: str | None) -> tuple[str, bool]:
        """(the chosen option's label or the free text, whether it came from the answer)."""
        text = (answer or "").strip()
        by_id = {o.id: o.label for o in self.options}
        if not text:
            return by_id[self.default], False
        if text in by_id:
            return by_id[text], True
        return (text, True) if self.free_text else (by_id[self.default], False)


@dataclass(frozen=True)
class Indexed(Event):
    """The symbol index is up to date (``codeloop map``)."""

    files: int
    parsed: int
    seconds: float


@dataclass(frozen=True)
class PullProgress(Event):
    """Bytes of a model pull (``codeloop model pull``)."""

    stage: str  # "fetch" (waiting for a part's download), "copy", "verify"
    part: int  # 1-based; 0 when the source is one file
    parts: int
    done: int  # bytes of the assembled file so far
    total: int


@dataclass(frozen=True)
class TaskFinished(Event):
    """One benchmark task run by one method (``codeloop bench``)."""

    index: int  # 1-based position of the task in the run
    tasks: int
    task_id: str
    method: str
    passed: bool
    visible: bool  # it passed the visible examples
    completion_tokens: int
    seconds: float
