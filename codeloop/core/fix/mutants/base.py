"""What every language's mutation generator yields, and how a mutation becomes new text."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Mutation:
    """Replace source bytes [start, end) with ``replacement``.

    ``prior`` orders mutations on equally suspicious lines: lower is tried first. It
    encodes how often each kind of edit fixes real one-line bugs (operator slips are
    common and cheap to check; replacing a variable is rarer and has many variants).
    """

    start: int
    end: int
    replacement: bytes
    kind: str  # "comparison", "arithmetic", "boolean", "negate", "constant", ...
    line: int  # 1-based line where the edit starts
    prior: int
    description: str

    def apply(self, source: bytes) -> bytes:
        return source[: self.start] + self.replacement + source[self.end :]


class MutationGenerator(Protocol):
    """``generate(tree_root, source, lines)``: mutations whose edit starts on one of ``lines``."""

    def __call__(self, root: Any, source: bytes, lines: Collection[int]) -> Iterator[Mutation]: ...
