"""The model worker with the real embedded GGUF: crashes are typed errors in the parent,
one loaded model serves sampling and scoring, deadlines bound every call, the settings
codeloop passes to llama.cpp. Crashes are real: the test-only fault injection
(CODELOOP_FAULT_MODEL_WORKER) makes the worker kill itself with the signal."""

import os
import signal
import time

import pytest

from codeloop.errors import UsageError
from codeloop.models import worker as worker_mod
from codeloop.models.base import CompletionRequest, DeadlinePassed, Message, ModelCrashed
from codeloop.models.factory import check_backend_options
from codeloop.models.llama_engine import capped_max_tokens, gpu_layers
from codeloop.models.llamacpp import LlamaCppBackend, default_model_path
from codeloop.models.scoring import LlamaCppScorer
from codeloop.models.worker import ModelWorker, WorkerSettings, crash_advice

pytestmark = pytest.mark.model

FAULT = "CODELOOP_FAULT_MODEL_WORKER"
HI = CompletionRequest((Message("user", "Say hello."),), max_tokens=4, temperature=0.0)


@pytest.fixture(autouse=True)
def _fresh_workers():
    """Each test gets its own workers (the registry is per codeloop run, i.e. per process)."""
    worker_mod.close_all()
    yield
    worker_mod.close_all()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_worker_killed_by_sigill_is_a_typed_error_with_the_rebuild_command(monkeypatch):
    monkeypatch.setenv(FAULT, "SIGILL")
    backend = LlamaCppBackend()
    with pytest.raises(ModelCrashed) as crashed:
        backend.complete(HI)
    assert crashed.value.signal_name == "SIGILL" and crashed.value.exit_code == -signal.SIGILL
    message = str(crashed.value)
    assert "\n" not in message and "CMAKE_ARGS=" in message and "--force-reinstall --no-cache-dir llama-cpp-python" in message
    started = time.monotonic()
    with pytest.raises(ModelCrashed):  # a dead model is not started again and again
        backend.count_tokens("x")
    assert time.monotonic() - started < 0.5
    assert worker_mod.crashes() == [crashed.value]


def test_a_crash_while_loading_is_reported_the_same_way(monkeypatch):
    monkeypatch.setenv(FAULT, "SIGSEGV@load")
    with pytest.raises(ModelCrashed, match="crashed with SIGSEGV in llama.cpp"):
        check_backend_options("llamacpp", None, None, probe=True)


def test_crash_advice_for_each_way_a_worker_dies():
    assert "out-of-memory" in crash_advice("SIGKILL", None, "m.gguf", "")
    assert "exited with code 1 (ModuleNotFoundError: llama_cpp)" in crash_advice("", 1, "m.gguf", "Traceback\nModuleNotFoundError: llama_cpp\n")


def test_sampling_and_scoring_share_one_worker_and_one_loaded_model():
    backend = LlamaCppBackend(n_threads=1)
    scorer = LlamaCppScorer(default_model_path(), 1)
    assert backend.worker is scorer.worker
    completion = backend.complete(HI)
    score = scorer.log_likelihood("def add(a, b):\n    return a + b\n")
    assert completion.texts and score < 0
    assert completion.prompt_seconds > 0 and completion.decode_tokens_per_second > 0
    assert backend.worker.pid is not None and _alive(backend.worker.pid) and backend.worker.pid != os.getpid()
    # Prompt reading (and so scoring) on the threads asked for, not on every core.
    assert backend.load()["n_threads_batch"] == 1


