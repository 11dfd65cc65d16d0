"""Findings as text (rich renderables; only the Console writes) for `codeloop review`."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from codeloop.core.review.findings import Finding, ReviewResult

_STYLE = {"issue": "bold red", "suggestion": "yellow", "nitpick": "cyan", "question": "magenta"}


def finding_renderable(finding: Finding) -> RenderableType:
    where = f"{finding.path}:{finding.start_line}" + (f"-{finding.end_line}" if finding.end_line != finding.start_line else "")
    head = Text()
    head.append(where, style="bold")
    head.append("  ")
    head.append(f"{finding.label} ({finding.decoration})", style=_STYLE.get(finding.label, ""))
    head.append(f"  [{finding.source}, confidence {finding.confidence:.2f}]", style="dim")
    parts: list[RenderableType] = [head, Text("  " + finding.message)]
    if finding.suggestion:
        parts.append(Text("  suggested: " + finding.suggestion.strip(), style="green"))
    return Group(*parts)


def summary_line(result: ReviewResult) -> str:
    if not result.files:
        return "Nothing to review: no changes (stage them with git add, or pass --rev A..B)."
    text = (
        f"{len(result.findings)} finding(s), {len(result.blocking)} blocking, in {len(result.files)} changed file(s); "
        f"{result.dropped} low-confidence model finding(s) dropped; {result.seconds:.1f}s"
    )
    if result.skipped:
        text += "; " + "; ".join(result.skipped)
    return text + "."


def result_renderable(result: ReviewResult) -> RenderableType:
    return Group(*[finding_renderable(f) for f in result.findings], Text(summary_line(result)))
