"""The openai backend against a real socket server that accepts and never answers (a
stalled server): the request's deadline bounds the call, and the up-front probe."""

import socket
import threading
import time

import pytest

from codeloop.errors import UsageError
from codeloop.models.base import Completion, CompletionRequest, DeadlinePassed, Message
from codeloop.models.factory import probe_server
from codeloop.models.openai_compat import OpenAIBackend


@pytest.fixture
def stalled_url():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])  # read nothing, answer nothing
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/v1"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_stalled_server_cannot_overrun_the_deadline(stalled_url):
    backend = OpenAIBackend(base_url=stalled_url, timeout=120, retries=3)
    started = time.monotonic()
    with pytest.raises(DeadlinePassed):
        backend.complete(CompletionRequest((Message("user", "hi"),), deadline=started + 1.0))
    assert time.monotonic() - started < 2.0


def test_without_a_deadline_the_request_timeout_still_applies(stalled_url):
    backend = OpenAIBackend(base_url=stalled_url, timeout=0.5, retries=0)
    with pytest.raises(UsageError, match="cannot reach the model server"):
        backend.complete(CompletionRequest((Message("user", "hi"),)))


def test_max_tokens_is_capped_by_the_measured_rate():
    backend = OpenAIBackend(base_url="http://127.0.0.1:9/v1")
    backend.tokens_per_second = 20.0
    request = CompletionRequest((Message("user", "hi"),), max_tokens=500, deadline=time.monotonic() + 2.0)
    assert 30 <= backend._max_tokens(request) <= 40
    assert backend._max_tokens(CompletionRequest((Message("user", "hi"),), max_tokens=500)) == 500


def test_probe_fails_where_nothing_answers_and_passes_on_any_http_answer(stalled_url):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    with pytest.raises(UsageError, match="cannot reach the model server"):
        probe_server(f"http://127.0.0.1:{dead}/v1")
    started = time.monotonic()
    with pytest.raises(UsageError, match="ReadTimeout"):
        probe_server(stalled_url)
    assert time.monotonic() - started < 10


def test_decode_rate_leaves_the_prompt_time_out():
    done = Completion(texts=["x"], completion_tokens=50, seconds=3.0, prompt_seconds=1.0)
    assert done.decode_tokens_per_second == 25.0 and done.tokens_per_second == pytest.approx(50 / 3)
