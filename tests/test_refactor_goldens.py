"""Golden before/after sources for Python extract-method, plus exact refusal messages."""

from __future__ import annotations

import ast

import pytest

from codeloop.core.refactor import RefactorRefused
from codeloop.core.refactor.extract import extract_method
from tests.golden_cases import Golden, cases, regen

PY = cases("extract_python")


@pytest.mark.parametrize("case", PY, ids=[c.path.stem for c in PY])
def test_extract_python_golden(case: Golden) -> None:
    try:
        result = extract_method(case.before, "mod.py", case.start, case.end, name=case.name)
        after, refused = result.changes.files[0].after, None
    except RefactorRefused as exc:
        after, refused = None, str(exc)
    if regen():  # a developer's rewrite of the expectations, reviewed by hand before committing
        case.write(after, refused)
        return
    assert (after, refused) == (case.after, case.refused)
    if after is not None:
        ast.parse(after)


def test_golden_suite_is_big_enough() -> None:
    extracted = [c for c in PY if c.after is not None]
    assert len(extracted) >= 40 and len(PY) - len(extracted) >= 10
