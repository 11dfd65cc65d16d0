"""A ReviewResult as SARIF 2.1.0, what code-scanning UIs and the VS Code SARIF viewer read."""

from __future__ import annotations

from typing import Any

from codeloop import __version__
from codeloop.core.review.findings import Finding, ReviewResult

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

RULES = {
    "codeloop/test-failure": "A test fails and its traceback runs through the changed lines",
    "codeloop/test-failure-unanchored": "A test fails in the reviewed state outside the changed lines",
    "codeloop/syntax-error": "The changed file no longer parses",
    "codeloop/undefined-name": "A name read by the change is not defined",
    "codeloop/removed-name": "A name other files import was removed",
    "codeloop/stale-caller": "A call does not fit the changed function's new signature",
    "codeloop/model-review": "A review comment written by the model",
}


def _level(finding: Finding) -> str:
    if finding.blocking:
        return "error"
    return "warning" if finding.label == "issue" else "note"


def _result(finding: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    region = {"startLine": finding.start_line, "endLine": finding.end_line}
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index[finding.rule],
        "level": _level(finding),
        "message": {"text": finding.headline()},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"}, "region": region}}],
        "properties": {"label": finding.label, "decoration": finding.decoration, "confidence": finding.confidence, "source": finding.source},
    }
    if finding.suggestion:
        result["fixes"] = [{
            "description": {"text": "suggested replacement"},
            "artifactChanges": [{
                "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
                "replacements": [{"deletedRegion": region, "insertedContent": {"text": finding.suggestion.rstrip("\n") + "\n"}}],
            }],
        }]
    return result


def to_sarif(result: ReviewResult) -> dict[str, Any]:
    used = sorted({f.rule or "codeloop/model-review" for f in result.findings})
    rule_index = {rule: i for i, rule in enumerate(used)}
    rules = [{"id": rule, "shortDescription": {"text": RULES.get(rule, rule)}} for rule in used]
    findings = [f if f.rule else Finding(**{**f.__dict__, "rule": "codeloop/model-review"}) for f in result.findings]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "codeloop", "version": __version__, "informationUri": "https://github.com/codeloop/codeloop", "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the repository top"}}},
            "results": [_result(f, rule_index) for f in findings],
            "properties": {"dropped": result.dropped, "skipped": list(result.skipped), "files": list(result.files)},
        }],
    }
