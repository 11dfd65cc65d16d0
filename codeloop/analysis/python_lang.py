"""The built-in Python language plugin."""

from __future__ import annotations

from typing import Any

from codeloop.analysis.languages import Language


def _grammar() -> Any:
    import tree_sitter_python

    return tree_sitter_python.language()


PYTHON = Language(
    name="python",
    extensions=(".py",),
    grammar=_grammar,
    # Candidates never touch these: tests, fixtures and test configuration are the spec.
    test_file_globs=(
        "test_*.py",
        "*_test.py",
        "conftest.py",
        "tests/*",
        "*/tests/*",
        "test/*",
        "*/test/*",
        "testing/*",
    ),
    function_node_types=("function_definition",),
    class_node_types=("class_definition",),
)
