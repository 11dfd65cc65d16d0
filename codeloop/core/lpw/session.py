"""The model side of one generation: calls within a token and time budget, counted."""

from __future__ import annotations

import ast
import textwrap
import time
from dataclasses import dataclass

from codeloop.core.edits import FENCE, body_grammar, extract_function
from codeloop.core.lpw.spec import Spec
from codeloop.models.base import Backend, Completion, CompletionRequest, DeadlinePassed, MalformedAnswer, Message, ModelError, PromptTooLongError

MALFORMED_IN_A_ROW = 3  # unusable answers in a row before the model counts as broken


@dataclass
class GenStats:
    llm_calls: int = 0
    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = 0
    completion_tokens: int = 0
    programs: int = 0  # candidate programs run against the visible tests
    plans: int = 0
    plan_revisions: int = 0
    debug_rounds: int = 0
    malformed: int = 0  # answers the server sent that were unusable (skipped as empty samples)


class BudgetSpent(Exception):
    """No tokens or time left: the generation stops with what it has."""


class Session:
    def __init__(self, backend: Backend, token_budget: int, deadline: float, stats: GenStats) -> None:
        self.backend = backend
        self.token_budget = token_budget
        self.deadline = deadline
        self.stats = stats
        self.last: Completion | None = None
        self._in_a_row = 0

    def tokens_left(self) -> int:
        return self.token_budget - self.stats.completion_tokens

    def spent(self) -> bool:
        return self.tokens_left() <= 0 or time.monotonic() >= self.deadline

    def complete(self, messages: tuple[Message, ...], max_tokens: int, n: int = 1, **kw: object) -> list[str]:
        """Texts of ``n`` samples; raises BudgetSpent when nothing is left to spend."""
        if self.spent():
            raise BudgetSpent()
        limit = max(1, min(max_tokens, self.tokens_left() // n))  # n samples share what is left
        request = CompletionRequest(messages=messages, n=n, max_tokens=limit, deadline=self.deadline, **kw)  # type: ignore[arg-type]
        try:
            completion = self.backend.complete(request)
        except (PromptTooLongError, DeadlinePassed):
            raise BudgetSpent() from None
        except MalformedAnswer as exc:
            # A bad answer is a skipped sample (it parses as nothing); a few in a row
            # mean a broken server, which generate reports like a crashed model.
            self.stats.malformed += 1
            self._in_a_row += 1
            if self._in_a_row >= MALFORMED_IN_A_ROW:
                raise ModelError(f"{self._in_a_row} unusable answers in a row from the model server (last: {exc}); check the server and its log") from None
            return [""] * n
        self._in_a_row = 0
        s = self.stats
        s.llm_calls += n
        s.prompt_tokens += completion.prompt_tokens * n
        s.prompt_tokens_evaluated += completion.prompt_tokens_evaluated
        s.completion_tokens += completion.completion_tokens
        self.last = completion
        return completion.texts

    def function(self, spec: Spec, messages: tuple[Message, ...], max_tokens: int, temperature: float, seed: int) -> str | None:
        """One whole function: the header is prefilled, the body constrained by grammar."""
        prefill = f"{FENCE}python\n{spec.header}"
        texts = self.complete(
            messages, max_tokens, temperature=temperature, seed=seed, prefill=prefill, grammar=body_grammar(spec.indent)
        )
        found = salvage_function(texts[0], prefill, spec.name)
        return with_header(spec, found) if found is not None else None


def with_header(spec: Spec, function: str) -> str:
    """The stub's own header on the answer's body: backends that cannot force the prefill
    (OpenAI-compatible servers) may drop the docstring or retouch the signature, and
    generate fills a body; it never rewrites what the user wrote."""
    if function.startswith(spec.header):
        return function
    node = ast.parse(function).body[0]
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    body = node.body[1:] if ast.get_docstring(node) is not None and len(node.body) > 1 else node.body
    lines = function.splitlines(keepends=True)
    start = body[0].lineno - 1
    if body[0].lineno == node.lineno:  # "def f(): return 1": the body shares the def line
        return function
    text = "".join(lines[start:])
    indent = text[: len(text) - len(text.lstrip())]
    text = textwrap.indent(textwrap.dedent(text), spec.indent) if indent != spec.indent else text
    return spec.header + text


def salvage_function(answer: str, prefill: str, name: str) -> str | None:
    """The function from an answer; when the budget cut it mid-line, the longest
    prefix of whole lines that still parses (a truncated small-model answer often
    holds a complete ``return`` before the cut)."""
    found = extract_function(answer, prefill, name)
    if found is not None or FENCE in answer:
        return found
    lines = answer.splitlines(keepends=True)
    for end in range(len(lines) - 1, 0, -1):
        found = extract_function("".join(lines[:end]), prefill, name)
        if found is not None:
            return found
    return None
