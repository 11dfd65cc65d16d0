"""The Backend seam: everything model-specific stays behind ``complete``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class CompletionRequest:
    """One prompt, ``n`` samples.

    ``prefill`` is text the assistant's answer is forced to start with (e.g. the
    signature of the function to rewrite); returned texts do NOT include it.
    ``grammar`` is a GBNF grammar for the text after the prefill; ``json_schema``
    constrains the whole answer to JSON. Backends that cannot honour a constraint
    still return text; callers always parse defensively.

    ``deadline`` (a ``time.monotonic()`` value) bounds the call: generation stops there
    (finish reason "deadline"; fewer than ``n`` texts when the time ran out between
    samples), and a call that cannot stop in time raises DeadlinePassed.
    """

    messages: tuple[Message, ...]
    n: int = 1
    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 0.95
    seed: int = 0
    stop: tuple[str, ...] = ()
    prefill: str = ""
    grammar: str | None = None
    json_schema: dict | None = None  # type: ignore[type-arg]
    deadline: float | None = None


@dataclass
class Completion:
    texts: list[str]
    prompt_tokens: int = 0  # tokens in the prompt (counted once per request)
    prompt_tokens_evaluated: int = 0  # prompt tokens the backend actually computed (KV reuse shows here)
    completion_tokens: int = 0
    seconds: float = 0.0
    finish_reasons: list[str] = field(default_factory=list)
    prompt_seconds: float = 0.0  # of ``seconds``, spent evaluating prompts (0: not measured)

    @property
    def tokens_per_second(self) -> float:
        return self.completion_tokens / self.seconds if self.seconds > 0 else 0.0

    @property
    def decode_tokens_per_second(self) -> float:
        """Generation speed without the prompt's evaluation (what a token budget costs)."""
        decoding = self.seconds - self.prompt_seconds
        return self.completion_tokens / decoding if decoding > 0 else 0.0


class Backend(Protocol):
    """A model that completes chat prompts. Implementations live in adapters."""

    name: str

    def complete(self, request: CompletionRequest) -> Completion: ...

    def count_tokens(self, text: str) -> int: ...

    @property
    def context_size(self) -> int: ...


class PromptTooLongError(Exception):
    """The prompt does not fit the model's context; never truncate silently."""


class DeadlinePassed(Exception):
    """A model call could not finish before its request's deadline and was cut off."""


class ModelError(RuntimeError):
    """The model cannot serve the rest of this run (it crashed, or cannot load).

    ``str(exc)`` is one line: what happened and what to do. Commands that can do
    without the model go on and print it; the others stop with it.
    """


class MalformedAnswer(ModelError):
    """The server answered, but not with a usable completion: a body that is not UTF-8 or
    not JSON (an HTML error page, a truncated body), no ``choices``, a lone surrogate in
    the text, or an HTTP error after the retries. The fix loop skips that sample and goes
    on; other commands treat it as any ModelError (one line, then without the model)."""


class ModelCrashed(ModelError):
    """The process running the model died (a signal such as SIGILL, or an exit)."""

    def __init__(self, message: str, signal_name: str = "", exit_code: int | None = None) -> None:
        super().__init__(message)
        self.signal_name = signal_name
        self.exit_code = exit_code


class ModelLoadError(ModelError):
    """llama.cpp refused the model file (not a GGUF, truncated, corrupt, unsupported)."""
