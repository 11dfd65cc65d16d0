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

import json
import os
import re
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from codeloop.core.redact import Redactor
from codeloop.errors import UsageError
from codeloop.models.base import Completion, CompletionRequest, DeadlinePassed, MalformedAnswer
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
        self._redactor = Redactor()

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
            except httpx.DecodingError as exc:  # a body its Content-Encoding cannot undo
                self._finished(pick.url, True)  # the server answered; the answer is bad
                raise MalformedAnswer(f"the server's answer cannot be decoded ({exc})") from None
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
                    if response.status_code >= 400:
                        tries = f" after {attempt + 1} tries" if attempt else ""
                        raise MalformedAnswer(f"{pick.url}{path} answered HTTP {response.status_code}{tries}{_hint(response.status_code)}")
                    return _json_object(response.content)
                last = RuntimeError(f"HTTP {response.status_code}")
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
        raise MalformedAnswer(f"{self._where()}{path} answered {last} after {self.retries + 1} tries{_hint(_status(last))}")

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
        # Secret-looking values never leave the machine (core/redact.py): they go out as
        # placeholders and come back as themselves. A grammar is built from the same code
        # one character per rule, where no placeholder can stand in: with a secret in the
        # prompt, the request goes without its grammar (answers are parsed defensively).
        contents = [self._redactor.redact(m.content) for m in request.messages]
        prefill = self._redactor.redact(request.prefill)
        redacted = contents != [m.content for m in request.messages] or prefill != request.prefill
        redacted = redacted or self._redactor.redact(request.grammar or "") != (request.grammar or "")
        grammar = None if redacted else request.grammar
        messages = [{"role": m.role, "content": content} for m, content in zip(request.messages, contents)]
        if prefill:
            # With a grammar the answer is forced to be the continuation itself; without
            # one, ask for the whole code starting with the prefill (parsed either way).
            ask = "Write only the code that continues it" if grammar else "Start your answer with"
            messages[-1] = {
                "role": messages[-1]["role"],
                "content": messages[-1]["content"] + f"\n\n{ask}:\n{prefill}",
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
            body["stop"] = [self._redactor.redact(stop) for stop in request.stop]
        if grammar:
            body["grammar"] = grammar  # llama.cpp's server honours GBNF; others ignore it
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
            text, finish_reason = _choice(outcome)
            text = self._redactor.restore(text)
            if request.prefill and text.startswith(request.prefill):
                text = text[len(request.prefill) :]
            result.texts.append(text)
            result.finish_reasons.append(finish_reason)
            prompt_tokens, completion_tokens = _usage(outcome)
            result.prompt_tokens = prompt_tokens
            result.prompt_tokens_evaluated += prompt_tokens
            result.completion_tokens += completion_tokens
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
            tokens = _usage(data)[1]
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


# -- answers are untrusted input: anything unexpected is a MalformedAnswer, never a crash --
_SURROGATE = re.compile("[\ud800-\udfff]")


def _status(error: Exception | None) -> int:
    match = re.fullmatch(r"HTTP (\d+)", str(error))
    return int(match.group(1)) if match else 0


def _hint(status: int) -> str:
    if status in (401, 403):
        return ": check the API key (--api-key-env)"
    if status == 404:
        return ": check --base-url and --model-name"
    if status == 429:
        return ": the server is rate-limiting; try again later or lower --samples"
    return ""


def _json_object(content: bytes) -> dict[str, Any]:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedAnswer(f"the server's answer is not UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(text)
    except ValueError:
        shown = " ".join(text[:60].split())
        raise MalformedAnswer(f"the server's answer is not JSON ({len(content)} bytes: {shown!r})") from None
    if not isinstance(data, dict):
        raise MalformedAnswer(f"the server's answer is JSON but not an object ({type(data).__name__})")
    return data


def _choice(data: dict[str, Any]) -> tuple[str, str]:
    """(the first choice's text, its finish reason)."""
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        error = data.get("error")
        why = f": {str(error.get('message', error) if isinstance(error, dict) else error)[:120]}" if error else ""
        raise MalformedAnswer(f"the server's answer has no choices{why}")
    choice = choices[0]
    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(message, dict):
        raise MalformedAnswer("the server's answer has a choice without a message")
    text = message.get("content") or ""
    if not isinstance(text, str):
        raise MalformedAnswer(f"the answer's content is not text ({type(text).__name__})")
    if _SURROGATE.search(text):
        # JSON may escape lone surrogates (\ud800); such text cannot be written as UTF-8
        # and, inside codeloop, would stand for raw bytes of a non-UTF-8 file.
        raise MalformedAnswer("the answer's text holds a lone surrogate (not valid Unicode)")
    reason = choice.get("finish_reason")
    return text, reason if isinstance(reason, str) else ""


def _usage(data: dict[str, Any]) -> tuple[int, int]:
    usage = data.get("usage")
    if not isinstance(usage, dict):
        return 0, 0

    def count(key: str) -> int:
        value = usage.get(key, 0)
        return max(0, int(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value and abs(value) < 1e12 else 0

    return count("prompt_tokens"), count("completion_tokens")
