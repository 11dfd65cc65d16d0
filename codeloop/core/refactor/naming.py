"""The new function's name: the user's, else the model's (grammar-constrained), else a fallback.

The model sees only the selected lines and answers a few tokens after a forced
``def ``; a GBNF grammar keeps the answer to a verb that fits what the code does
(``raise`` -> check/validate, ``open`` -> read/load, ...) plus words of the code itself,
ending in ``(``, so even the 135M embedded model can only produce a plausible name
(left free, it invents non-words such as ``ithop_recur``; given a free verb list, it
says ``compute_`` or ``add_`` to everything).
Every proposal is then checked like a user's: a valid identifier that clashes with
nothing in the file, no keyword and no builtin.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Callable, Sequence
from typing import Any

from codeloop.core.refactor.pyplan import ExtractPlan
from codeloop.models.base import Backend, CompletionRequest, Message

def code_words(code: str, limit: int = 40) -> list[str]:
    """Lower-case words of the identifiers in ``code`` (snake_case and camelCase split)."""
    words: dict[str, None] = {}
    for ident in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code):
        for part in re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", ident).lower().split("_"):
            if len(part) >= 2 and part.isalnum() and part.isascii() and not keyword.iskeyword(part):
                words.setdefault(part, None)
    return list(words)[:limit]


_HINTS = (
    ("raise ", ("check", "validate")),
    ("print(", ("print", "report")),
    ("log", ("log", "report")),
    ("open(", ("read", "load")),
    (".read", ("read", "load")),
    (".write", ("write", "save")),
    ("+=", ("sum", "count")),
    (".append(", ("collect", "build")),
    ("sort", ("sort",)),
    ("split", ("parse", "split")),
    ("self.", ("update",)),
    ("return", ("get", "compute")),
    ("", ("compute", "make")),
)


def verb_hints(code: str) -> list[str]:
    """Verbs that fit what the code visibly does; the model chooses among these only."""
    verbs: dict[str, None] = {}
    for marker, words in _HINTS:
        if marker in code:
            verbs.update(dict.fromkeys(words))
    return list(verbs)


def name_grammar(code: str) -> str:
    """A verb that fits the code, then up to two words taken from the code itself, then ``(``.

    A tiny model left free invents non-words; restricted to this vocabulary it can
    only pick a plausible verb and the nouns the block actually talks about.
    """
    verbs = verb_hints(code)
    nouns = [w for w in code_words(code) if w not in verbs] or ["value"]
    alt = lambda ws: " | ".join(f'"{w}"' for w in ws)  # noqa: E731
    return f'root ::= verb ("_" noun)? ("_" noun)? "("\nverb ::= {alt(verbs)}\nnoun ::= {alt(nouns)}\n'


_GENERIC = {"func", "function", "foo", "bar", "baz", "main", "test", "helper", "do", "f", "fn", "method"}


def taken_names(tree: Any) -> set[str]:
    """Every identifier spelled anywhere in the file: a new def must shadow none of them."""
    found: set[str] = set()
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "identifier":
            found.add(node.text.decode("utf-8", "surrogateescape"))
        stack.extend(node.children)
    return found


def check_name(name: str, taken: set[str]) -> str | None:
    """Why ``name`` cannot be used (None when it can)."""
    if not name.isidentifier():
        return f"{name!r} is not a Python identifier: use letters, digits and underscores, not starting with a digit"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"{name!r} is a Python keyword: choose another name"
    if name in taken:
        return f"{name!r} is already used in this file: choose a name that appears nowhere in it"
    if hasattr(builtins, name):
        return f"{name!r} would shadow the builtin {name}(): choose another name"
    return None


def _unique(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while check_name(name, taken) is not None:
        name, n = f"{base}_{n}", n + 1
    return name


def fallback_name(plan: ExtractPlan, taken: set[str]) -> str:
    """Deterministic: after what the block returns, else after the first thing it calls."""
    if plan.returns:
        base = "compute_" + "_and_".join(r.strip("_").lower() or "value" for r in plan.returns[:2])
        return _unique(base, taken)
    for node in plan.selection.code:
        match = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", node.text.decode("utf-8", "replace"))
        if match and not keyword.iskeyword(match.group(1)):
            return _unique("run_" + re.sub(r"(?<!^)(?=[A-Z])", "_", match.group(1)).lower().strip("_"), taken)
    return _unique("extracted", taken)


# Worked examples, as earlier turns: a small model copies the shape (verb fits the code).
_SHOTS = (
    ("if qty <= 0:\n    raise ValueError(qty)", "def check_qty("),
    ("total = 0\nfor row in rows:\n    total += row.amount", "def sum_amount("),
    ("with open(path) as fh:\n    text = fh.read()", "def read_text("),
)


def _ask(code: str, facts: list[str]) -> str:
    return "Name a function whose body is:\n```python\n" + code + "\n```\n" + " ".join(facts)


def _prompt(code: str, params: Sequence[str], returns: Sequence[str]) -> tuple[Message, ...]:
    facts = []
    if params:
        facts.append("It takes " + ", ".join(params) + ".")
    if returns:
        facts.append("It returns " + ", ".join(returns) + ".")
    messages = [Message("system", "You name Python functions: a verb that says what the code does, then its nouns.")]
    for shot, answer in _SHOTS:
        messages += [Message("user", _ask(shot, [])), Message("assistant", answer)]
    messages.append(Message("user", _ask("\n".join(code.splitlines()[:30]), facts)))
    return tuple(messages)


def model_name(plan: ExtractPlan, code: str, backend: Backend, taken: set[str], samples: int = 4) -> str | None:
    """The most frequent valid, non-clashing name among a few short samples."""
    return propose_name(code, plan.params, plan.returns, backend, lambda n: check_name(n, taken) is None, samples)


def propose_name(
    code: str,
    params: Sequence[str],
    returns: Sequence[str],
    backend: Backend,
    acceptable: Callable[[str], bool],
    samples: int = 4,
) -> str | None:
    """The model's snake_case name for ``code`` (any language), if one is ``acceptable``."""
    request = CompletionRequest(
        messages=_prompt(code, params, returns),
        n=samples,
        max_tokens=12,
        temperature=0.5,
        seed=0,
        prefill="def ",
        grammar=name_grammar(code),
    )
    completion = backend.complete(request)
    votes: dict[str, int] = {}
    for answer in completion.texts:
        name = answer.strip().split("(")[0].strip()
        if name and name not in _GENERIC and acceptable(name):
            votes[name] = votes.get(name, 0) + 1
    return max(votes, key=lambda n: votes[n]) if votes else None
