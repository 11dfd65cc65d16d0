"""What every repair tier sees: the failure, the suspects, a validator and the budget."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Protocol

from codeloop.analysis.languages import Language
from codeloop.core.changes import ChangeSet
from codeloop.core.events import Event
from codeloop.core.fix.localize import Suspect, TestContext
from codeloop.core.fix.sbfl import Ranking
from codeloop.runners.base import TestReport


@dataclass(frozen=True)
class FixOptions:
    samples: int = 8
    max_rounds: int = 3
    time_budget: float = 600.0
    seed: int = 0
    temperature: float = 0.8
    max_new_tokens: int = 320
    line_samples: int = 12  # single-line rewrites per round at the most suspicious lines
    explain: bool = True  # self-debug: explain the failure before refining
    # Answer forms of fresh draws (answer_forms.py). "locate" (the model names the buggy
    # line, rewrites of it lead round 1) is off by default: Qwen-0.5B named the first line.
    forms: tuple[str, ...] = ("function", "line", "edit")
    max_suspects: int = 3
    test_timeout: float | None = None  # per test in the baseline run; None: derived from the budget
    accept_ambiguous: bool = False  # a fix whose confidence is low is still "fixed" (applied)

    def baseline_test_timeout(self) -> float:
        """How long one test may run in the baseline before it counts as hung: a fifth of
        the budget, at least 10 s (slow tests are real) and at most 120 s."""
        if self.test_timeout is not None:
            return self.test_timeout
        return min(120.0, max(10.0, self.time_budget / 5))


@dataclass(frozen=True)
class Candidate:
    changes: ChangeSet
    stage: str  # the tier that produced it: "model", "cheap", ...
    origin: str  # e.g. "round 2, sample 5"
    target: str = ""  # "path::qualname" it rewrites


@dataclass(frozen=True)
class Verdict:
    passed: bool
    report: TestReport | None  # None when rejected before running (invalid, forbidden, ...)
    outcome: str  # "passed" | "failed" | "forbidden" | "duplicate" | "unchanged"
    detail: str = ""
    refused_for: str = ""  # a forbidden candidate's reason in a word or two: "process exit", "edits tests", "size"


@dataclass
class Stats:
    rounds: int = 0
    candidates: int = 0  # candidates actually run against the tests
    plausible: int = 0  # candidates that passed the whole test command
    forbidden: int = 0  # candidates refused before running (capabilities.py, tests, links, new files)
    forbidden_by: dict[str, int] = field(default_factory=dict)  # Verdict.refused_for -> count, e.g. "process exit": 2
    llm_calls: int = 0
    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = 0
    completion_tokens: int = 0
    model_seconds: float = 0.0  # inside model calls
    prompt_seconds: float = 0.0  # of model_seconds, reading prompts
    wasted: int = 0  # model answers never run: unparsable, unchanged or repeated
    wasted_by: dict[str, int] = field(default_factory=dict)  # "FORM OUTCOME" -> count, e.g. "function unchanged"
    stage_seconds: dict[str, float] = field(default_factory=dict)  # "tests", "localize", "cheap", "model:NAME", ...
    models: dict[str, "ModelUse"] = field(default_factory=dict)  # per model of the run (routing)

    def add_stage(self, stage: str, seconds: float) -> None:
        self.stage_seconds[stage] = round(self.stage_seconds.get(stage, 0.0) + seconds, 3)


@dataclass
class ModelUse:
    """What one model did in a run: calls, tokens, and the rates they ran at."""

    calls: int = 0
    prompt_tokens_evaluated: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    prompt_seconds: float = 0.0
    wasted: int = 0
    candidates: int = 0
    cut: int = 0  # calls the deadline ended before any answer (the worker was stopped)
    cut_seconds: float = 0.0
    read_ahead: int = 0  # prompt tokens read while an earlier tier ran (core/fix/warmup.py)

    def to_dict(self) -> dict[str, object]:
        decoding = self.seconds - self.prompt_seconds
        return {
            "calls": self.calls,
            "prompt_tokens_evaluated": self.prompt_tokens_evaluated,
            "completion_tokens": self.completion_tokens,
            "seconds": round(self.seconds, 3),
            "prompt_seconds": round(self.prompt_seconds, 3),
            "tokens_per_second": round(self.completion_tokens / decoding, 2) if decoding > 0 else 0.0,
            "prompt_tokens_per_second": round(self.prompt_tokens_evaluated / self.prompt_seconds, 2) if self.prompt_seconds > 0 else 0.0,
            "wasted": self.wasted,
            "candidates": self.candidates,
            "cut": self.cut,
            "cut_seconds": round(self.cut_seconds, 3),
            "read_ahead": self.read_ahead,
        }


@dataclass
class RepairContext:
    options: FixOptions
    baseline: TestReport
    suspects: list[Suspect]
    tests: list[TestContext]
    read: Callable[[str], str]
    language_for: Callable[[str], Language | None]
    validate: Callable[[Candidate], Verdict]
    deadline: float
    stats: Stats = field(default_factory=Stats)
    ranking: Ranking | None = None  # SBFL line suspiciousness, when the runner can collect it
    frame_lines: set[tuple[str, int]] = field(default_factory=set)  # traceback lines in source
    notes: dict[str, object] = field(default_factory=dict)  # what one tier learned, for the next
    files: list[str] = field(default_factory=list)  # every file of the tree (project-relative)
    model_error: str = ""  # set (with a ModelFailed event) when the model died: later tiers skip it
    # What deadlines are measured on (injected, so the loop's timing is testable). Model
    # backends take deadlines as time.monotonic() values: keep the default with a real model.
    clock: Callable[[], float] = time.monotonic

    def now(self) -> float:
        return self.clock()
    # Where a function is defined ((path, line) per definition), from the symbol index.
    find_definitions: Callable[[str], list[tuple[str, int]]] | None = None

    def remaining(self) -> float:
        return self.deadline - self.clock()


TierRun = Generator[Event, None, "Candidate | None"]


class Tier(Protocol):
    name: str

    def run(self, ctx: RepairContext) -> TierRun: ...
