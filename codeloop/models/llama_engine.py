"""llama.cpp itself: one loaded GGUF, generation and scoring on it (runs in the worker only).

Why these choices:
- The chat prompt is rendered with the GGUF's own chat template, then the caller's
  ``prefill`` is appended, so a small model starts its answer exactly where we need it.
- K samples are drawn one after another from the same prompt: llama-cpp-python keeps
  the KV cache of the longest common token prefix, so the shared prompt is evaluated
  once and each further sample costs only its own tokens (``prompt_tokens_evaluated``
  in the result shows it). ``prefill`` reads a prompt ahead of time, in small steps
  (the fix loop warms the model tier's prompt while the cheap tier runs).
- The context is sized to the prompt (never truncated): too long -> PromptTooLongError.
  Growing it reloads the model, the old one closed first: never two copies in memory.
- Scoring (patch ranking) opens a second, small context on the same weights
  (models/llama_scoring.py) instead of loading the GGUF again.
- A deadline stops generation between tokens, and max_tokens is capped by the decode
  rate measured on earlier calls, so a call ends about when the time does.
"""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path
from typing import Any

from codeloop.errors import UsageError
from codeloop.models.base import Completion, CompletionRequest, ModelLoadError, PromptTooLongError

_MIN_CTX = 2048


def gpu_layers(requested: int | None, offload_supported: bool) -> int:
    """The ``n_gpu_layers`` codeloop passes to llama.cpp: what the user asked for, else
    every layer (-1) when the build can offload at all, else 0 (CPU only)."""
    if requested is not None:
        return requested
    return -1 if offload_supported else 0


def capped_max_tokens(asked: int, seconds_left: float | None, decode_rate: float, prompt_cost: float = 0.0) -> int:
    """``asked``, capped by what the measured decode rate (tokens/s) fits in the time
    left after reading the prompt (``prompt_cost`` seconds, estimated); 0 when no time
    is left. Unmeasured: ``asked`` (the deadline check stops it)."""
    if seconds_left is None:
        return asked
    if seconds_left <= 0:
        return 0
    if prompt_cost > 0 and prompt_cost >= seconds_left:
        return 0  # the prompt alone would not be read in time: not started (killing it costs a reload)
    if decode_rate <= 0:
        return asked
    return max(1, min(asked, int((seconds_left - prompt_cost) * decode_rate)))


def build_info() -> dict[str, Any]:
    """The llama.cpp build this worker runs: version, CPU features, GPU offload."""
    import llama_cpp

    return {
        "llama_cpp_version": getattr(llama_cpp, "__version__", "?"),
        "system_info": llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip(),
        "gpu_offload": bool(llama_cpp.llama_supports_gpu_offload()),
    }


def describe_unloadable(path: Path) -> str:
    """Why llama.cpp refused ``path``, in words a user can act on."""
    try:
        with path.open("rb") as f:
            magic = f.read(4)
        size = path.stat().st_size
    except OSError as exc:
        return f"cannot read {path} ({exc.strerror})"
    if magic != b"GGUF":
        return f"{path} is not a GGUF file (it does not start with the GGUF magic bytes)"
    return f"llama.cpp cannot load {path} ({size} bytes): the GGUF is truncated, corrupt or of an unsupported architecture"


@functools.cache
def _grammar(text: str) -> Any:
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)


