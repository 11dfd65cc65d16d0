"""Write the def line for a function described in words (the name is fixed by the caller)."""

from __future__ import annotations

import ast
import re

from codeloop.models.base import Backend, CompletionRequest, Message

# After the prefill "def NAME(": parameters, ")", an optional return annotation, ":".
SIGNATURE_GRAMMAR = 'root ::= [A-Za-z_*] [A-Za-z0-9_,:. \\[\\]*=]{0,70} ")" (" -> " [A-Za-z_] [A-Za-z0-9_, .\\[\\]]{0,30})? ":"\n'


def write_signature(backend: Backend, name: str, description: str, tests: tuple[str, ...] = ()) -> str:
    """``def name(...):`` for the description; ``def name(*args):`` when the answer is unusable."""
    shown = "\n".join(tests)[:500]
    user = (
        f"Task: {description.strip()[:500]}\n"
        + (f"Tests:\n```python\n{shown}\n```\n" if shown else "")
        + f"Write only the def line of the Python function {name}, with type hints."
    )
    prefill = f"```python\ndef {name}("
    request = CompletionRequest(
        messages=(Message("system", "You are an expert Python programmer."), Message("user", user)),
        max_tokens=48, temperature=0.0, prefill=prefill, grammar=SIGNATURE_GRAMMAR,
    )
    text = backend.complete(request).texts[0]
    whole = re.search(rf"def\s+{re.escape(name)}\s*\(.*", text)  # a backend that ignored the prefill
    line = whole.group(0).strip() if whole else f"def {name}({text.split(chr(10))[0]}"
    try:
        ast.parse(line + "\n    pass\n")
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # ValueError: a NUL or a lone surrogate
        return f"def {name}(*args):"
    return line
