"""The core's own error for input it cannot work with.

The core does not know the CLI's flags: it names the input (``what``: "lines", "name",
"diff", ...) and says what is wrong with it; the CLI turns that into a message naming
its flag (``--lines 5-2 ...``) and exit 2.
"""

from __future__ import annotations


class InvalidInput(ValueError):
    def __init__(self, what: str, problem: str) -> None:
        super().__init__(f"{what}: {problem}")
        self.what = what
        self.problem = problem
