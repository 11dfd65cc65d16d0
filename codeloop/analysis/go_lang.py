"""The built-in Go language plugin."""

from __future__ import annotations

from typing import Any

from codeloop.analysis.languages import TreeSitterLanguage


def _grammar() -> Any:
    import tree_sitter_go

    return tree_sitter_go.language()


_PREDECLARED = """
    any bool byte comparable complex64 complex128 error float32 float64 int int8 int16 int32 int64
    rune string uint uint8 uint16 uint32 uint64 uintptr
    append cap clear close complex copy delete imag len make max min new panic print println real recover
"""

GO = TreeSitterLanguage(
    name="go",
    extensions=(".go",),
    grammar=_grammar,
    test_file_globs=("*_test.go",),
    function_node_types=("function_declaration", "method_declaration"),
    # Go has no classes; methods hang off types, so nothing here opens a scope.
    class_node_types=(),
    # Predeclared types and builtins: every file uses them, no repo defines them.
    extra={"ignored_references": frozenset(_PREDECLARED.split())},
)
