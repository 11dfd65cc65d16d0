"""Naming the extracted function: given, model (grammar-constrained), fallback."""

from __future__ import annotations

import pytest

from codeloop.core.refactor.extract import extract_method
from codeloop.core.refactor.naming import code_words, verb_hints
from codeloop.errors import UsageError
from tests.fakes import ScriptedBackend

SOURCE = "def total(items):\n    subtotal = 0\n    for item in items:\n        subtotal += item\n    return subtotal\n"


def test_scripted_model_name_is_used_when_valid():
    backend = ScriptedBackend(["sum_items(", "sum_items(", "count_item("])
    result = extract_method(SOURCE, "m.py", 2, 4, backend=backend)
    assert (result.name, result.name_source) == ("_sum_items", "model")  # a new module-level helper is private
    request = backend.history[0]
    assert request.prefill == "def " and request.grammar and request.max_tokens <= 12
    assert '"subtotal"' in request.grammar and '"compute"' in request.grammar


def test_scripted_clashing_or_invalid_model_names_fall_back():
    backend = ScriptedBackend(["total(", "subtotal(", "9x(", "for("])
    result = extract_method(SOURCE, "m.py", 2, 4, backend=backend)
    assert (result.name, result.name_source) == ("_compute_subtotal", "fallback")


def test_fallback_name_avoids_clashes():
    source = SOURCE + "\n\ndef compute_subtotal():\n    pass\n"
    assert extract_method(source, "m.py", 2, 4).name == "_compute_subtotal_2"


@pytest.mark.parametrize(
    "bad, message",
    [
        ("items", "--name 'items' is already used in this file: choose a name that appears nowhere in it"),
        ("class", "--name 'class' is a Python keyword: choose another name"),
        ("len", "--name 'len' would shadow the builtin len(): choose another name"),
        ("a-b", "--name 'a-b' is not a Python identifier: use letters, digits and underscores, not starting with a digit"),
    ],
)
def test_bad_given_names_are_usage_errors(bad, message):
    # The core names the input ("name"); the CLI turns that into its flag (--name).
    from codeloop.cli.common import usage_error
    from codeloop.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as info:
        extract_method(SOURCE, "m.py", 2, 4, name=bad)
    assert info.value.what == "name"
    assert str(usage_error(info.value)) == message


def test_verb_hints_follow_what_the_code_does():
    assert verb_hints("if n < 0:\n    raise ValueError(n)")[:2] == ["check", "validate"]
    assert "read" in verb_hints("with open(p) as fh:\n    t = fh.read()")
    assert verb_hints("x = 1") == ["compute", "make"]


def test_code_words_split_identifiers():
    assert code_words("totalPrice = base_price + getTax(x)") == ["total", "price", "base", "get", "tax"]


@pytest.mark.model
def test_embedded_model_names_a_block_from_its_own_words():
    from codeloop.models.llamacpp import LlamaCppBackend

    result = extract_method(SOURCE, "m.py", 2, 4, backend=LlamaCppBackend())
    assert result.name_source == "model"
    assert result.name.startswith("_")  # a new module-level helper is private
    words = result.name[1:].split("_")
    assert words[0] in verb_hints(SOURCE) and all(w in code_words(SOURCE) for w in words[1:])


class _FailingBackend(ScriptedBackend):
    def complete(self, request):  # type: ignore[no-untyped-def]
        raise RuntimeError("model crashed")


def test_scripted_failing_model_leaves_the_fallback_name():
    result = extract_method(SOURCE, "m.py", 2, 4, backend=_FailingBackend())
    assert (result.name, result.name_source) == ("_compute_subtotal", "fallback")
