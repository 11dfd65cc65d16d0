"""Findings in the Conventional Comments style, and the result of one review."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

LABELS = ("issue", "suggestion", "nitpick", "question")

# Where a finding came from, most trustworthy first: the order findings are reported in.
SOURCES = ("tests", "syntax", "undefined-name", "callers", "model")


@dataclass(frozen=True)
class Finding:
    """One line-anchored comment on the new version of a file (lines 1-based, inclusive)."""

    path: str
    start_line: int
    end_line: int
    label: str  # one of LABELS
    blocking: bool
    message: str  # the consequence, then the concrete fix
    source: str  # one of SOURCES
    confidence: float  # 0..1; facts (tests, parser) are 1.0
    suggestion: str = ""  # replacement text for start_line..end_line, when there is one
    rule: str = ""  # a stable id, e.g. "codeloop/test-failure"

    @property
    def decoration(self) -> str:
        return "blocking" if self.blocking else "non-blocking"

    def headline(self) -> str:
        return f"{self.label} ({self.decoration}): {self.message}"

    def sort_key(self) -> tuple[int, int, str, int]:
        return (SOURCES.index(self.source) if self.source in SOURCES else len(SOURCES), 0 if self.blocking else 1, self.path, self.start_line)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["decoration"] = self.decoration
        return data


@dataclass
class ReviewResult:
    findings: list[Finding] = field(default_factory=list)
    dropped: int = 0  # model findings under the confidence threshold, not reported
    skipped: list[str] = field(default_factory=list)  # stages not run, and why
    files: list[str] = field(default_factory=list)  # the changed files reviewed
    seconds: float = 0.0
    model_calls: int = 0
    model_error: str = ""  # the model died during the review: what happened and what to do

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    def fails(self, fail_on: str) -> bool:
        """True when a finding at or above ``fail_on`` ("blocking" | "never") exists."""
        return fail_on == "blocking" and bool(self.blocking)

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "dropped": self.dropped,
            "skipped": list(self.skipped),
            "files": list(self.files),
            "seconds": round(self.seconds, 3),
            "model_calls": self.model_calls,
            "model_error": self.model_error or None,
            "blocking": len(self.blocking),
        }


def dedupe(findings: list[Finding]) -> list[Finding]:
    """Keep the most trusted finding per (path, line range, rule); sort facts first."""
    seen: set[tuple[str, int, int, str]] = set()
    kept = []
    for finding in sorted(findings, key=Finding.sort_key):
        key = (finding.path, finding.start_line, finding.end_line, finding.rule)
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept
