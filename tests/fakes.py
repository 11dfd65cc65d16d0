"""A scripted model, for tests about the loop's own logic only (never about model quality)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

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


class _Handler(BaseHTTPRequestHandler):
    answer_for: Callable[[str], str] = staticmethod(lambda prompt: "")

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        text = self.answer_for(body["messages"][-1]["content"])
        data = json.dumps({"choices": [{"message": {"content": text}, "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 50, "completion_tokens": 20}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def scripted_openai_server(answer_for: Callable[[str], str]) -> Iterator[str]:
    """An OpenAI-compatible server on localhost answering ``answer_for(last message)``:
    a scripted model for CLI runs (``--backend openai --base-url URL``). Yields the URL."""
    handler = type("H", (_Handler,), {"answer_for": staticmethod(answer_for)})
    httpd = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/v1"
    finally:
        httpd.shutdown()


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

        def log_message(self, *args: object) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/v1", bodies
    finally:
        httpd.shutdown()
