"""A scripted model, for tests about the loop's own logic only (never about model quality)."""

from __future__ import annotations

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
