"""The plugin's hooks: the Java language record and its extractor."""

from __future__ import annotations

from typing import Any

from codeloop.analysis.languages import Language
from codeloop.hookspecs import hookimpl


def _grammar() -> Any:
    import tree_sitter_java

    return tree_sitter_java.language()


JAVA = Language(
    name="java",
    extensions=(".java",),
    grammar=_grammar,
    test_file_globs=("*Test.java", "*Tests.java", "src/test/*", "*/src/test/*"),
    function_node_types=("method_declaration", "constructor_declaration"),
    class_node_types=("class_declaration", "interface_declaration", "enum_declaration", "record_declaration"),
)


@hookimpl
def register_languages(register: Any) -> None:
    register(JAVA)


@hookimpl
def register_extractors(register: Any) -> None:
    from codeloop_java.extract import JavaExtractor

    register("java", JavaExtractor())
