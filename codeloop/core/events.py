"""Events every command emits. The CLI renders them with rich; --json and VS Code read them too."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
    purpose: str = "baseline"  # "baseline" | "candidate" | "final"


@dataclass(frozen=True)
class Localized(Event):
    suspects: list[str]  # "path::qualname" in rank order


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
