"""Any OpenAI-compatible server (vLLM, llama.cpp server, Ollama) over HTTP, or a pool of them.

Constraints are passed the way those servers accept them: ``grammar`` (llama.cpp)
and ``response_format`` with a JSON schema (llama.cpp, vLLM, Ollama). A ``prefill``
cannot be forced through the chat API portably, so it is stated in the prompt and
callers parse answers defensively either way.

A request's deadline bounds every HTTP attempt (a stalled server cannot overrun the
budget: DeadlinePassed) and caps max_tokens by the rate measured on earlier answers.

Several base URLs make a pool (``codeloop.models.pool`` decides which server takes each
request): the ``n`` samples of a request, and requests handed to ``submit``, run at
once up to ``server_slots`` per server; a request that fails on one server (refused,
reset, 5xx, timeout) goes to another within the time left.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from codeloop.errors import UsageError
from codeloop.models.base import Completion, CompletionRequest, DeadlinePassed
from codeloop.models.pool import Pick, ServerPool, split_urls

_RETRIABLE = {408, 409, 429, 500, 502, 503, 504}
_CHECK_TIMEOUT_S = 2.0  # a health check is a GET of /models: a live server answers at once


class _Unreachable(Exception):
    """An attempt that did not get an HTTP answer (refused, reset, timed out, failed check)."""


class OpenAIBackend:
    name = "openai"

    def __init__(
        self,
        base_url: str | Iterable[str] | None = None,
        model_name: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 120.0,
        retries: int = 3,
        context_size: int = 8192,
        server_slots: int = 1,
        down_seconds: float = 30.0,
        **_: Any,
    ) -> None:
        urls = split_urls(base_url) if base_url else []
        if not urls:
            raise UsageError("--backend openai needs --base-url, e.g. http://127.0.0.1:8000/v1")
        self.urls = urls
        self.base_url = urls[0]
        self.model_name = model_name or "default"
        self.api_key = os.environ.get(api_key_env, "")
        self.timeout = timeout
        self.retries = retries
        self._context_size = context_size
        self.tokens_per_second = 0.0  # measured on earlier answers (prompt time included)
        self.pool = ServerPool(urls, slots=server_slots, down_seconds=down_seconds)
        self._books = threading.Condition()  # guards self.pool: samples run in threads
        self._http: Any = None  # one httpx.Client: kept-alive connections, one TLS setup

    @property
    def context_size(self) -> int:
        return self._context_size

    @property
    def parallelism(self) -> int:
        """Requests worth having in flight at once (callers sample ahead up to this)."""
        return self.pool.capacity

    def servers(self) -> list[dict[str, object]]:
        with self._books:
            return self.pool.snapshot(time.monotonic())

    def _client(self) -> Any:
        import httpx

        with self._books:
            if self._http is None:
                self._http = httpx.Client()
            return self._http

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)  # servers differ; an estimate is enough for budgeting

    # -- one request, with failover ----------------------------------------------------
    def _post(self, path: str, body: dict[str, Any], deadline: float | None = None) -> dict[str, Any]:
        import httpx

        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        delay = 0.5
        last: Exception | None = None
        tried: list[str] = []  # servers this request failed on: the next attempt goes elsewhere
        for attempt in range(self.retries + 1):
            pick = self._acquire(deadline, tried)
            if pick is None:
                break  # every server is marked down
            try:
                timeout = self._time_for(deadline, self.timeout)
                if pick.check_first:
                    self._check(pick.url, min(_CHECK_TIMEOUT_S, timeout))
                response = self._client().post(f"{pick.url}{path}", json=body, headers=headers, timeout=self._time_for(deadline, self.timeout))
            except (httpx.TransportError, httpx.TimeoutException, _Unreachable) as exc:
                if deadline is not None and time.monotonic() >= deadline:
                    self._finished(pick.url, None)  # our deadline cut it: no verdict on the server
                    raise DeadlinePassed(f"no answer from {self._where()} before the deadline") from None
                self._finished(pick.url, False)
                last = exc
            except DeadlinePassed:
                self._finished(pick.url, None)
                raise
            else:
                answered = response.status_code not in _RETRIABLE
                self._finished(pick.url, answered)
                if answered or attempt == self.retries:
                    response.raise_for_status()
                    return response.json()  # type: ignore[no-any-return]
                last = RuntimeError(f"HTTP {response.status_code} from {pick.url}")
            tried.append(pick.url)
            if attempt < self.retries and not self._usable(tried):
                # Every live server failed this request once: back off, then try them again.
                tried.clear()
                time.sleep(delay if deadline is None else min(delay, max(0.0, deadline - time.monotonic())))
                delay *= 2
        if last is None or isinstance(last, (httpx.TransportError, httpx.TimeoutException, _Unreachable)):
            raise UsageError(
                f"cannot reach the model server at {self._where()} ({type(last).__name__ if last else 'marked down'}) "
                f"after {self.retries + 1} tries: start it or pass the right --base-url"
            )
        raise ConnectionError(f"{self._where()}{path} failed after {self.retries + 1} tries: {last}")

    def _where(self) -> str:
        return self.urls[0] if len(self.urls) == 1 else ", ".join(self.urls)

    @staticmethod
    def _time_for(deadline: float | None, timeout: float) -> float:
        if deadline is None:
            return timeout
        left = deadline - time.monotonic()
        if left <= 0:
            raise DeadlinePassed("the deadline passed before the request went out")
        return min(timeout, left)

    def _acquire(self, deadline: float | None, tried: list[str]) -> Pick | None:
        """A free slot on a server this request has not failed on (any live one when it
        failed on all); waits while all are busy, up to the deadline. None: all are down."""
        with self._books:
            while True:
                now = time.monotonic()
                exclude = tried if self.pool.usable(now, tried) else []
                pick = self.pool.pick(now, exclude)
                if pick is not None:
                    return pick
                if not self.pool.usable(now):
                    return None
                if deadline is not None and now >= deadline:
                    raise DeadlinePassed(f"every server of {self._where()} was busy until the deadline")
                self._books.wait(timeout=1.0 if deadline is None else min(1.0, deadline - now))

    def _usable(self, tried: list[str]) -> bool:
        with self._books:
            return bool(self.pool.usable(time.monotonic(), tried))

    def _finished(self, url: str, ok: bool | None) -> None:
        """``ok`` None: no verdict on the server (our own deadline cut the attempt)."""
        with self._books:
            if ok is None:
                self.pool.release(url)
            else:
                self.pool.finished(url, ok, time.monotonic())
            self._books.notify_all()

    def _check(self, url: str, timeout: float) -> None:
        """GET /models: any HTTP answer below 500 means the server is up (even 401/404)."""
        import httpx

        try:
            ok = self._client().get(f"{url}/models", timeout=timeout).status_code < 500
        except (httpx.TransportError, httpx.TimeoutException):
            ok = False
        if not ok:  # counted as this attempt's failure by the caller
            raise _Unreachable(f"{url} failed its health check")
        with self._books:
            self.pool.checked(url, True, time.monotonic())

    # -- many requests at once -------------------------------------------------------
    def submit(self, request: CompletionRequest) -> Future[Completion]:
        """``complete`` in a background thread, so callers can keep the pool busy. The
        thread is a daemon: an answer nobody waits for any more cannot hold up exit."""
        future: Future[Completion] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(self.complete(request))
            except BaseException as exc:  # handed to the caller by future.result()
                future.set_exception(exc)

        threading.Thread(target=run, daemon=True, name="codeloop-openai").start()
        return future

    def complete(self, request: CompletionRequest) -> Completion:
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        if request.prefill:
            # With a grammar the answer is forced to be the continuation itself; without
            # one, ask for the whole code starting with the prefill (parsed either way).
            ask = "Write only the code that continues it" if request.grammar else "Start your answer with"
            messages[-1] = {
                "role": messages[-1]["role"],
                "content": messages[-1]["content"] + f"\n\n{ask}:\n{request.prefill}",
            }
        body: dict[str, Any] = {
            "model": self.model_name,
            "messages": messages,
            "max_tokens": self._max_tokens(request),
            "temperature": request.temperature,
            "top_p": request.top_p,
            "seed": request.seed,
        }
        if request.stop:
            body["stop"] = list(request.stop)
        if request.grammar:
            body["grammar"] = request.grammar  # llama.cpp's server honours GBNF; others ignore it
        if request.json_schema is not None:
            body["response_format"] = {
                "type": "json_object",
                "schema": request.json_schema,
            }
        started = time.perf_counter()
        outcomes = self._samples(request, body)
        result = Completion(texts=[])
        for outcome in outcomes:
            if isinstance(outcome, DeadlinePassed):
                continue  # the time ran out before this sample; the others stand
            if isinstance(outcome, BaseException):
                raise outcome
            choice = outcome["choices"][0]
            text = choice["message"].get("content") or ""
            if request.prefill and text.startswith(request.prefill):
                text = text[len(request.prefill) :]
            result.texts.append(text)
            result.finish_reasons.append(choice.get("finish_reason") or "")
            usage = outcome.get("usage") or {}
            result.prompt_tokens = int(usage.get("prompt_tokens", 0))
            result.prompt_tokens_evaluated += int(usage.get("prompt_tokens", 0))
            result.completion_tokens += int(usage.get("completion_tokens", 0))
        if not result.texts:
            raise next(o for o in outcomes if isinstance(o, DeadlinePassed))
        result.seconds = time.perf_counter() - started
        return result

    def _samples(self, request: CompletionRequest, body: dict[str, Any]) -> list[dict[str, Any] | BaseException]:
        """Each sample's answer (or why it has none), in seed order whatever the order they
        finished in: up to the pool's capacity at once."""

        def one(i: int) -> dict[str, Any] | BaseException:
            mine = {**body, "seed": request.seed + i, "max_tokens": self._max_tokens(request)}
            started = time.perf_counter()
            try:
                data = self._post("/chat/completions", mine, request.deadline)
            except Exception as exc:  # noqa: BLE001 (sorted out by complete, in order)
                return exc
            tokens = int((data.get("usage") or {}).get("completion_tokens", 0))
            seconds = time.perf_counter() - started
            if tokens and seconds > 0:
                self.tokens_per_second = tokens / seconds  # one request's rate: what a deadline fits
            return data

        width = min(request.n, self.pool.capacity)
        if width <= 1:
            outcomes: list[dict[str, Any] | BaseException] = []
            for i in range(request.n):
                if outcomes and request.deadline is not None and time.monotonic() >= request.deadline:
                    break  # the samples drawn so far; the caller's budget is spent
                outcomes.append(one(i))
                if isinstance(outcomes[-1], BaseException) and not isinstance(outcomes[-1], DeadlinePassed):
                    break
            return outcomes
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="codeloop-sample") as workers:
            return list(workers.map(one, range(request.n)))

    def _max_tokens(self, request: CompletionRequest) -> int:
        """The request's max_tokens, capped by what the measured rate fits in the time left."""
        if request.deadline is None or self.tokens_per_second <= 0:
            return request.max_tokens
        left = max(0.0, request.deadline - time.monotonic())
        return max(1, min(request.max_tokens, int(left * self.tokens_per_second)))
