"""Read and (re)write golden before/after files (see tests/goldens/README.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

GOLDENS = Path(__file__).parent / "goldens"


@dataclass
class Golden:
    path: Path
    start: int
    end: int
    name: str | None
    before: str
    after: str | None
    refused: str | None

    def write(self, after: str | None, refused: str | None) -> None:
        head = f"lines={self.start}-{self.end}" + (f" name={self.name}" if self.name else "")
        tail = f"=== after ===\n{after}" if after is not None else f"=== refused ===\n{refused}\n"
        self.path.write_text(f"{head}\n=== before ===\n{self.before}{tail}")


def load(path: Path) -> Golden:
    text = path.read_text()
    head, rest = text.split("\n", 1)
    fields = dict(part.split("=", 1) for part in head.split())
    start, end = (int(x) for x in fields["lines"].split("-"))
    _, rest = rest.split("=== before ===\n", 1)
    if "=== after ===\n" in rest:
        before, after = rest.split("=== after ===\n", 1)
        refused = None
    elif "=== refused ===\n" in rest:
        before, refused = rest.split("=== refused ===\n", 1)
        after, refused = None, refused.rstrip("\n")
    else:
        before, after, refused = rest, None, None
    return Golden(path, start, end, fields.get("name"), before, after, refused)


def cases(folder: str) -> list[Golden]:
    return [load(p) for p in sorted((GOLDENS / folder).glob("*.txt"))]


def regen() -> bool:
    return os.environ.get("CODELOOP_REGEN") == "1"
