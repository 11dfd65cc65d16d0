"""What counts as "the tests pass" for a candidate: every failing test passes by id, nothing
that passed fails, is skipped or vanishes, and no fewer tests run."""

from codeloop.core.fix.validate import shortfall
from codeloop.runners.base import TestFailure, TestReport


def _report(passed: list[str], failed: list[str] = [], skipped: list[str] = [], exit_code: int | None = None, structured: bool = True) -> TestReport:
    code = exit_code if exit_code is not None else (1 if failed else 0)
    return TestReport(
        passed=code == 0,
        exit_code=code,
        failures=[TestFailure(t, "boom", "") for t in failed],
        passed_ids=list(passed),
        skipped_ids=list(skipped),
        structured=structured,
    )


BASELINE = _report(["t.py::test_a", "t.py::test_b"], ["t.py::test_bug"])


def test_all_tests_passing_by_id_is_a_pass():
    assert shortfall(BASELINE, _report(["t.py::test_a", "t.py::test_b", "t.py::test_bug"])) is None


def test_exit_0_without_a_report_is_not_a_pass():
    # os._exit(0) at import: the command "succeeds" and reports nothing.
    assert shortfall(BASELINE, _report([], exit_code=0, structured=False)) == "the test run exited without reporting its tests"


def test_the_failing_test_skipped_is_not_a_pass():
    why = shortfall(BASELINE, _report(["t.py::test_a", "t.py::test_b"], skipped=["t.py::test_bug"]))
    assert why == "t.py::test_bug did not pass"


def test_a_passing_test_skipped_or_vanished_is_not_a_pass():
    skipped = shortfall(BASELINE, _report(["t.py::test_a", "t.py::test_bug"], skipped=["t.py::test_b"]))
    assert skipped == "t.py::test_b passed before and now was skipped"
    vanished = shortfall(BASELINE, _report(["t.py::test_a", "t.py::test_bug"]))
    assert vanished == "t.py::test_b passed before and now did not run"


def test_fewer_tests_collected_is_not_a_pass():
    baseline = _report(["t.py::test_a"], ["t.py::test_bug"], skipped=["t.py::test_skip"])
    assert shortfall(baseline, _report(["t.py::test_a", "t.py::test_bug"])) == "only 2 tests ran, 3 before"


def test_a_selection_run_only_needs_the_selected_tests():
    assert shortfall(BASELINE, _report(["t.py::test_bug"]), ["t.py::test_bug"]) is None
    assert shortfall(BASELINE, _report([], ["t.py::test_bug"]), ["t.py::test_bug"]) == "failing tests still fail"


def test_a_module_that_failed_to_import_passes_once_its_tests_pass():
    baseline = _report(["t.py::test_a"], ["tests/test_mod.py"], exit_code=2)
    assert shortfall(baseline, _report(["t.py::test_a", "tests/test_mod.py::test_x"])) is None
    assert shortfall(baseline, _report(["t.py::test_a"])) == "tests/test_mod.py did not pass"


def test_a_command_that_is_not_pytest_is_judged_by_its_exit_code():
    baseline = _report([], exit_code=1, structured=False)
    assert shortfall(baseline, _report([], exit_code=0, structured=False)) is None
    assert shortfall(baseline, _report([], exit_code=3, structured=False)) == "the whole test command fails"
