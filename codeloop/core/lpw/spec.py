"""What is to be generated: a function header, the code around it, and its visible tests.

A Spec is built from a stub (signature + docstring, perhaps with doctest examples) or
from a plain description plus a signature. The header becomes the answer's prefill, so
the model writes only the body and cannot rename the function or drop its docstring.
"""

from __future__ import annotations

import ast
import doctest
import textwrap
from dataclasses import dataclass, field, replace

from codeloop.core.edits import header_and_body_indent


@dataclass(frozen=True)
class Example:
    """One visible input/output pair, in doctest form."""

    call: str  # source, e.g. "add(1, 2)"
    expected: str  # what doctest would print, e.g. "3"


@dataclass(frozen=True)
class Spec:
    name: str
    header: str  # decorators, def line(s) and docstring, column 0, ending in a newline
    indent: str  # the body's indentation
    context: str = ""  # code before the function that the body may use (imports, helpers)
    examples: tuple[Example, ...] = ()
    test_sources: tuple[str, ...] = ()  # visible test code (pytest files) shown to the model
    clarifications: tuple[str, ...] = field(default=())  # answers the user gave

    @property
    def signature(self) -> str:
        """The def line(s), without the docstring."""
        node = _function_node(self.header + f"{self.indent}pass\n")
        lines = self.header.splitlines(keepends=True)
        first_body = node.body[0].lineno
        return "".join(lines[: first_body - 1])

    def with_example(self, example: Example, clarification: str = "") -> Spec:
        notes = self.clarifications + ((clarification,) if clarification else ())
        return replace(self, examples=self.examples + (example,), clarifications=notes)


class SpecError(ValueError):
    """The stub cannot be turned into a spec (a message the user can act on)."""


def _function_node(source: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise SpecError(f"the stub does not parse ({exc.msg}, line {exc.lineno})") from None
    if not tree.body or not isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise SpecError("the stub is not a function definition")
    return tree.body[0]


def doctest_examples(docstring: str) -> tuple[Example, ...]:
    """The ``>>>`` examples of a docstring (those with an expected output)."""
    try:
        parsed = doctest.DocTestParser().get_examples(docstring)
    except ValueError:
        return ()
    return tuple(Example(e.source.strip(), e.want.strip()) for e in parsed if e.want.strip())


def from_stub(function_source: str, context: str = "", test_sources: tuple[str, ...] = ()) -> Spec:
    """A Spec from a dedented stub: its header is everything up to the end of the docstring."""
    source = textwrap.dedent(function_source)
    node = _function_node(source)
    header, indent = header_and_body_indent(source)
    if not header:
        raise SpecError(f"{node.name} is a one-line def: put its body on its own line")
    docstring = ast.get_docstring(node, clean=False) or ""
    return Spec(node.name, header, indent, context, doctest_examples(docstring), test_sources)


def from_description(signature: str, description: str, context: str = "", test_sources: tuple[str, ...] = ()) -> Spec:
    """A Spec from a def line and a plain description (which becomes the docstring)."""
    line = signature.strip().splitlines()[0].rstrip()
    if not line.endswith(":"):
        line += ":"
    text = description.strip().replace('"""', "'''")
    body = textwrap.indent(text, "    ", lambda ln: bool(ln.strip()))
    header = f'{line}\n    """\n{body}\n    """\n'
    node = _function_node(header + "    pass\n")
    return Spec(node.name, header, "    ", context, doctest_examples(text), test_sources)
