from codeloop.analysis.functions import functions
from codeloop.analysis.python_lang import PYTHON
from codeloop.core.edits import (
    body_grammar,
    extract_function,
    function_source,
    header_and_body_indent,
    replace_function,
    same_code,
)

SOURCE = '''import math


class Shape:
    def area(self, r):
        """Area of a circle."""
        return math.pi * r


def add(a, b):
    return a - b
'''


def spans():
    return {s.qualname: s for s in functions(PYTHON, SOURCE.encode())}


def test_function_source_is_dedented():
    method = spans()["Shape.area"]
    assert function_source(SOURCE, method).startswith("def area(self, r):\n    \"\"\"Area")


def test_header_keeps_docstring_and_reports_body_indent():
    header, indent = header_and_body_indent(function_source(SOURCE, spans()["Shape.area"]))
    assert header == 'def area(self, r):\n    """Area of a circle."""\n'
    assert indent == "    "


def test_header_without_docstring_is_the_signature():
    header, _ = header_and_body_indent("def f(\n    a,\n    b,\n):\n    return a\n")
    assert header == "def f(\n    a,\n    b,\n):\n"


def test_one_line_def_has_no_header():
    assert header_and_body_indent("def f(): return 1\n")[0] == ""


def test_extract_from_prefilled_body():
    prefill = "```python\ndef add(a, b):\n"
    assert extract_function("    return a + b\n```", prefill, "add") == "def add(a, b):\n    return a + b\n"


def test_extract_when_model_restates_the_def_in_prose():
    answer = "Here is the fix:\n```python\ndef add(a, b):\n    return a + b\n```\nDone."
    assert extract_function(answer, "", "add") == "def add(a, b):\n    return a + b\n"


def test_extract_rejects_wrong_name_and_bad_syntax():
    assert extract_function("def sub(a, b):\n    return a\n", "", "add") is None
    assert extract_function("    return (a +\n```", "def add(a, b):\n", "add") is None


def test_extract_stops_at_dedent():
    answer = "    return a + b\n\nprint(add(1, 2))\n"
    assert extract_function(answer, "def add(a, b):\n", "add") == "def add(a, b):\n    return a + b\n"


def test_replace_method_reindents():
    method = spans()["Shape.area"]
    new = 'def area(self, r):\n    """Area of a circle."""\n    return math.pi * r * r\n'
    out = replace_function(SOURCE, method, new)
    assert "        return math.pi * r * r\n" in out
    assert out.count("def area") == 1
    compile(out, "x.py", "exec")


def test_replace_top_level_function_keeps_the_rest_byte_identical():
    out = replace_function(SOURCE, spans()["add"], "def add(a, b):\n    return a + b\n")
    assert out == SOURCE.replace("return a - b", "return a + b")


def test_same_code_ignores_formatting_and_comments():
    assert same_code("def f():\n    return 1  # one\n", "def f():\n    return (1)\n")
    assert not same_code("def f():\n    return 1\n", "def f():\n    return 2\n")


def test_body_grammar_pins_indent():
    assert '"    "' in body_grammar("    ")
    assert '"        "' in body_grammar("        ")
