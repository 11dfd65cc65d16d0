"""The model tier reads its prompt while the cheap tier runs (core/fix/warmup.py).

The Warmup and loop tests use scripted stand-ins (they are about the read-ahead's own
logic: steps, stopping, which tier, what is counted); the loop runs real pytest in a
real git repo. That the model reuses what was read, answer unchanged, is tested with
the real GGUF in tests/test_model_worker.py.
"""

import sys
import threading
from pathlib import Path

from codeloop.core.fix.context import FixOptions, RepairContext, TierRun
from codeloop.core.fix.loop import repair
from codeloop.core.fix.model_tier import ModelTier
from codeloop.core.fix.warmup import STEP_TOKENS, Warmup
from codeloop.models.base import Completion, CompletionRequest, Message, ModelCrashed
from codeloop.plugins import language_for_path
from codeloop.runners.pytest_runner import PytestRunner
from codeloop.workspace.sandbox import SandboxPool
from tests.conftest import drive_events, make_repo
from tests.test_fix_precision_e2e import WEAK

REQUEST = CompletionRequest((Message("user", "fix it"),), max_tokens=8)


class ScriptedPrefill:
    """Stands in for a model reading a prompt of ``length`` tokens, ``STEP_TOKENS`` at a time."""

    def __init__(self, length: int, gate: threading.Event | None = None) -> None:
        self.left = length - 1
        self.calls = 0
        self.gate = gate  # when given, each step waits for it (the test decides when steps end)

    def __call__(self, request: CompletionRequest, limit: int) -> dict[str, float]:
        self.calls += 1
        if self.gate is not None:
            self.gate.wait()
        step = min(limit, self.left)
        self.left -= step
        return {"evaluated": step, "left": self.left, "seconds": 0.5}


def test_scripted_warmup_reads_the_prompt_in_steps_until_it_is_read():
    prefill = ScriptedPrefill(length=3 * STEP_TOKENS + 10)
    warm = Warmup(prefill, REQUEST).start()
    assert warm.finished.wait(10)
    warm.stop()
    assert warm.evaluated == 3 * STEP_TOKENS + 9 and prefill.calls == 4 and warm.seconds == 2.0
    assert not warm.error


def test_scripted_warmup_stops_after_the_step_under_way():
    gate = threading.Event()
    prefill = ScriptedPrefill(length=100 * STEP_TOKENS, gate=gate)
    warm = Warmup(prefill, REQUEST).start()
    stopper = threading.Thread(target=warm.stop)
    stopper.start()  # asked to stop while its first step is under way
    gate.set()
    stopper.join(10)
    assert not stopper.is_alive() and warm.finished.is_set()
    assert prefill.calls == 1 and warm.evaluated == STEP_TOKENS


def test_scripted_warmup_keeps_a_failure_for_the_tier_to_meet():
    def crashing(request: CompletionRequest, limit: int) -> dict[str, float]:
        raise ModelCrashed("the model worker crashed with SIGSEGV", "SIGSEGV", -11)

    warm = Warmup(crashing, REQUEST).start()
    assert warm.finished.wait(10)
    warm.stop()
    assert "SIGSEGV" in warm.error and warm.evaluated == 0


class FailingTier:
    """A scripted first tier (loop logic only): finds nothing, after noting what ran."""

    name = "cheap"

    def __init__(self, log: list[str], busy_until: threading.Event | None = None) -> None:
        self.log = log
        self.busy_until = busy_until  # runs (like tests would) until this is set

    def run(self, ctx: RepairContext) -> TierRun:
        self.log.append("cheap ran")
        if self.busy_until is not None:
            self.busy_until.wait(30)
        return None
        yield


