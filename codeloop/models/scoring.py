"""How natural code looks to a language model: the log-likelihood of a text under it.

Used to rank patches that all pass the tests: a bug fix tends to make code more
natural (more probable under a model of code), an over-fitted patch that merely
satisfies weak tests tends not to ("On the 'Naturalness' of Buggy Code", Ray et al.,
ICSE 2016). Scoring is one forward pass per text, no sampling: with the 135M embedded
model about a hundred tokens cost tens of milliseconds.

A separate llama.cpp context with ``logits_all`` (a row of logits per position, which
generation does not need) sized for one function; texts that share a prefix with the
previous one reuse its KV cache and logits, so scoring N variants of one function costs
little more than scoring one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# A function is scored in this window (tokens); longer texts keep their last part.
_N_CTX = 1024
_CONTEXT = "```python\n"  # what code follows, so the first tokens are not scored cold


class LlamaCppScorer:
    def __init__(self, model_path: str | Path, n_threads: int) -> None:
        self.model_path = Path(model_path)
        self.n_threads = n_threads
        self._llm: Any = None
        # [i]: log P(token i | tokens < i) for the tokens now in the context ([0] unused):
        # a text sharing a prefix with the previous one computes only its new positions.
        self._logprobs: list[float] = []

    def _model(self) -> Any:
        if self._llm is None:
            import llama_cpp

            self._llm = llama_cpp.Llama(
                model_path=str(self.model_path), n_ctx=_N_CTX, n_threads=self.n_threads, logits_all=True, verbose=False
            )
        return self._llm

    def log_likelihood(self, text: str) -> float:
        """Sum over the tokens of ``text`` of log P(token | everything before it)."""
        import numpy as np

        llm = self._model()
        head = llm.tokenize(_CONTEXT.encode("utf-8"), add_bos=True, special=False)
        body = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)[-(_N_CTX - len(head) - 1) :]
        tokens = head + body
        reused = 0
        for old, new in zip(llm.input_ids[: llm.n_tokens].tolist(), tokens):
            if old != new:
                break
            reused += 1
        reused = min(reused, len(tokens) - 1)  # at least one token is evaluated
        llm.n_tokens = reused
        llm.eval(tokens[reused:])
        # Row i of the logits predicts token i + 1; rows before ``reused`` are unchanged.
        first = max(reused, 1)
        logits = np.asarray(llm.scores[first - 1 : len(tokens) - 1], dtype=np.float64)
        top = logits.max(axis=1, keepdims=True)
        log_norm = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
        picked = logits[np.arange(len(logits)), np.asarray(tokens[first:])]
        self._logprobs = (self._logprobs or [0.0])[:first] + (picked - log_norm).tolist()
        return float(sum(self._logprobs[len(head) :]))
