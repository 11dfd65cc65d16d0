"""Any OpenAI-compatible server (vLLM, llama.cpp server, Ollama) over HTTP.

Constraints are passed the way those servers accept them: ``grammar`` (llama.cpp)
and ``response_format`` with a JSON schema (llama.cpp, vLLM, Ollama). A ``prefill``
cannot be forced through the chat API portably, so it is stated in the prompt and
callers parse answers defensively either way.

A request's deadline bounds every HTTP attempt (a stalled server cannot overrun the
budget: DeadlinePassed) and caps max_tokens by the rate measured on earlier answers.
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

from codeloop.core.redact import Redactor
from codeloop.errors import UsageError
from codeloop.models.base import Completion, CompletionRequest, DeadlinePassed, MalformedAnswer

_RETRIABLE = {408, 409, 429, 500, 502, 503, 504}


class OpenAIBackend:
    name = "openai"

    def __init__(
        self,
        base_url: str | None = None,
        model_name: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 120.0,
        retries: int = 3,
        context_size: int = 8192,
        **_: Any,
    ) -> None:
        if not base_url:
            raise UsageError("--backend openai needs --base-url, e.g. http://127.0.0.1:8000/v1")
        self.base_url = base_url.rstrip("/")
        self.model_name = model_name or "default"
        self.api_key = os.environ.get(api_key_env, "")
        self.timeout = timeout
        self.retries = retries
        self._context_size = context_size
        self.tokens_per_second = 0.0  # measured on earlier answers (prompt time included)
        self._redactor = Redactor()

    @property
    def context_size(self) -> int:
        return self._context_size

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)  # servers differ; an estimate is enough for budgeting

    def _post(self, path: str, body: dict[str, Any], deadline: float | None = None) -> dict[str, Any]:
        import httpx

        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        delay = 0.5
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            timeout = self.timeout
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DeadlinePassed(f"no answer from {self.base_url} before the deadline")
                timeout = min(timeout, left)
            try:
                response = httpx.post(
                    f"{self.base_url}{path}", json=body, headers=headers, timeout=timeout
                )
                if response.status_code in _RETRIABLE and attempt < self.retries:
                    last = RuntimeError(f"HTTP {response.status_code}")
                elif response.status_code >= 400:
                    tries = f" after {attempt + 1} tries" if attempt else ""
                    raise MalformedAnswer(f"{self.base_url}{path} answered HTTP {response.status_code}{tries}{_hint(response.status_code)}")
                else:
                    return _json_object(response.content)
            except httpx.DecodingError as exc:  # a body its Content-Encoding cannot undo
                raise MalformedAnswer(f"the server's answer cannot be decoded ({exc})") from None
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                last = exc
                if deadline is not None and time.monotonic() >= deadline:
                    raise DeadlinePassed(f"no answer from {self.base_url} before the deadline") from None
            if attempt < self.retries:
                time.sleep(delay if deadline is None else min(delay, max(0.0, deadline - time.monotonic())))
                delay *= 2
        if isinstance(last, (httpx.TransportError, httpx.TimeoutException)):
            raise UsageError(
                f"cannot reach the model server at {self.base_url} ({type(last).__name__}) after {self.retries + 1} tries: "
                "start it or pass the right --base-url"
            )
        raise MalformedAnswer(f"{self.base_url}{path} answered {last} after {self.retries + 1} tries{_hint(_status(last))}")

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
        result = Completion(texts=[])
        started = time.perf_counter()
        for i in range(request.n):
            if result.texts and request.deadline is not None and time.monotonic() >= request.deadline:
                break  # the samples drawn so far; the caller's budget is spent
            body["seed"] = request.seed + i
            body["max_tokens"] = self._max_tokens(request)
            data = self._post("/chat/completions", body, request.deadline)
            text, finish_reason = _choice(data)
            text = self._redactor.restore(text)
            if request.prefill and text.startswith(request.prefill):
                text = text[len(request.prefill) :]
            result.texts.append(text)
            result.finish_reasons.append(finish_reason)
            prompt_tokens, completion_tokens = _usage(data)
            result.prompt_tokens = prompt_tokens
            result.prompt_tokens_evaluated += prompt_tokens
            result.completion_tokens += completion_tokens
        result.seconds = time.perf_counter() - started
        if result.completion_tokens and result.seconds > 0:
            self.tokens_per_second = result.completion_tokens / result.seconds
        return result

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
