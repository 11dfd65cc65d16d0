"""Answer forms: strict parsing (pure) and the grammars llama.cpp enforces (real model)."""

import pytest

from codeloop.core.edits import parse_search_replace, strip_comment
from codeloop.core.fix.answer_forms import edit_blocks, locate, single_line
from codeloop.models.base import CompletionRequest, Message

FUNCTION = 'def total(prices, tax):\n    """Sum with tax."""\n    subtotal = sum(prices)\n    return subtotal - tax\n'
BUGGY_LINE = "    return subtotal - tax"


def test_search_replace_blocks_parse_strictly():
    one = "<<<<<<< SEARCH\n    x = 1\n=======\n    x = 2\n    y = 3\n>>>>>>> REPLACE\n"
    assert parse_search_replace(one) == [("    x = 1", ["    x = 2", "    y = 3"])]
    assert parse_search_replace(one + one.replace("x = 1", "z = 0")) is not None
    assert parse_search_replace("<<<<<<< SEARCH\n    x = 1\n=======\n") is None  # no end marker
    assert parse_search_replace("    x = 1\n=======\n    x = 2\n>>>>>>> REPLACE\n") is None  # no SEARCH
    assert parse_search_replace("Here is the fix:\n" + one) is None  # no prose around blocks
    # An empty replacement deletes the line.
    assert parse_search_replace("<<<<<<< SEARCH\n    x = 1\n=======\n>>>>>>> REPLACE\n") == [("    x = 1", [])]


def test_strip_comment_keeps_a_hash_inside_a_string():
    assert strip_comment("    return a  # <- this line is wrong") == "    return a"
    assert strip_comment("    tag = '#' + name  # note") == "    tag = '#' + name"


def test_edit_blocks_place_a_repeated_line_by_suspiciousness_and_refuse_unknown_lines():
    first = "def f(x):\n    y = x\n    return y\n"
    second = "def g(x):\n    y = x\n    return y + 1\n"
    form = edit_blocks([first, second], 160, weights={(1, 1): 1.0})
    answer = "    y = x\n=======\n    y = -x\n>>>>>>> REPLACE\n"
    assert form.assemble(answer) == {1: "def g(x):\n    y = -x\n    return y + 1\n"}
    assert edit_blocks([first, second], 160).assemble(answer) == {0: "def f(x):\n    y = -x\n    return y\n"}
    assert form.assemble("    z = x\n=======\n    z = 1\n>>>>>>> REPLACE\n") is None
    # Both blocks on one line: not guessed at.
    assert form.assemble(answer + "<<<<<<< SEARCH\n" + answer) is None
    # The signature is the spec: not a SEARCH line.
    assert form.assemble("def f(x):\n=======\ndef f(x, z):\n>>>>>>> REPLACE\n") is None


def test_single_line_form_refuses_the_header_and_blank_lines():
    assert single_line(FUNCTION, 0) is None and single_line(FUNCTION, 9) is None
    form = single_line(FUNCTION, 3)
    assert form is not None and form.prefill.endswith("    subtotal = sum(prices)\n")
    assert form.assemble("    return subtotal + tax\n") == {0: FUNCTION.replace("- tax", "+ tax")}


def test_a_note_tacked_onto_a_rewritten_line_is_dropped_before_it_runs():
    # Seen from Qwen2.5-Coder-0.5B: "a + b  // fixed" even parses (floor division).
    form = single_line(FUNCTION, 3)
    assert form is not None
    assert form.assemble("    return subtotal + tax  // Fixed the sign\n") == {0: FUNCTION.replace("- tax", "+ tax")}
    edit = edit_blocks([FUNCTION], 160)
    fixed = edit.assemble(f"{BUGGY_LINE}\n=======\n    return subtotal + tax  <!-- the fix -->\n>>>>>>> REPLACE\n")
    assert fixed == {0: FUNCTION.replace("- tax", "+ tax")}
    # Code is left alone: floor division, and '//' inside a string.
    assert form.assemble("    return subtotal // tax\n") == {0: FUNCTION.replace("- tax", "// tax")}
    assert form.assemble('    return "a  // b"\n') == {0: FUNCTION.replace("subtotal - tax", '"a  // b"')}


@pytest.fixture(scope="module")
def embedded():
    from codeloop.models.llamacpp import LlamaCppBackend

    return LlamaCppBackend(n_threads=1)


PROMPT = (
    Message("system", "You are an expert Python programmer."),
    Message("user", f"This function has a bug:\n```python\n{FUNCTION}```\n`assert total([1, 2], 1) == 4` failed: total([1, 2], 1) returned 2.\nFix the bug."),
)


@pytest.mark.model
def test_under_the_line_grammar_the_model_never_hands_back_the_line_or_a_comment(embedded):
    form = single_line(FUNCTION, 3)
    assert form is not None
    for seed in range(4):
        request = CompletionRequest(PROMPT, max_tokens=form.max_tokens, temperature=1.0, seed=seed, prefill=form.prefill, grammar=form.grammar)
        line = embedded.complete(request).texts[0].split("\n")[0]
        assert line.startswith("    ") and line.strip() != BUGGY_LINE.strip() and "#" not in line, line


@pytest.mark.model
def test_under_the_edit_grammar_search_is_a_shown_line_and_replace_differs(embedded):
    form = edit_blocks([FUNCTION], 60)
    for seed in range(2):
        request = CompletionRequest(PROMPT, max_tokens=form.max_tokens, temperature=1.0, seed=seed, prefill=form.prefill, grammar=form.grammar)
        lines = embedded.complete(request).texts[0].split("\n")
        assert lines[0] in ("    subtotal = sum(prices)", BUGGY_LINE) and lines[1] == "======="
        assert lines[2] != lines[0] and "#" not in lines[2]


@pytest.mark.model
def test_under_the_locate_grammar_the_answer_is_a_body_line(embedded):
    grammar, where = locate([FUNCTION])
    answer = embedded.complete(CompletionRequest(PROMPT, max_tokens=40, prefill="The buggy line is:\n```python\n", grammar=grammar)).texts[0]
    assert where(answer) in ((0, 2), (0, 3))
