"""The built-in Go language plugin."""

from __future__ import annotations

from typing import Any

from codeloop.analysis.languages import Language


def _grammar() -> Any:
    import tree_sitter_go

    return tree_sitter_go.language()


GO = Language(
    name="go",
    extensions=(".go",),
    grammar=_grammar,
    test_file_globs=("*_test.go",),
    function_node_types=("function_declaration", "method_declaration"),
    # Go has no classes; methods hang off types, so nothing here opens a scope.
    class_node_types=(),
)
