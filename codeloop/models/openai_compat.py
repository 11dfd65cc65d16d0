"""Any OpenAI-compatible server (vLLM, llama.cpp server, Ollama) over HTTP.

Constraints are passed the way those servers accept them: ``grammar`` (llama.cpp)
and ``response_format`` with a JSON schema (llama.cpp, vLLM, Ollama). A ``prefill``
cannot be forced through the chat API portably, so it is stated in the prompt and
callers parse answers defensively either way.

A request's deadline bounds every HTTP attempt (a stalled server cannot overrun the
budget: DeadlinePassed) and caps max_tokens by the rate measured on earlier answers.
"""

from __future__ import annotations

import os
import time
from typing import Any

from codeloop.errors import UsageError
from codeloop.models.base import Completion, CompletionRequest, DeadlinePassed

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
                else:
                    response.raise_for_status()
                    return response.json()  # type: ignore[no-any-return]
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
        raise ConnectionError(f"{self.base_url}{path} failed after {self.retries + 1} tries: {last}")

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
        result = Completion(texts=[])
        started = time.perf_counter()
        for i in range(request.n):
            if result.texts and request.deadline is not None and time.monotonic() >= request.deadline:
                break  # the samples drawn so far; the caller's budget is spent
            body["seed"] = request.seed + i
            body["max_tokens"] = self._max_tokens(request)
            data = self._post("/chat/completions", body, request.deadline)
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
            if request.prefill and text.startswith(request.prefill):
                text = text[len(request.prefill) :]
            result.texts.append(text)
            result.finish_reasons.append(choice.get("finish_reason") or "")
            usage = data.get("usage") or {}
            result.prompt_tokens = int(usage.get("prompt_tokens", 0))
            result.prompt_tokens_evaluated += int(usage.get("prompt_tokens", 0))
            result.completion_tokens += int(usage.get("completion_tokens", 0))
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