class LlamaEngine:
    def __init__(self, model_path: str, n_threads: int, n_gpu_layers: int | None) -> None:
        import llama_cpp

        self.model_path = Path(model_path)
        self.n_threads = n_threads
        self.offload_supported = bool(llama_cpp.llama_supports_gpu_offload())
        self.n_gpu_layers = gpu_layers(n_gpu_layers, self.offload_supported)
        self._llm: Any = None
        self._n_ctx = 0
        self._formatter: Any = None
        self._scorer: Any = None
        self.decode_rate = 0.0  # tokens/s of generation measured on earlier calls
        self.prompt_rate = 0.0  # tokens/s of prompt reading measured on earlier calls
        self._load(_MIN_CTX)
        self.context_limit = self._context_limit()

    # -- loading -------------------------------------------------------------
    def _load(self, n_ctx: int) -> Any:
        import llama_cpp

        if self._llm is not None:  # free the old copy (and the scoring context on it) first
            self._scorer = None
            self._llm.close()
            self._llm = None
        try:
            self._llm = llama_cpp.Llama(
                model_path=str(self.model_path),
                n_ctx=n_ctx,
                n_threads=self.n_threads,
                # Prompt reading and scoring run in batches, on n_threads_batch, which
                # llama-cpp-python sets to every core whatever n_threads says: with other
                # work on the cores (the tests codeloop runs beside it) that overcommits
                # them. Same count as decoding, chosen by idle cores (default_threads).
                n_threads_batch=self.n_threads,
                n_gpu_layers=self.n_gpu_layers,
                verbose=False,
            )
        except ValueError as exc:  # llama-cpp-python's "Failed to load model from file"
            raise ModelLoadError(describe_unloadable(self.model_path)) from exc
        self._n_ctx = n_ctx
        return self._llm

    def _context_limit(self) -> int:
        """The context length the model was trained for (from GGUF metadata)."""
        for key, value in self._llm.metadata.items():
            if key.endswith(".context_length"):
                return int(value)
        return int(self._llm.n_ctx_train())

    def _ensure(self, needed: int) -> Any:
        if needed > self._n_ctx:
            if needed > self.context_limit:
                raise PromptTooLongError(
                    f"prompt plus answer need {needed} tokens but the model's context is {self.context_limit}"
                )
            size = max(_MIN_CTX, -(-needed // 512) * 512)
            self._load(min(size, self.context_limit))
        return self._llm

    def info(self) -> dict[str, Any]:
        """What the parent and ``codeloop doctor`` need to know about the loaded model."""
        from codeloop.models.llama_scoring import scoring_params

        params = self._llm.model_params
        scoring = scoring_params(self._llm)
        return {
            **build_info(),
            "model_path": str(self.model_path),
            "context_limit": self.context_limit,
            "n_threads": self.n_threads,
            "n_threads_batch": int(self._llm.context_params.n_threads_batch),
            # What llama.cpp was given (llama-cpp-python turns -1 into "all layers").
            "n_gpu_layers": self.n_gpu_layers,
            "model_params_n_gpu_layers": int(params.n_gpu_layers),
            "offload_kqv": bool(self._llm.context_params.offload_kqv),
            "scoring_context": {"n_ctx": int(scoring.n_ctx), "n_ubatch": int(scoring.n_ubatch), "offload_kqv": bool(scoring.offload_kqv)},
        }

    # -- tokens --------------------------------------------------------------
    def _chat_prompt(self, request: CompletionRequest) -> str:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = self._llm
        if self._formatter is None:
            template = llm.metadata.get("tokenizer.chat_template")
            if not template:
                raise UsageError(f"{self.model_path.name} has no chat template in its metadata; use an instruct GGUF")
            eos = llm.detokenize([llm.token_eos()]).decode("utf-8", "ignore")
            bos = llm.detokenize([llm.token_bos()]).decode("utf-8", "ignore")
            self._formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        rendered = self._formatter(messages=messages).prompt
        return str(rendered) + request.prefill

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    # -- completion ----------------------------------------------------------
    def complete(self, request: CompletionRequest, seconds_left: float | None) -> Completion:
        import llama_cpp

        deadline = None if seconds_left is None else time.monotonic() + seconds_left
        prompt = self._chat_prompt(request)
        tokens = self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        llm = self._ensure(len(tokens) + request.max_tokens)
        grammar = None
        if request.grammar:
            grammar = _grammar(request.grammar)
        elif request.json_schema is not None:
            from llama_cpp.llama_grammar import json_schema_to_gbnf

            grammar = _grammar(json_schema_to_gbnf(json.dumps(request.json_schema)))
        stopped: list[bool] = []

        def past_deadline(_ids: Any, _logits: Any) -> bool:
            if deadline is not None and time.monotonic() >= deadline:
                stopped.append(True)
                return True
            return False

        result = Completion(texts=[], prompt_tokens=len(tokens))
        evaluated = 0
        started = time.perf_counter()
        for i in range(request.n):
            reused = _common_prefix(list(llm._input_ids), tokens)
            fresh = len(tokens) - min(reused, len(tokens) - 1)
            cost = fresh / self.prompt_rate if self.prompt_rate > 0 else 0.0
            max_tokens = capped_max_tokens(request.max_tokens, None if deadline is None else deadline - time.monotonic(), self.decode_rate, cost)
            if max_tokens == 0:
                break  # no time for another sample: return the ones drawn
            evaluated += fresh
            llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
            stopped.clear()
            out = llm.create_completion(
                prompt=tokens,
                max_tokens=max_tokens,
                temperature=request.temperature,
                top_p=request.top_p,
                seed=request.seed + i,
                stop=list(request.stop) or None,
                grammar=grammar,
                stopping_criteria=llama_cpp.StoppingCriteriaList([past_deadline]) if deadline is not None else None,
            )
            choice = out["choices"][0]
            result.texts.append(choice["text"])
            result.finish_reasons.append("deadline" if stopped else choice.get("finish_reason") or "")
            result.completion_tokens += int(out["usage"]["completion_tokens"])
            perf = llama_cpp.llama_perf_context(llm._ctx.ctx)
            result.prompt_seconds += perf.t_p_eval_ms / 1000.0
            if perf.n_eval > 1 and perf.t_eval_ms > 0:
                self.decode_rate = perf.n_eval / (perf.t_eval_ms / 1000.0)
            if perf.n_p_eval > 16 and perf.t_p_eval_ms > 0:  # a few tokens say little about a long prompt
                self.prompt_rate = perf.n_p_eval / (perf.t_p_eval_ms / 1000.0)
        result.seconds = time.perf_counter() - started
        result.prompt_tokens_evaluated = evaluated
        return result

    def prefill(self, request: CompletionRequest, limit: int) -> dict[str, float]:
        """Read up to ``limit`` more tokens of the request's prompt into the KV cache, so a
        later ``complete`` of it (or of a prompt sharing its start) reads only the rest.

        Small steps, each a call of its own, so a warm-up running beside other work
        never holds the model for long: whoever needs it next waits one step at most.
        The last prompt token is left for ``complete`` (its logits start the answer)."""
        prompt = self._chat_prompt(request)
        tokens = self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        llm = self._ensure(len(tokens) + request.max_tokens)
        reused = _common_prefix(list(llm._input_ids), tokens)
        end = min(len(tokens) - 1, reused + max(0, limit))
        started = time.perf_counter()
        if end > reused:
            import llama_cpp

            llm.n_tokens = reused  # drop what differs; eval clears the KV cache after it
            llm.eval(tokens[reused:end])
            # llama.cpp books a decode in its perf counters only when the context is
            # synchronized (a sampled token does that); without this the next answer's
            # prompt time would include everything since this step started.
            llama_cpp.llama_synchronize(llm._ctx.ctx)
        seconds = time.perf_counter() - started
        if end - reused > 16 and seconds > 0:
            self.prompt_rate = (end - reused) / seconds
        return {"evaluated": end - reused, "left": len(tokens) - 1 - end, "seconds": seconds}

    # -- scoring -------------------------------------------------------------
    def log_likelihood(self, text: str) -> float:
        from codeloop.models.llama_scoring import TokenScorer

        if self._scorer is None:
            self._scorer = TokenScorer(self._llm)
        return float(self._scorer.log_likelihood(text))


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n
