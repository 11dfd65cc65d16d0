"""A scripted model, for tests about the loop's own logic only (never about model quality)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from codeloop.models.base import Completion, CompletionRequest


class ScriptedBackend:
    """Answers from a queue of texts; records every request in ``history``."""

    name = "scripted"
    context_size = 8192

    def __init__(self, answers: list[str] | None = None) -> None:
        self.answers = list(answers or [])
        self.history: list[CompletionRequest] = []

    def enqueue(self, *answers: str) -> None:
        self.answers.extend(answers)

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def complete(self, request: CompletionRequest) -> Completion:
        self.history.append(request)
        texts = [self.answers.pop(0) if self.answers else "" for _ in range(request.n)]
        return Completion(texts=texts, prompt_tokens=10, prompt_tokens_evaluated=10, completion_tokens=5 * request.n, seconds=0.01)


@dataclass
class ServerLog:
    """What one scripted server saw: the prompts it answered, and how many at once."""

    prompts: list[str] = field(default_factory=list)
    in_flight: int = 0
    most_at_once: int = 0
    health_checks: int = 0
    spans: list[tuple[float, float]] = field(default_factory=list)  # (start, end) of each answered request
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    answer_for: Callable[[str], str] = staticmethod(lambda prompt: "")
    log: ServerLog = ServerLog()
    status: Callable[[], int] = staticmethod(lambda: 200)  # HTTP status of the next answer
    delay: float = 0.0  # seconds each answer takes (so several are in flight at once)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming): /v1/models, the health check
        with self.log.lock:
            self.log.health_checks += 1
        self._send(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.log.lock:
            self.log.in_flight += 1
            self.log.most_at_once = max(self.log.most_at_once, self.log.in_flight)
        started = time.monotonic()
        try:
            time.sleep(self.delay)
            status = self.status()
            if status != 200:
                self._send(status, {"error": "scripted failure"})
                return
            prompt = body["messages"][-1]["content"]
            text = self.answer_for(prompt)
            with self.log.lock:
                self.log.prompts.append(prompt)
                self.log.spans.append((started, time.monotonic()))
            self._send(200, {"choices": [{"message": {"content": text}, "finish_reason": "stop"}],
                             "usage": {"prompt_tokens": 50, "completion_tokens": 20}})
        finally:
            with self.log.lock:
                self.log.in_flight -= 1

    def _send(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


class ScriptedServer:
    """A scripted OpenAI-compatible server on 127.0.0.1 (answers requests in threads);
    ``stop()`` closes its port, so later requests are refused: a server that died."""

    def __init__(self, answer_for: Callable[[str], str], delay: float = 0.0, status: Callable[[], int] = lambda: 200) -> None:
        self.log = ServerLog()
        handler = type("H", (_Handler,), {"answer_for": staticmethod(answer_for), "log": self.log,
                                          "status": staticmethod(status), "delay": delay})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        self.stopped = False

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.httpd.shutdown()
            self.httpd.server_close()


@contextlib.contextmanager
def scripted_openai_server(answer_for: Callable[[str], str]) -> Iterator[str]:
    """An OpenAI-compatible server on localhost answering ``answer_for(last message)``:
    a scripted model for CLI runs (``--backend openai --base-url URL``). Yields the URL."""
    server = ScriptedServer(answer_for)
    try:
        yield server.url
    finally:
        server.stop()


Reply = tuple[int, str, bytes]  # HTTP status, Content-Type, body


def chat_reply(text: str) -> Reply:
    """A well-formed chat completion answering ``text``."""
    data = {"choices": [{"message": {"content": text}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 50, "completion_tokens": 20}}
    return 200, "application/json", json.dumps(data).encode()


@contextlib.contextmanager
def recording_openai_server(reply: Callable[[dict], Reply]) -> Iterator[tuple[str, list[bytes]]]:
    """An OpenAI-compatible server on 127.0.0.1 that answers each request with
    ``reply(parsed body)`` verbatim (any status, any bytes: a fault injector) and keeps
    every raw request body it received. Yields (URL, bodies)."""
    bodies: list[bytes] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                bodies.append(raw)
            status, content_type, data = reply(json.loads(raw))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 -- the pool's health check (GET /models)
            data = json.dumps({"object": "list", "data": [{"id": "scripted", "object": "model"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/v1", bodies
    finally:
        httpd.shutdown()
