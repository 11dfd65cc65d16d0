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


@dataclass
class Completion:
    texts: list[str]
    prompt_tokens: int = 0  # tokens in the prompt (counted once per request)
    prompt_tokens_evaluated: int = 0  # prompt tokens the backend actually computed (KV reuse shows here)
    completion_tokens: int = 0
    seconds: float = 0.0
    finish_reasons: list[str] = field(default_factory=list)

    @property
    def tokens_per_second(self) -> float:
        return self.completion_tokens / self.seconds if self.seconds > 0 else 0.0


class Backend(Protocol):
    """A model that completes chat prompts. Implementations live in adapters."""

    name: str

    def complete(self, request: CompletionRequest) -> Completion: ...

    def count_tokens(self, text: str) -> int: ...

    @property
    def context_size(self) -> int: ...


class PromptTooLongError(Exception):
    """The prompt does not fit the model's context; never truncate silently."""
