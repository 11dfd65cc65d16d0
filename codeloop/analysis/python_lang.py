"""The built-in Python language plugin."""

from __future__ import annotations

import builtins
from typing import Any

from codeloop.analysis.languages import TreeSitterLanguage


def _compiles(text: str) -> bool:
    """tree-sitter accepts some code CPython rejects (``len(x) = 1``): ask CPython too."""
    try:
        compile(text, "<candidate>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def _grammar() -> Any:
    import tree_sitter_python

    return tree_sitter_python.language()


PYTHON = TreeSitterLanguage(
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
    # Calls to builtins say nothing about the repo; a repo's own `join` filter must not
    # collect every `super()` call either (names are matched, not resolved).
    extra={"ignored_references": frozenset(dir(builtins)), "syntax_ok": _compiles},
)
