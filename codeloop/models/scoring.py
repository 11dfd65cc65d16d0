"""How natural code looks to a language model: the log-likelihood of a text under it.

Used to rank patches that all pass the tests: a bug fix tends to make code more
natural (more probable under a model of code), an over-fitted patch that merely
satisfies weak tests tends not to ("On the 'Naturalness' of Buggy Code", Ray et al.,
ICSE 2016). Scoring is one forward pass per text, no sampling: with the 135M embedded
model about a hundred tokens cost tens of milliseconds.

The scoring runs in the run's model worker for the GGUF, on a small context of its own
over the weights generation already loaded (models/llama_scoring.py): one copy of the
model per run, and a crash is a ModelCrashed here.
"""

from __future__ import annotations

from pathlib import Path

from codeloop.models.worker import WorkerSettings, shared_worker


_REMEMBERED = 1024  # scores kept per run


class LlamaCppScorer:
    def __init__(self, model_path: str | Path, n_threads: int, n_gpu_layers: int | None = None, deadline: float | None = None) -> None:
        self.model_path = Path(model_path)
        self.worker = shared_worker(WorkerSettings(self.model_path, n_threads, n_gpu_layers))
        self.deadline = deadline  # a time.monotonic() value every call must end by
        # The cheap tier scores a patch while searching and vetting scores it again when
        # comparing: with a code model on a CPU each score costs seconds. Same text, same
        # weights, same number.
        self._known: dict[str, float] = {}

    def log_likelihood(self, text: str) -> float:
        """Sum over the tokens of ``text`` of log P(token | everything before it)."""
        if text not in self._known:
            if len(self._known) >= _REMEMBERED:
                self._known.clear()
            self._known[text] = float(self.worker.call("score", text, self.deadline))
        return self._known[text]
