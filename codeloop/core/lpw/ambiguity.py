"""ClarifyGPT-style ambiguity detection: passing programs that disagree on other inputs.

Inputs come from hypothesis, drawn for the signature's annotations (or, without
annotations, for the types of the visible examples' arguments), derandomized so a
run is reproducible. Programs that all pass the visible tests yet return different
things for one of those inputs mean the requirement is ambiguous there: that input
and the differing outputs make a targeted question for the user.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass
from typing import Any

from codeloop.core.lpw.spec import Example, Spec

_SMALL_TEXT = "abcxyzAB 019_-"


@dataclass(frozen=True)
class Disagreement:
    call: str  # the input, as a call: "f(3)"
    answers: tuple[tuple[str, int], ...]  # (output, how many programs give it), most common first
    majority: int  # index of the program the majority behaviour picks
    behaviours: int  # how many behaviourally different programs there are

    def to_dict(self) -> dict[str, Any]:
        return {"input": self.call, "answers": [{"output": o, "programs": n} for o, n in self.answers],
                "behaviours": self.behaviours}


def _strategy_for_annotation(node: ast.expr | None) -> Any:
    from hypothesis import strategies as st

    if node is None:
        return None
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    simple = {
        "int": st.integers(-20, 100),
        "float": st.floats(-100, 100, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 2)),
        "str": st.text(_SMALL_TEXT, max_size=8),
        "bool": st.booleans(),
    }
    if name in simple:
        return simple[name]
    if isinstance(node, ast.Subscript):
        outer = node.value.id if isinstance(node.value, ast.Name) else getattr(node.value, "attr", "")
        args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        inner = [_strategy_for_annotation(a) for a in args]
        if outer.lower() in ("list", "sequence", "iterable") and inner[0] is not None:
            return st.lists(inner[0], max_size=6)
        if outer.lower() == "tuple" and all(s is not None for s in inner):
            return st.tuples(*inner)
        if outer.lower() == "dict" and len(inner) == 2 and None not in inner:
            return st.dictionaries(inner[0], inner[1], max_size=4)
        if outer == "Optional" and inner[0] is not None:
            return st.none() | inner[0]
    return None


def _strategy_for_value(value: object) -> Any:
    from hypothesis import strategies as st

    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers(-20, 100)
    if isinstance(value, float):
        return st.floats(-100, 100, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 2))
    if isinstance(value, str):
        return st.text(_SMALL_TEXT, max_size=8)
    if isinstance(value, (list, tuple)) and value:
        inner = _strategy_for_value(value[0])
        if inner is not None:
            return st.lists(inner, max_size=6).map(type(value))
    if isinstance(value, (list, tuple)):
        return st.lists(st.integers(-20, 100), max_size=6).map(type(value))
    return None


def _example_arguments(spec: Spec) -> list[object] | None:
    for example in spec.examples:
        try:
            call = ast.parse(example.call, mode="eval").body
            if isinstance(call, ast.Call) and not call.keywords:
                return [ast.literal_eval(a) for a in call.args]
        except (SyntaxError, ValueError):
            continue
    return None


def parameter_strategies(spec: Spec) -> list[Any] | None:
    """One strategy per positional parameter, or None when some parameter has no usable type."""
    node = ast.parse(spec.signature + f"{spec.indent}pass\n").body[0]
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    params = [a for a in node.args.posonlyargs + node.args.args if a.arg not in ("self", "cls")]
    from_examples = _example_arguments(spec) or []
    strategies = []
    for i, param in enumerate(params):
        strategy = _strategy_for_annotation(param.annotation)
        if strategy is None and i < len(from_examples):
            strategy = _strategy_for_value(from_examples[i])
        if strategy is None:
            return None
        strategies.append(strategy)
    return strategies


def probe_calls(spec: Spec, count: int = 25) -> list[str]:
    """Up to ``count`` calls of the function on generated inputs (none when types are unknown)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    strategies = parameter_strategies(spec)
    if not strategies:
        return []
    seen: dict[str, None] = {}
    known = {e.call.replace(" ", "") for e in spec.examples}

    @settings(max_examples=count, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), deadline=None)
    @given(st.tuples(*strategies))
    def collect(args: tuple[object, ...]) -> None:
        call = f"{spec.name}({', '.join(repr(a) for a in args)})"
        if call.replace(" ", "") not in known:
            seen.setdefault(call, None)

    collect()
    return list(seen)[:count]


def find_disagreement(calls: list[str], outputs: list[list[str]]) -> Disagreement | None:
    """The most telling input on which passing programs differ, or None when they all agree.

    ``outputs[i][j]`` is program i's output for call j. Inputs where some program
    raises rank last: an input every sensible reading rejects is a poor question.
    """
    if len(outputs) < 2:
        return None
    behaviours = Counter(tuple(row) for row in outputs)
    if len(behaviours) < 2:
        return None
    majority_row = max(behaviours, key=lambda row: (behaviours[row], -outputs.index(list(row))))
    majority = outputs.index(list(majority_row))
    differing = [j for j in range(len(calls)) if len({row[j] for row in outputs}) > 1]
    if not differing:
        return None
    best = min(differing, key=lambda j: (sum(row[j].startswith("raises ") for row in outputs), j))
    answers = Counter(row[best] for row in outputs).most_common()
    return Disagreement(calls[best], tuple(answers), majority, len(behaviours))


def clarified_example(disagreement: Disagreement, answer: str) -> Example:
    """The user's answer as a new visible example."""
    return Example(disagreement.call, answer.strip())