class PreparingTier:
    """A scripted later tier that records when it is prepared, run and stopped."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    def prepare(self, ctx: RepairContext) -> None:
        self.log.append(f"{self.name} prepared")

    def stop_preparing(self, ctx: RepairContext) -> None:
        self.log.append(f"{self.name} stopped")

    def run(self, ctx: RepairContext) -> TierRun:
        self.log.append(f"{self.name} ran")
        return None
        yield


def _repair(repo: Path, tiers: list, options: FixOptions | None = None):  # type: ignore[no-untyped-def]
    with SandboxPool(repo, size=2) as pool:
        loop = repair(pool, PytestRunner(f"{sys.executable} -m pytest -q"), tiers, language_for_path, options or FixOptions(time_budget=120))
        return drive_events(loop, lambda event: None)


def test_scripted_tiers_only_the_second_tier_is_prepared_before_the_first_runs_and_always_stopped(tmp_path):
    log: list[str] = []
    result = _repair(make_repo(tmp_path / "r", WEAK), [FailingTier(log), PreparingTier("small", log), PreparingTier("big", log)])
    assert result.status == "unfixed"
    # The bigger model after it is not loaded alongside: only the next tier gets ready.
    assert log == ["small prepared", "cheap ran", "small ran", "big ran", "small stopped"]


def test_scripted_tiers_a_model_is_not_prepared_beside_another_model(tmp_path):
    log: list[str] = []
    _repair(make_repo(tmp_path / "r", WEAK), [PreparingTier("small", log), PreparingTier("big", log)])
    assert log == ["small ran", "big ran"]


class ScriptedBackend:
    """A scripted in-process model (loop logic only): reads ahead and answers with a copy
    of the function (an unchanged answer), recording every prompt it is given."""

    name = "scripted"
    parallelism = 1

    def __init__(self) -> None:
        self.prefilled: list[tuple] = []
        self.completed: list[tuple] = []
        self.read = threading.Event()

    def prefill(self, request: CompletionRequest, limit: int) -> dict[str, float]:
        self.prefilled.append(request.messages)
        self.read.set()
        return {"evaluated": 40, "left": 0, "seconds": 2.0}

    def complete(self, request: CompletionRequest) -> Completion:
        self.completed.append(request.messages)
        return Completion(texts=["pass"], prompt_tokens=41, prompt_tokens_evaluated=1, completion_tokens=1, seconds=0.1)

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    context_size = 4096


def test_scripted_model_reads_ahead_the_very_prompt_its_draws_continue(tmp_path):
    backend = ScriptedBackend()
    model = ModelTier(lambda: backend, label="scripted")
    result = _repair(make_repo(tmp_path / "r", WEAK), [FailingTier([], busy_until=backend.read), model],
                     FixOptions(time_budget=60, samples=2, max_rounds=1, line_samples=0, explain=False))
    assert backend.prefilled and backend.completed
    assert set(backend.prefilled) == {backend.completed[0]}  # same messages: the KV cache is reused
    use = result.stats.models["scripted"]
    assert use.read_ahead == 40 and use.prompt_tokens_evaluated == 40 + len(backend.completed)
    assert result.to_dict()["models"]["scripted"]["read_ahead"] == 40


def test_scripted_model_alone_reads_nothing_ahead(tmp_path):
    backend = ScriptedBackend()
    _repair(make_repo(tmp_path / "r", WEAK), [ModelTier(lambda: backend, label="scripted")],
            FixOptions(time_budget=60, samples=1, max_rounds=1, line_samples=0, explain=False))
    assert backend.completed and not backend.prefilled


def test_scripted_model_a_backend_that_cannot_be_made_is_reported_by_the_tier_not_the_read_ahead(tmp_path):
    def no_backend() -> ScriptedBackend:
        raise ModelCrashed("the model worker crashed with SIGILL", "SIGILL", -4)

    result = _repair(make_repo(tmp_path / "r", WEAK), [FailingTier([]), ModelTier(no_backend, label="scripted")],
                     FixOptions(time_budget=60, samples=1, max_rounds=1, line_samples=0, explain=False))
    assert result.status == "unfixed" and "SIGILL" in result.model_error
