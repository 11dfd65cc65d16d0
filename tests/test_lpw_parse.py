"""Parsing of each LPW stage's answers, and building specs from stubs (no model)."""

import pytest

from codeloop.core.lpw.checks import outputs_match
from codeloop.core.lpw.parse import parse_plan, parse_verification, plan_text
from codeloop.core.lpw.session import salvage_function
from codeloop.core.lpw.spec import Example, SpecError, doctest_examples, from_description, from_stub

STUB = 'def add(a, b):\n    """Return the sum.\n\n    >>> add(1, 2)\n    3\n    >>> add(0, 0)\n    0\n    """\n    ...\n'


def test_stub_header_keeps_docstring_and_examples_become_visible_tests():
    spec = from_stub(STUB)
    assert spec.name == "add" and spec.indent == "    "
    assert spec.header.endswith('    """\n') and "..." not in spec.header
    assert spec.examples == (Example("add(1, 2)", "3"), Example("add(0, 0)", "0"))
    assert spec.signature == "def add(a, b):\n"


def test_stub_without_docstring_pins_only_the_def_line():
    spec = from_stub("def f(x: int) -> int:\n    pass\n")
    assert spec.header == "def f(x: int) -> int:\n" and spec.examples == ()


def test_one_line_stub_is_refused_with_a_message():
    with pytest.raises(SpecError, match="one-line def"):
        from_stub("def f(): return 1\n")


def test_description_becomes_the_docstring_and_its_examples_count():
    spec = from_description("def slug(text: str) -> str", "Lowercase with dashes.\n>>> slug('A b')\n'a-b'")
    assert spec.header.startswith('def slug(text: str) -> str:\n    """\n    Lowercase with dashes.')
    assert spec.examples == (Example("slug('A b')", "'a-b'"),)


def test_doctest_examples_skip_calls_without_output():
    assert doctest_examples(">>> x = 1\n>>> x + 1\n2\n") == (Example("x + 1", "2"),)


def test_plan_parsing_keeps_numbered_steps_only():
    answer = "Read the list.\n2. Sum it.\nnoise\n3) Return the sum.\n"
    assert parse_plan(answer) == ["Read the list.", "Sum it.", "Return the sum."]
    assert plan_text(["a b c", "d e f"]) == "1. a b c\n2. d e f"


def test_verification_parsing_is_defensive():
    walk = parse_verification('{"steps": ["a=1", "b=2"], "result": " 3 "}')
    assert walk is not None and walk.steps == ["a=1", "b=2"] and walk.result == "3"
    assert parse_verification('{"steps": ["cut off') is None
    assert parse_verification("no json") is None
    assert parse_verification('{"result": 5}').result == "5"


@pytest.mark.parametrize(
    "actual, expected, same",
    [("3", "3", True), ("[1, 2]", "[1,2]", True), ("0.30000000000000004", "0.3", True), ("'a'", '"a"', True),
     ("True", "1", False), ("3", "4", False), ("raises ValueError: x", "3", False), ("(1, 2)", "[1, 2]", False)],
)
def test_outputs_match_like_doctest_or_equal_literals(actual, expected, same):
    assert outputs_match(actual, expected) is same


def test_truncated_answer_is_salvaged_to_the_lines_that_parse():
    prefill = '```python\ndef add(a, b):\n    """Sum."""\n'
    answer = "    return a + b\n    # and then the model rambl"
    assert salvage_function(answer, prefill, "add") == 'def add(a, b):\n    """Sum."""\n    return a + b\n    # and then the model rambl\n'
    assert salvage_function("    return (a +\n    b", prefill, "add") is None
    assert salvage_function("    x = 1\n    return (a +", prefill, "add") == 'def add(a, b):\n    """Sum."""\n    x = 1\n'


def test_answers_that_drop_the_docstring_get_the_stubs_header_back():
    from codeloop.core.lpw.session import with_header

    spec = from_stub('def rnd(x: float) -> int:\n    """Round."""\n    ...\n')
    assert with_header(spec, "def rnd(x):\n  '''Mine.'''\n  if x:\n    return 1\n  return 0\n") == (
        'def rnd(x: float) -> int:\n    """Round."""\n    if x:\n      return 1\n    return 0\n'
    )
    same = spec.header + "    return 1\n"
    assert with_header(spec, same) == same


def test_scripted_signature_writing_accepts_a_continuation_or_a_whole_def_line_and_falls_back():
    from codeloop.core.lpw.signature import write_signature
    from tests.fakes import ScriptedBackend

    assert write_signature(ScriptedBackend(["text: str) -> str:"]), "slug", "x") == "def slug(text: str) -> str:"
    assert write_signature(ScriptedBackend(["```python\ndef slug(s):\n    pass"]), "slug", "x") == "def slug(s):"
    assert write_signature(ScriptedBackend(["((("]), "slug", "x") == "def slug(*args):"
