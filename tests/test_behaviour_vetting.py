"""PatchVetting on its own: which functions are probed with which calls, and the graceful
fall-back for methods (a recording probe stands in for the child processes)."""

from codeloop.plugins import language_for_path
from codeloop.core.changes import ChangeSet, FileChange
from codeloop.core.events import PatchesCompared
from codeloop.core.fix.behaviour import PatchVetting, changed_functions, first_changed_line
from codeloop.core.fix.context import Candidate, FixOptions, RepairContext
from codeloop.runners.base import TestFailure, TestReport
from tests.conftest import drive_events

MODULE = (
    "class Account:\n"
    "    def __init__(self, balance):\n"
    "        self.balance = balance\n\n"
    "    def overdrawn(self):\n"
    "        return self.balance == 0\n\n\n"
    "def below_zero(ops):\n"
    "    return sum(ops) == 0\n"
)
TESTS = "from bank import *\n\ndef test_it():\n    assert below_zero([1, -2]) is True\n    assert Account(-1).overdrawn()\n"


def edit(old: str, new: str, origin: str) -> Candidate:
    return Candidate(ChangeSet((FileChange("bank.py", MODULE, MODULE.replace(old, new)),)), "cheap", origin, "bank.py")


def context() -> RepairContext:
    files = {"bank.py": MODULE, "test_bank.py": TESTS}
    baseline = TestReport(False, 1, [TestFailure("test_bank.py::test_it", "assert False", "")], structured=True)
    return RepairContext(FixOptions(), baseline, [], [], files.__getitem__, language_for_path, lambda c: None, 0.0, files=list(files))  # type: ignore[arg-type,return-value]


def run(vetting: PatchVetting, patches: list[Candidate], events: list | None = None):  # type: ignore[no-untyped-def]
    return drive_events(vetting.run(context(), patches[0], patches), (events if events is not None else []).append)


def test_changed_functions_and_lines():
    patch = edit("sum(ops) == 0", "sum(ops) < 0", "a")
    assert first_changed_line(patch.changes.files[0]) == 10
    (target,) = changed_functions([patch], language_for_path)
    assert (target.path, target.qualname) == ("bank.py", "below_zero")


def test_functions_are_probed_next_to_the_tests_arguments():
    seen = []

    def recording_probe(variants, path, calls):  # type: ignore[no-untyped-def]
        seen.append((len(variants), path, list(calls)))
        return [["True"] * len(calls) for _ in variants]

    patches = [edit("sum(ops) == 0", "sum(ops) < 0", "a"), edit("sum(ops) == 0", "sum(ops) <= 0", "b")]
    events: list = []
    result = run(PatchVetting(recording_probe), patches, events)
    ((variants, path, calls),) = seen
    assert variants == 4 and path == "bank.py"  # the original twice, then each patch
    assert "below_zero([])" in calls and "below_zero([1, -2])" not in calls
    assert result.confident and result.inputs == len(calls)
    (compared,) = [e for e in events if isinstance(e, PatchesCompared)]
    assert compared.to_dict() == {"event": "PatchesCompared", "patches": 2, "behaviours": 1, "inputs": len(calls), "chosen": "a", "confidence": 0.9, "disagreements": []}


def test_methods_are_not_probed_and_confidence_comes_from_the_other_signals():
    def failing_probe(variants, path, calls):  # type: ignore[no-untyped-def]
        raise AssertionError("an instance method must not be probed")

    patches = [edit("self.balance == 0", "self.balance < 0", "a"), edit("self.balance == 0", "self.balance <= 0", "b")]
    result = run(PatchVetting(failing_probe), patches)
    assert result.inputs == 0 and not result.confident
    assert "no input could be built" in result.reasons[0]


NESTED = (
    "def count_positive(xs):\n"
    "    def sign(x):\n"
    "        return 1 if x >= 0 else -1\n"
    "    return sum(1 for x in xs if sign(x) > 0)\n"
)


def test_a_change_in_a_nested_helper_is_probed_through_the_function_that_defines_it():
    # The helper cannot be called from outside; its caller can, and shows its behaviour.
    patch = Candidate(ChangeSet((FileChange("nums.py", NESTED, NESTED.replace("x >= 0", "x > 0")),)), "cheap", "a", "nums.py")
    (target,) = changed_functions([patch], language_for_path)
    assert (target.path, target.qualname) == ("nums.py", "count_positive")
    assert target.source.startswith("def count_positive(xs):")


def test_a_nested_helper_of_a_method_stays_unprobed():
    source = "class Box:\n    def total(self):\n        def half(x):\n            return x / 2\n        return half(self.n)\n"
    patch = Candidate(ChangeSet((FileChange("box.py", source, source.replace("x / 2", "x // 2")),)), "cheap", "a", "box.py")
    (target,) = changed_functions([patch], language_for_path)
    assert target.qualname == "Box.total.half"  # no caller from outside: the innermost, which yields no input
