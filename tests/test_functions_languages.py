"""The fix loop's function API (analysis.functions) on the non-Python built-in languages."""

from codeloop import plugins
from codeloop.analysis.functions import called_names, enclosing_function, functions

JS = b"""class Cart {
  total(items) {
    return sum(items) + tax(items);
  }
}

function sum(xs) {
  return xs.reduce((a, b) => a + b, 0);
}
"""

GO = b"""package shop

func Total(items []int) int {
	return sum(items)
}

func sum(xs []int) int {
	return 0
}
"""

JAVA = b"""class Cart {
    int total(int[] items) {
        return Util.sum(items);
    }
}
"""


def test_functions_and_calls_in_javascript():
    js = plugins.languages()["javascript"]
    assert [(f.qualname, f.start_line, f.end_line) for f in functions(js, JS)] == [("Cart.total", 2, 4), ("sum", 7, 9)]
    span = enclosing_function(js, JS, 3)
    assert span is not None and span.qualname == "Cart.total"
    assert called_names(js, JS, span) == ["sum", "tax"]


def test_functions_and_calls_in_go_and_java():
    go = plugins.languages()["go"]
    span = enclosing_function(go, GO, 4)
    assert span is not None and span.name == "Total" and called_names(go, GO, span) == ["sum"]
    java = plugins.languages()["java"]
    span = enclosing_function(java, JAVA, 3)
    assert span is not None and span.qualname == "Cart.total" and called_names(java, JAVA, span) == ["sum"]
