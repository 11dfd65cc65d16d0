"""The built-in TypeScript and TSX language plugins (one wheel ships both grammars)."""

from __future__ import annotations

from typing import Any

from codeloop.analysis.languages import TreeSitterLanguage


def _typescript() -> Any:
    import tree_sitter_typescript

    return tree_sitter_typescript.language_typescript()


def _tsx() -> Any:
    import tree_sitter_typescript

    return tree_sitter_typescript.language_tsx()


_TEST_GLOBS = ("*.test.ts", "*.spec.ts", "*.test.tsx", "*.spec.tsx", "__tests__/*", "*/__tests__/*", "test/*", "*/test/*")
_FUNCTIONS = ("function_declaration", "generator_function_declaration", "method_definition")
_CLASSES = ("class_declaration", "abstract_class_declaration", "interface_declaration")

TYPESCRIPT = TreeSitterLanguage(
    name="typescript",
    extensions=(".ts", ".mts", ".cts"),
    grammar=_typescript,
    test_file_globs=_TEST_GLOBS,
    function_node_types=_FUNCTIONS,
    class_node_types=_CLASSES,
)

TSX = TreeSitterLanguage(
    name="tsx",
    extensions=(".tsx",),
    grammar=_tsx,
    test_file_globs=_TEST_GLOBS,
    function_node_types=_FUNCTIONS,
    class_node_types=_CLASSES,
    query_name="typescript",
)
