"""Probe inputs from signatures and the tests' own literals (pure)."""

from codeloop.core.fix.probe_inputs import mutations, probe_calls, signature_of, literal_arguments

FUNCTION = "def below_zero(operations: list[int], start: int = 0) -> bool:\n    return False\n"
TESTS = """
from solution import *

def check(candidate):
    assert candidate([1, 2, 3]) == False
    assert candidate([1, 2, -4, 5]) == True

def test_example():
    check(below_zero)
"""


def test_signature_of_functions_static_and_class_methods_but_not_instance_methods():
    sig = signature_of(FUNCTION, "below_zero")
    assert sig is not None and sig.params == ("operations", "start") and sig.required == 1
    method = "    def area(self, scale):\n        return 1\n"
    assert signature_of(method, "Shape.area") is None
    static = "    @staticmethod\n    def area(scale):\n        return 1\n"
    assert signature_of(static, "Shape.area").params == ("scale",)  # type: ignore[union-attr]
    klass = "    @classmethod\n    def make(cls, n):\n        return 1\n"
    assert signature_of(klass, "Shape.make").params == ("n",)  # type: ignore[union-attr]
    assert signature_of("def outer():\n    pass\n", "f.outer") is None  # nested


def test_test_arguments_by_name_or_through_a_helpers_parameter():
    assert literal_arguments([TESTS], "below_zero") == [([1, 2, 3],), ([1, 2, -4, 5],)]
    direct = "def test_it():\n    assert mod.below_zero([0]) is False\n    assert below_zero(x) is False\n"
    assert literal_arguments([direct], "below_zero") == [([0],)]  # non-literal arguments are skipped


def test_probe_calls_are_neighbours_of_the_seeds_and_deterministic():
    sig = signature_of(FUNCTION, "below_zero")
    assert sig is not None
    seeds = literal_arguments([TESTS], "below_zero")
    calls = probe_calls(sig, seeds, limit=12)
    assert calls == probe_calls(sig, seeds, limit=12)
    assert len(calls) == 12 and len(set(calls)) == 12
    assert "below_zero([1, 2, 3])" not in calls  # the tests already pin the seeds down
    assert "below_zero([])" in calls and "below_zero([2, 2, -4, 5])" in calls


def test_without_seeds_annotations_give_inputs():
    sig = signature_of("def f(n: int, s: str):\n    pass\n", "f")
    assert sig is not None
    calls = probe_calls(sig, [], limit=10)
    assert calls[0] == "f(0, '')" and len(calls) == 10
    assert probe_calls(signature_of("def g(x):\n    pass\n", "g"), []) == []  # type: ignore[arg-type]


def test_mutations_stay_close():
    assert mutations(3) == [4, 2, 0, -3, 6, 10]
    assert mutations(True) == [False]
    assert "" in mutations("ab") and "ba" in mutations("ab")
    # a character of another class where the string ends: a digit, a trailing space
    assert "a1" in mutations("ab") and "ab " in mutations("ab") and "ba" in mutations("b7")
    assert " " not in mutations("")  # nothing to end differently
    assert [] in mutations([1, 2]) and [2, 1] in mutations([1, 2])