def test_scores_equal_a_full_logits_pass_and_prefix_reuse_changes_nothing():
    """The chunked scoring context against what ranking computed before: every row of
    logits from a separate logits_all model (here, in the test process)."""
    import llama_cpp
    import numpy as np

    path = str(default_model_path())
    text = "def mad(numbers):\n    mean = sum(numbers) / len(numbers)\n    return sum(abs(x - mean) for x in numbers) / len(numbers)\n"
    reference = llama_cpp.Llama(model_path=path, n_ctx=1024, n_threads=1, logits_all=True, verbose=False)
    head = reference.tokenize(b"```python\n", add_bos=True, special=False)
    tokens = head + reference.tokenize(text.encode(), add_bos=False, special=False)
    reference.eval(tokens)
    logits = np.asarray(reference.scores[: len(tokens) - 1], dtype=np.float64)
    log_probs = logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True)) - logits.max(1, keepdims=True)
    expected = float(sum(log_probs[i - 1, tokens[i]] for i in range(len(head), len(tokens))))

    scorer = LlamaCppScorer(path, 1)
    first = scorer.log_likelihood(text)
    other = scorer.log_likelihood(text.replace("/ len(numbers)\n", "/ mean\n"))  # shares a long prefix
    again = LlamaCppScorer(path, 1).log_likelihood(text)  # same worker, KV state after `other`; no remembered score
    assert first == pytest.approx(expected, abs=0.05)
    assert other != pytest.approx(first, abs=1e-3)
    assert again == pytest.approx(first, abs=1e-3)


def test_scripted_worker_a_text_scored_once_is_not_scored_again():
    class CountingWorker:  # stands in for the model worker: this is about the scorer's memory
        calls = 0

        def call(self, kind: str, text: str, deadline: object) -> float:
            CountingWorker.calls += 1
            return -float(len(text))

    scorer = LlamaCppScorer(default_model_path(), 1)
    scorer.worker = CountingWorker()  # type: ignore[assignment]
    assert [scorer.log_likelihood(t) for t in ("ab", "abc", "ab", "abc")] == [-2.0, -3.0, -2.0, -3.0]
    assert CountingWorker.calls == 2


COUNT = (Message("user", "Count from 1 to 1000, one number per line."),)


# A grammar of 1000 three-digit lines: the model cannot end the text on its own before
# ~2000 tokens (greedy, the 135M stops counting after 20 lines, ~2 s here and less on a
# faster CPU: CI once saw "stop" before a 2 s deadline).
ENDLESS = 'root ::= line{1000}\nline ::= [0-9] [0-9] [0-9] "\\n"'


def test_a_deadline_stops_generation_between_tokens():
    backend = LlamaCppBackend(n_threads=1)
    # A worker of its own: one that has measured the decode rate caps max_tokens to fit the
    # deadline (finish "length"); this is about the check between tokens.
    backend.worker = ModelWorker(WorkerSettings(backend.model_path, 1, None))
    try:
        # The prompt's evaluation cannot be interrupted (that is what killing the worker is
        # for): evaluate it once untimed, so the timed call is all generation.
        backend.complete(CompletionRequest(COUNT, max_tokens=1, grammar=ENDLESS))
        started = time.monotonic()
        completion = backend.complete(CompletionRequest(COUNT, max_tokens=2000, grammar=ENDLESS, deadline=started + 2.0))
        took = time.monotonic() - started
    finally:
        backend.worker.close()
    assert completion.finish_reasons == ["deadline"] and 0 < completion.completion_tokens < 2000
    assert took < 2.0 + 1.0, took


def test_max_tokens_is_capped_by_the_decode_rate_measured_on_earlier_calls():
    assert capped_max_tokens(300, None, 20.0) == 300  # no deadline
    assert capped_max_tokens(300, 2.0, 0.0) == 300  # nothing measured yet: the deadline check stops it
    assert capped_max_tokens(300, 2.0, 20.0) == 40 and capped_max_tokens(30, 2.0, 20.0) == 30
    assert capped_max_tokens(300, 0.01, 20.0) == 1 and capped_max_tokens(300, -1.0, 20.0) == 0
    # The prompt is read first: what is left after it is what decoding may use.
    assert capped_max_tokens(300, 5.0, 20.0, prompt_cost=3.0) == 40
    assert capped_max_tokens(300, 5.0, 20.0, prompt_cost=6.0) == 0  # would not even finish reading


def test_a_call_whose_prompt_cannot_be_read_in_time_is_not_started():
    # Killing a worker mid-prompt costs a reload of the model: a prompt the measured
    # reading rate cannot finish before the deadline is refused up front instead.
    backend = LlamaCppBackend(n_threads=1)
    backend.complete(CompletionRequest((Message("user", "Name the planets of the solar system, in order, with one fact about each."),), max_tokens=2))
    pid, restarts = backend.worker.pid, backend.worker.restarts
    long_prompt = (Message("user", "Summarize: " + " ".join(f"item{i} is red" for i in range(300))),)
    with pytest.raises(DeadlinePassed):
        backend.complete(CompletionRequest(long_prompt, max_tokens=50, deadline=time.monotonic() + 0.3))
    assert backend.worker.pid == pid and backend.worker.restarts == restarts


