"""What a language plugin provides, and lookup of the language for a path."""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import PurePosixPath
from typing import Any


@dataclass(frozen=True)
class FunctionSpan:
    """A function or method definition in one file (lines are 1-based, inclusive)."""

    name: str
    qualname: str  # "Class.method" or "func"
    start_line: int
    end_line: int
    start_byte: int
    end_byte: int
    indent: str  # leading whitespace of the def line (decorators included in the span)


@dataclass(frozen=True)
class Language:
    """A language plugin: its grammar plus the few facts codeloop needs about it.

    ``grammar`` returns the tree-sitter Language capsule lazily so that importing a
    plugin never loads a grammar the run does not use.
    """

    name: str
    extensions: tuple[str, ...]
    grammar: Callable[[], Any]
    test_file_globs: tuple[str, ...]
    function_node_types: tuple[str, ...]
    class_node_types: tuple[str, ...]
    queries_package: str = "codeloop.analysis.queries"
    # Grammars that share node types (TypeScript and TSX) share one query file.
    query_name: str = ""
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def is_test_file(self, relpath: str) -> bool:
        posix = PurePosixPath(relpath)
        return any(
            fnmatch.fnmatch(posix.name, glob) or fnmatch.fnmatch(str(posix), glob)
            for glob in self.test_file_globs
        )

    def query_text(self, kind: str) -> str:
        """The .scm query of this kind ("tags", ...) shipped as package data."""
        stem = self.query_name or self.name
        return (resources.files(self.queries_package) / f"{stem}-{kind}.scm").read_text()


@functools.cache
def parser_for(language: Language) -> Any:
    import tree_sitter

    return tree_sitter.Parser(tree_sitter.Language(language.grammar()))


@functools.cache
def query_for(language: Language, kind: str) -> Any:
    """The compiled query of this kind (compiled once per process: it takes milliseconds)."""
    import tree_sitter

    return tree_sitter.Query(tree_sitter.Language(language.grammar()), language.query_text(kind))


def language_for_path(relpath: str) -> Language | None:
    from codeloop import plugins

    suffix = PurePosixPath(relpath).suffix
    for language in plugins.languages().values():
        if suffix in language.extensions:
            return language
    return None
