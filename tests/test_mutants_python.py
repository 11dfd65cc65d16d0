"""Golden before/after tests for each Python mutation operator of the cheap tier."""

import pytest

from codeloop.analysis.functions import parse
from codeloop.analysis.python_lang import PYTHON
from codeloop.core.fix.mutants.python import generate


def mutated(source: str, lines=None) -> dict[str, set[str]]:
    """kind -> the mutated sources it produces."""
    data = source.encode()
    root = parse(PYTHON, data).root_node
    wanted = lines or range(1, source.count("\n") + 2)
    out: dict[str, set[str]] = {}
    for m in generate(root, data, wanted):
        out.setdefault(m.kind, set()).add(m.apply(data).decode())
    return out


GOLDEN = [
    ("comparison", "def f(a, b):\n    return a < b\n", "def f(a, b):\n    return a <= b\n"),
    ("comparison", "def f(x, y):\n    return x in y\n", "def f(x, y):\n    return x not in y\n"),
    ("comparison", "def f(x):\n    return x is not None\n", "def f(x):\n    return x is None\n"),
    ("arithmetic", "def f(a, b):\n    return a - b\n", "def f(a, b):\n    return a + b\n"),
    ("arithmetic", "def f(a, b):\n    return a // b\n", "def f(a, b):\n    return a / b\n"),
    ("arithmetic", "def f(xs):\n    t = 0\n    for x in xs:\n        t -= x\n    return t\n", "def f(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t\n"),
    ("boolean", "def f(a, b):\n    return a and b\n", "def f(a, b):\n    return a or b\n"),
    ("drop-condition", "def f(a, b):\n    return a and b\n", "def f(a, b):\n    return a\n"),
    ("negate", "def f(x):\n    if x:\n        return 1\n    return 2\n", "def f(x):\n    if not (x):\n        return 1\n    return 2\n"),
    ("negate", "def f(x):\n    return not x\n", "def f(x):\n    return x\n"),
    ("negate", "def f(x):\n    while x > 0:\n        x -= 1\n    return x\n", "def f(x):\n    while not (x > 0):\n        x -= 1\n    return x\n"),
    ("constant", "def f(n):\n    return list(range(1, n))\n", "def f(n):\n    return list(range(0, n))\n"),
    ("constant", "def f():\n    return True\n", "def f():\n    return False\n"),
    ("off-by-one", "def f(a):\n    return list(range(len(a)))\n", "def f(a):\n    return list(range(len(a) - 1))\n"),
    ("off-by-one", "def f(a, i):\n    return a[i]\n", "def f(a, i):\n    return a[i + 1]\n"),
    ("off-by-one", "def f(a, n):\n    return a[:n]\n", "def f(a, n):\n    return a[:n + 1]\n"),
    ("swap-arguments", "def f(a, b):\n    return pow(a, b)\n", "def f(a, b):\n    return pow(b, a)\n"),
    ("swap-operands", "def f(a, b):\n    return a - b\n", "def f(a, b):\n    return b - a\n"),
    ("drop-operand", "def f(a, b):\n    return a + b + 1\n", "def f(a, b):\n    return a + b\n"),
    ("function", "def f(xs):\n    return max(xs)\n", "def f(xs):\n    return min(xs)\n"),
    ("function", "def f(s):\n    return s.lower()\n", "def f(s):\n    return s.upper()\n"),
    ("variable", "def f(a, b):\n    c = a * 2\n    return a\n", "def f(a, b):\n    c = a * 2\n    return c\n"),
    ("wrap-call", "def f(a, b):\n    return a - b < 1\n", "def f(a, b):\n    return abs(a - b) < 1\n"),
    ("variable", "def f(xs):\n    m = sum(xs)\n    return m / m\n", "def f(xs):\n    m = sum(xs)\n    return m / len(xs)\n"),
    ("missing-return", "def f(xs):\n    out = sorted(xs)\n", "def f(xs):\n    out = sorted(xs)\n    return out\n"),
]


@pytest.mark.parametrize("kind,before,after", GOLDEN, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(GOLDEN)])
def test_operator_golden(kind, before, after):
    produced = mutated(before).get(kind, set())
    assert after in produced, sorted(produced)


def test_every_mutant_parses_and_differs():
    source = "def f(a, b):\n    if a < b and not a:\n        return [x + 1 for x in range(b)][a:b]\n    return max(a, b) - 1\n"
    for kind, outs in mutated(source).items():
        for out in outs:
            assert out != source
            compile(out, "m.py", "exec")  # tree-sitter-valid and Python-valid


def test_only_requested_lines_are_mutated():
    source = "def f(a, b):\n    x = a + b\n    return x - 1\n"
    for outs in mutated(source, lines=[3]).values():
        for out in outs:
            assert out.splitlines()[1] == "    x = a + b"


def test_variable_misuse_never_touches_attributes_calls_or_keywords():
    source = "def f(obj, key):\n    return obj.key(key=obj)\n"
    outs = mutated(source).get("variable", set())
    for out in outs:
        line = out.splitlines()[1]
        assert ".key(key=" in line  # attribute name, callee and keyword stay
    assert "def f(obj, key):\n    return key.key(key=obj)\n" in outs
