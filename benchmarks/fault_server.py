"""A fault-injecting OpenAI-compatible server on 127.0.0.1, for the bad-input matrix.

Modes: ``slow`` (accepts, reads the request, never answers), ``429`` and ``500`` (every
request answered with that status), ``truncated`` (a 200 whose JSON body is cut in half).
``GET /models`` (the backend's up-front probe) answers like any request of the mode, so a
server that is down for the probe is down for the run too.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("slow", "429", "500", "truncated")
_ANSWER = json.dumps({"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": "def f():\n    return 1\n"}, "finish_reason": "stop"}]})


def _handler(mode: str, stop: threading.Event) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if mode == "slow":
                stop.wait(600)  # hold the connection until the server is shut down
                return
            if mode in ("429", "500"):
                body = json.dumps({"error": {"message": f"injected {mode}"}}).encode()
                self.send_response(int(mode))
                if mode == "429":
                    self.send_header("Retry-After", "1")
            else:
                body = _ANSWER.encode()[: len(_ANSWER) // 2]
                self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = _answer  # noqa: N815 (http.server's naming)
        do_POST = _answer  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def fault_server(mode: str) -> Iterator[str]:
    """The server's base URL (``http://127.0.0.1:PORT/v1``) while the block runs."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: one of {MODES}")
    stop = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(mode, stop))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        time.sleep(0.01)


def unused_port() -> int:
    """A port nothing listens on (bound, then closed)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
