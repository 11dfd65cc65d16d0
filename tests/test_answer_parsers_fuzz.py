"""The answer parsers, fuzzed: arbitrary text (and text built from the pieces answers are
made of: fences, SEARCH/REPLACE markers, def lines, JSON, NULs, surrogates) never raises.
The documented "unparseable" result is None (or [] / "" where the parser says so)."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codeloop.core.commit_msg import from_answer
from codeloop.core.edits import DIVIDER, FENCE, REPLACE, SEARCH, extract_function, parse_search_replace, same_code
from codeloop.core.fix.answer_forms import edit_blocks, locate, single_line, whole_function, without_note
from codeloop.core.fix.capabilities import refusal
from codeloop.core.fix.model_tier import _normalized
from codeloop.core.lpw.parse import first_line, parse_plan, parse_verification
from codeloop.core.lpw.session import salvage_function
from codeloop.core.review.model_review import parse_comment

ADD = 'def add(a, b):\n    """Sum of a and b."""\n    total = a - b\n    return total\n'
MUL = "def mul(a, b):\n    return a * b\n"
PIECES = [
    FENCE, f"{FENCE}python\n", SEARCH, DIVIDER, REPLACE, "\n", "    ", "\t", "def add(a, b):", "def add(", "async def add(a, b):",
    "    return a + b", "    total = a - b", "    return total", "@decorator", "return", ":", "(", ")", "'''", '"""', "#", "\x00",
    "\ud800", "\udcff", "é", "\r\n", "{", "}", '"result": ', '"steps": [', "]", "1. ", "2) ", "class X:", "lambda", "\\", "\u2028",
]
ANSWERS = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(PIECES) | st.text(alphabet=string.printable, max_size=12), max_size=40).map("".join),
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(ANSWERS)
def test_whole_function_and_salvage_never_raise(answer):
    form = whole_function(ADD, "add", 128)
    result = form.assemble(answer)
    assert result is None or set(result) == {0}
    found = salvage_function(answer, form.prefill, "add")
    assert found is None or "def add" in found
    assert extract_function(answer, "", "add") is None or True


@FUZZ
@given(ANSWERS, st.integers(min_value=0, max_value=5))
def test_single_line_never_raises(answer, line):
    form = single_line(ADD, line)
    if form is not None:
        result = form.assemble(answer)
        assert result is None or set(result) == {0}


@FUZZ
@given(ANSWERS)
def test_edit_blocks_and_search_replace_never_raise(answer):
    form = edit_blocks([ADD, MUL], 160)
    result = form.assemble(answer)
    assert result is None or set(result) <= {0, 1}
    blocks = parse_search_replace(answer)
    assert blocks is None or all(isinstance(s, str) and isinstance(r, list) for s, r in blocks)


@FUZZ
@given(ANSWERS)
def test_locate_notes_and_code_comparisons_never_raise(answer):
    _, where = locate([ADD, MUL])
    spot = where(answer)
    assert spot is None or spot[0] in (0, 1)
    assert isinstance(without_note(answer), str)
    assert isinstance(same_code(answer, ADD), bool)
    assert isinstance(_normalized(answer), str)


@FUZZ
@given(ANSWERS)
def test_lpw_plan_and_verification_parsers_never_raise(answer):
    assert all(isinstance(step, str) for step in parse_plan(answer))
    walkthrough = parse_verification(answer)
    assert walkthrough is None or isinstance(walkthrough.result, str)
    assert isinstance(first_line(answer), str)


@FUZZ
@given(ANSWERS | st.builds(lambda s: '{"label": "issue", "blocking": true, "comment": ' + s + ', "score": 3}', st.text(max_size=40)))
def test_review_and_commit_message_parsers_never_raise(answer):
    assert parse_comment(answer) is None or len(parse_comment(answer)) == 4  # type: ignore[arg-type]
    assert from_answer(answer, []) is None or True


@FUZZ
@given(ANSWERS)
def test_the_capability_check_never_raises(answer):
    candidate = ADD.replace("    total = a - b\n", answer + "\n")
    assert refusal(ADD, candidate) is None or isinstance(str(refusal(ADD, candidate)), str)
    assert refusal(answer, ADD) is None or True  # an original that is itself garbage


def test_deeply_nested_code_is_refused_not_a_crash():
    big = "def add(a, b):\n" + "".join(f"    x{i} = a + {i}\n" for i in range(600)) + "    return a - b\n"
    chain = "def add(a, b):\n    return " + " + ".join(["a"] * 5000) + "\n"  # within the size bound of big
    parens = "def add(a, b):\n    return " + "(" * 1000 + "a" + ")" * 1000 + "\n"
    assert str(refusal(big, chain)) == "the code is nested too deeply to check"
    assert refusal(big, parens) is not None  # the parser's own limit: a syntax error
