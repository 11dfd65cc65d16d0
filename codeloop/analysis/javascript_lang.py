"""The built-in JavaScript language plugin (JSX included: the grammar parses it)."""

from __future__ import annotations

from typing import Any

from codeloop.analysis.languages import TreeSitterLanguage


def _grammar() -> Any:
    import tree_sitter_javascript

    return tree_sitter_javascript.language()


JAVASCRIPT = TreeSitterLanguage(
    name="javascript",
    extensions=(".js", ".mjs", ".cjs", ".jsx"),
    grammar=_grammar,
    test_file_globs=("*.test.js", "*.spec.js", "*.test.jsx", "*.spec.jsx", "__tests__/*", "*/__tests__/*", "test/*", "*/test/*"),
    function_node_types=("function_declaration", "generator_function_declaration", "method_definition"),
    class_node_types=("class_declaration",),
)
