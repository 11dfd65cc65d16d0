"""Visible-test verdicts, and the comparison of an actual output with an expected one."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from codeloop.core.lpw.spec import Example, Spec


@dataclass(frozen=True)
class CheckFailure:
    test: str  # "add(1, 2)" or a pytest node id
    expected: str
    actual: str  # the output, or the error message
    trace: str = ""  # the function's variables, line by line, on the way there (where cheap)


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    failures: tuple[CheckFailure, ...] = ()
    tests: int = 0  # how many visible tests ran

    def describe(self) -> str:
        if self.passed or not self.failures:
            return ""
        f = self.failures[0]
        if f.expected:
            return f"{f.test} returned {f.actual[:200]}, expected {f.expected[:200]}"
        return f"{f.test} fails: {f.actual[:300]}"


# function source (column 0) -> verdict on the visible tests
Checker = Callable[[str], CheckResult]
# (programs, calls) -> outputs[program][call]
CallRunner = Callable[[list[str], list[str]], list[list[str]]]


def _literal(text: str) -> object:
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _NOT_LITERAL


_NOT_LITERAL = object()


def _close(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b and type(a) is type(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and type(a) is type(b):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return a == b


def outputs_match(actual: str, expected: str) -> bool:
    """Doctest's comparison (same text up to whitespace), or equal Python literals."""
    if " ".join(actual.split()) == " ".join(expected.split()):
        return True
    left, right = _literal(actual), _literal(expected)
    if left is _NOT_LITERAL or right is _NOT_LITERAL:
        return False
    return _close(left, right)


def program(spec: Spec, function: str) -> str:
    """The code a candidate runs in: the stub's surroundings, then the function."""
    context = spec.context.rstrip()
    return (context + "\n\n\n" if context else "") + function


def examples_checker(
    spec: Spec,
    run_calls: CallRunner,
    examples: Sequence[Example] | None = None,
    program_for: Callable[[str], str] | None = None,
    tracer: Callable[[str, str], str] | None = None,
) -> Checker:
    """A Checker running the spec's doctest examples through ``run_calls``.

    ``program_for`` turns a function into the program it runs in (default: the spec's
    context followed by the function; a stub in a module passes the whole module).
    ``tracer(program, call)`` records the variables of the first failing call.
    """
    cases = list(spec.examples if examples is None else examples)
    make = program_for or (lambda function: program(spec, function))

    def check(function: str) -> CheckResult:
        if not cases:
            return CheckResult(True, (), 0)
        code = make(function)
        outputs = run_calls([code], [c.call for c in cases])[0]
        failures = tuple(
            CheckFailure(c.call, c.expected, out) for c, out in zip(cases, outputs) if not outputs_match(out, c.expected)
        )
        if failures and tracer is not None:
            first = failures[0]
            failures = (replace(first, trace=tracer(code, first.test)),) + failures[1:]
        return CheckResult(not failures, failures, len(cases))

    return check


def combine(*checkers: Checker) -> Checker:
    """Cheap checkers first: a candidate that fails the doctests never reaches pytest."""

    def check(function: str) -> CheckResult:
        total = 0
        for checker in checkers:
            result = checker(function)
            total += result.tests
            if not result.passed:
                return CheckResult(False, result.failures, total)
        return CheckResult(True, (), total)

    return check
