"""The built-in Java language plugin."""

from __future__ import annotations

from typing import Any

from codeloop.analysis.languages import TreeSitterLanguage


def _grammar() -> Any:
    import tree_sitter_java

    return tree_sitter_java.language()


JAVA = TreeSitterLanguage(
    name="java",
    extensions=(".java",),
    grammar=_grammar,
    # Maven/Gradle layout plus the usual class-name conventions.
    test_file_globs=("src/test/*", "*/src/test/*", "*Test.java", "*Tests.java", "Test*.java"),
    function_node_types=("method_declaration", "constructor_declaration"),
    class_node_types=("class_declaration", "interface_declaration", "enum_declaration", "record_declaration"),
)
