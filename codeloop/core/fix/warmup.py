"""Reading the model tier's prompt while the cheap tier runs.

On a CPU the prompt is the scarce resource: Qwen2.5-Coder-0.5B reads ~15-20 tokens/s
here, so the first answer of a 400-token prompt waits 20-30 s, and routed runs paid
that after the cheap tier had already spent its share. The prompt is known as soon as
the failure is localized, and the cheap tier mostly waits on test processes, so the
model can read it meanwhile; its first draw then reads only its own few tokens (the
KV cache keeps the longest common prefix, models/llama_engine.py).

Only for a local model that can read ahead (a backend with ``prefill``); in small
steps, so the cheap tier's patch scoring, which shares the model, never waits long,
and a run that ends early stops it within one step.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from codeloop.models.base import CompletionRequest

STEP_TOKENS = 32  # 1-3 s on a CPU: the longest anyone (patch scoring, Ctrl-C) waits for the model
# (reading in 16-, 32-, 64- or 320-token batches ran at the same rate here, within noise)


class Warmup:
    """One prompt read ahead in a background thread; ``stop()`` ends it and says how much
    it read (the run's stats count those tokens and seconds like any other)."""

    def __init__(self, prefill: Callable[[CompletionRequest, int], dict[str, Any]], request: CompletionRequest,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._prefill = prefill
        self._request = request
        self._clock = clock
        self._stopping = threading.Event()
        self.finished = threading.Event()  # the whole prompt is read (or reading failed)
        self.evaluated = 0  # prompt tokens read ahead
        self.seconds = 0.0  # time the model spent reading them
        self.error = ""  # why reading stopped early; the tier meets the same cause itself
        self._thread = threading.Thread(target=self._run, name="codeloop-warmup", daemon=True)

    def start(self) -> Warmup:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            deadline = self._request.deadline
            while not self._stopping.is_set() and (deadline is None or self._clock() < deadline):
                step = self._prefill(self._request, STEP_TOKENS)
                self.evaluated += int(step["evaluated"])
                self.seconds += float(step["seconds"])
                if step["left"] <= 0 or step["evaluated"] <= 0:
                    break
        except Exception as exc:  # noqa: BLE001 (a load failure or crash: the tier reports it when it runs)
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.finished.set()

    def stop(self) -> None:
        """Stop after the step under way (at most one), and wait for it."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()
