"""The hostile-answer catalog of `benchmarks/faults.py hostile` (benchmarks/fault_hostile.py)
measures what it claims: every answer is one `add` function the fix loop can splice in,
the `plain` project's hostile answers are refused by the capability check, and the
`armed` project's (all but the huge literal) pass it, so they really run and the
benchmark tests the containment rather than the check. Pure: no codeloop run here."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from codeloop.core.edits import is_one_function
from codeloop.core.fix.capabilities import refusal
from tests.conftest import PROJECT_ROOT


@pytest.fixture(scope="module")
def hostile() -> Any:
    sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
    try:
        import fault_hostile

        return fault_hostile
    finally:
        sys.path.remove(str(PROJECT_ROOT / "benchmarks"))


def _with(source: str, function: str) -> str:
    return source[: source.index("def add")] + function  # add is the module's last function


def test_every_hostile_answer_is_one_add_function_and_plain_ones_are_refused(hostile: Any) -> None:
    cases = hostile.catalog(Path("/work/case"), Path("/work/case/repo"), "tok", 1)  # tmp_path names pytest
    assert {c.name for c in cases} >= {"exit at import", "exit in function", "pytest.skip", "pytest hook patched",
                                       "test data rewritten at import", "4 MiB literal", "test file rewritten, then wrong",
                                       "writes HOME", "writes /tmp", "writes real repo", "writes .git/hooks",
                                       "detached child writes repo late", "write through symlink",
                                       "OPENAI_API_KEY over TCP", "50 sleeping children"}
    ran: list[str] = []
    refused: list[str] = []
    for case in cases:
        original = hostile.PLAIN if case.project == "plain" else hostile.ARMED
        for answer in case.hostile:
            assert is_one_function(answer, "add"), (case.name, answer[:200])
            why = refusal(original, _with(original, answer), ["test_calc"])
            if case.project == "plain":
                assert why is not None, (case.name, answer)
            elif why is None:
                ran.append(case.name)
            else:
                # Refused even though the armed original uses sys: reaching into other
                # modules through sys.modules is a capability of its own.
                assert (case.name, why.capability) in {("4 MiB literal", "size")} or why.capability == "other modules' objects", (case.name, str(why))
                refused.append(case.name)
    assert len(ran) + len(refused) == sum(len(c.hostile) for c in cases if c.project == "armed")
    assert "4 MiB literal" in refused and "test data rewritten at import" in refused
    assert {"writes HOME", "write through symlink", "detached child writes repo late", "50 sleeping children"} <= set(ran)


def test_the_right_fix_passes_the_check_in_both_projects(hostile: Any) -> None:
    assert refusal(hostile.PLAIN, _with(hostile.PLAIN, hostile.fn("return a + b")), ["test_calc"]) is None
    armed_fix = hostile.ARMED_ADD.replace("a - b", "a + b")
    assert refusal(hostile.ARMED, _with(hostile.ARMED, armed_fix), ["test_calc"]) is None
