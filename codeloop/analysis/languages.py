"""What a language plugin provides: the Language protocol and the tree-sitter record the
built-in languages use. Which language a path has is the registry's business
(``codeloop.plugins.language_for_path``), so this module imports no plugin code.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import PurePosixPath
from typing import Any, Protocol


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


class Language(Protocol):
    """What codeloop needs to know about a language (registered through the
    ``register_languages`` hook). Must be hashable: parsers and queries are cached per
    language. ``grammar()`` returns the tree-sitter Language capsule, loaded lazily."""

    @property
    def name(self) -> str: ...

    @property
    def extensions(self) -> tuple[str, ...]: ...

    @property
    def test_file_globs(self) -> tuple[str, ...]: ...

    @property
    def function_node_types(self) -> tuple[str, ...]: ...

    @property
    def class_node_types(self) -> tuple[str, ...]: ...

    @property
    def extra(self) -> dict[str, Any]: ...  # per-language facts, e.g. "syntax_ok", "ignored_references"

    def grammar(self) -> Any: ...

    def __hash__(self) -> int: ...

    def is_test_file(self, relpath: str) -> bool: ...

    def query_text(self, kind: str) -> str: ...


@dataclass(frozen=True)
class TreeSitterLanguage:
    """A Language from a tree-sitter grammar and ``.scm`` query files shipped as package
    data (every built-in language is one).

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
