"""Log-likelihood of code on a small llama.cpp context of its own (runs in the worker).

The scoring context shares the generation model's loaded weights (llama.cpp allows
several contexts per model), so ranking costs a KV cache for one function, not a second
copy of the GGUF. Logits are requested chunk by chunk (``_CHUNK`` positions per decode),
so llama.cpp's output buffer holds ``_CHUNK`` rows of the vocabulary instead of one per
context position: ``logits_all`` on a 1024-token context was 622 MB with a 152k-token
vocabulary (Qwen2.5), this is 39 MB (and the log-softmax works on ``_ROWS`` rows at a time).

Texts that share a prefix with the previous one keep its KV cache and its per-token log
probabilities: only the positions from the first differing token on are evaluated, so
scoring N variants of one function costs little more than scoring one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# A function is scored in this window (tokens); longer texts keep their last part.
N_CTX = 1024
_CHUNK = 64  # positions per decode, each with a row of logits
_ROWS = 8  # rows turned into log-probabilities at a time (float64 temporaries)
_CONTEXT = "```python\n"  # what code follows, so the first tokens are not scored cold


def scoring_params(llm: Any) -> Any:
    """The scoring context's llama_context_params: generation's (flash attention, KV types,
    threads, GPU offload of the KV cache), so scores do not depend on which context
    computed them and GPU offload is the same for both; only the sizes differ."""
    params = type(llm.context_params).from_buffer_copy(llm.context_params)
    params.n_ctx = N_CTX
    params.n_batch = params.n_ubatch = _CHUNK
    return params


class TokenScorer:
    def __init__(self, llm: Any) -> None:
        from llama_cpp import _internals

        params = scoring_params(llm)
        self._llm = llm
        self._n_vocab = int(llm.n_vocab())
        self._ctx = _internals.LlamaContext(model=llm._model, params=params, verbose=False)
        self._batch = _internals.LlamaBatch(n_tokens=_CHUNK, embd=0, n_seq_max=1, verbose=False)
        self._tokens: list[int] = []  # what the KV cache holds, position by position
        # [i]: log P(token i | tokens < i) for the tokens in ``_tokens`` ([0] unused)
        self._logprobs: list[float] = [0.0]

    def log_likelihood(self, text: str) -> float:
        """Sum over the tokens of ``text`` of log P(token | everything before it)."""
        llm = self._llm
        head = llm.tokenize(_CONTEXT.encode("utf-8"), add_bos=True, special=False)
        body = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)[-(N_CTX - len(head) - 1) :]
        tokens = head + body
        reused = 0
        for old, new in zip(self._tokens, tokens):
            if old != new:
                break
            reused += 1
        if reused < len(tokens):
            # Token ``reused`` is predicted by the logits of position ``reused - 1``,
            # which were not kept: that position is evaluated again.
            start = max(reused - 1, 0)
            self._ctx.kv_cache_seq_rm(0, start, -1)
            self._logprobs = self._logprobs[: start + 1] + self._evaluate(tokens, start)
            self._tokens = tokens
        return float(sum(self._logprobs[len(head) : len(tokens)]))

    def _evaluate(self, tokens: list[int], start: int) -> list[float]:
        """log P(tokens[p + 1] | tokens <= p) for p from ``start`` to the last but one."""
        import llama_cpp

        found: list[float] = []
        for first in range(start, len(tokens), _CHUNK):
            chunk = tokens[first : first + _CHUNK]
            self._batch.set_batch(chunk, n_past=first, logits_all=True)
            self._ctx.decode(self._batch)
            rows = np.ctypeslib.as_array(llama_cpp.llama_get_logits(self._ctx.ctx), shape=(len(chunk) * self._n_vocab,))
            logits = rows.reshape(len(chunk), self._n_vocab)
            nxt = tokens[first + 1 : first + 1 + len(chunk)]  # the text's last position predicts nothing scored
            for at in range(0, len(nxt), _ROWS):
                found.extend(_log_probs(logits[at : at + _ROWS], nxt[at : at + _ROWS]))
        return found


def _log_probs(logits: Any, picked: list[int]) -> list[float]:
    """log softmax(row)[token] for each row: float64 on a few rows at a time, so the
    temporaries stay a few MB even with a 152k-token vocabulary."""
    rows = np.asarray(logits[: len(picked)], dtype=np.float64)
    top = rows.max(axis=1, keepdims=True)
    log_norm = top[:, 0] + np.log(np.exp(rows - top).sum(axis=1))
    return (rows[np.arange(len(picked)), np.asarray(picked)] - log_norm).tolist()  # type: ignore[no-any-return]