def test_a_worker_that_stops_answering_is_killed_at_the_deadline_and_started_again(monkeypatch):
    monkeypatch.setenv(FAULT, "SIGSTOP")  # the worker freezes on its first model call
    backend = LlamaCppBackend(n_threads=1)
    backend.load()
    first_pid = backend.worker.pid
    started = time.monotonic()
    with pytest.raises(DeadlinePassed):
        backend.complete(CompletionRequest(HI.messages, max_tokens=4, deadline=started + 1.0))
    assert time.monotonic() - started < 1.0 + 3.0
    assert not _alive(first_pid)  # killed and reaped
    monkeypatch.delenv(FAULT)
    assert backend.complete(HI).texts  # a fresh worker
    assert backend.worker.pid != first_pid and backend.worker.restarts == 1


def test_unloadable_files_are_usage_errors_before_anything_runs(tmp_path):
    text_file = tmp_path / "notes.gguf"
    text_file.write_text("not a model\n")
    with pytest.raises(UsageError, match="is not a GGUF file"):
        check_backend_options("llamacpp", text_file, None, probe=True)
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(default_model_path().read_bytes()[:2_000_000])
    with pytest.raises(UsageError, match="truncated, corrupt"):
        check_backend_options("llamacpp", truncated, None, probe=True)


def test_gpu_layers_codeloop_passes_to_llama_cpp():
    assert gpu_layers(None, offload_supported=True) == -1  # every layer when the build can
    assert gpu_layers(None, offload_supported=False) == 0
    assert gpu_layers(12, offload_supported=True) == 12 and gpu_layers(0, offload_supported=True) == 0


def test_the_worker_reports_the_offload_settings_it_loaded_with():
    default = ModelWorker(WorkerSettings(default_model_path(), 1, None))
    asked = ModelWorker(WorkerSettings(default_model_path(), 1, 7))
    all_layers = ModelWorker(WorkerSettings(default_model_path(), 1, -1))
    try:
        info = default.start()
        assert info["gpu_offload"] is False  # this machine's build: CPU only
        assert info["n_gpu_layers"] == 0 and info["model_params_n_gpu_layers"] == 0
        # The scoring context runs on the same loaded weights, with generation's settings.
        assert info["scoring_context"] == {"n_ctx": 1024, "n_ubatch": 64, "offload_kqv": info["offload_kqv"]}
        assert asked.start()["model_params_n_gpu_layers"] == 7
        assert all_layers.start()["model_params_n_gpu_layers"] == 0x7FFFFFFF  # llama-cpp-python's "all"
    finally:
        for w in (default, asked, all_layers):
            w.close()


def test_a_prompt_read_ahead_is_not_read_again_and_changes_no_answer():
    """The fix loop's read-ahead (core/fix/warmup.py): the prompt read in small steps, then
    the same greedy answer as without it, with only the rest of the prompt read."""
    story = (Message("user", "Continue the list: " + ", ".join(f"city{i}" for i in range(60))),)
    request = CompletionRequest(story, max_tokens=12, temperature=0.0)
    cold = LlamaCppBackend(n_threads=1).complete(request)
    worker_mod.close_all()  # a fresh worker: nothing of the prompt in its cache

    backend = LlamaCppBackend(n_threads=1)
    steps = []
    while True:
        step = backend.prefill(request, 32)
        steps.append(step)
        if step["left"] <= 0:
            break
    assert len(steps) > 2 and all(s["evaluated"] <= 32 for s in steps)
    assert sum(s["evaluated"] for s in steps) == cold.prompt_tokens - 1  # the last token is the answer's
    assert backend.prefill(request, 32)["evaluated"] == 0  # nothing left to read
    warm = backend.complete(request)
    assert warm.texts == cold.texts
    assert warm.prompt_tokens_evaluated == 1
    # The answer's own timing: the read-ahead is not booked as this call's prompt time.
    assert warm.prompt_seconds < 0.5 * cold.prompt_seconds
