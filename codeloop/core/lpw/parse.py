"""Defensive parsing of the plan and verification answers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_STEP = re.compile(r"^\s*(\d+)[.)]\s*(.+?)\s*$")


def parse_plan(answer: str, prefill: str = "1. ") -> list[str]:
    """The steps of a numbered plan; lines that are not steps are dropped."""
    steps = []
    text = answer if _STEP.match(answer.split("\n", 1)[0]) else prefill + answer  # unforced prefill: numbered already
    for line in text.splitlines():
        match = _STEP.match(line)
        if match and len(match.group(2)) >= 3:
            steps.append(match.group(2))
    return steps


def plan_text(steps: list[str]) -> str:
    return "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))


@dataclass(frozen=True)
class Walkthrough:
    steps: list[str]
    result: str


def parse_verification(answer: str) -> Walkthrough | None:
    """{"steps": [...], "result": "..."} from the model, or None when it is unusable."""
    start, end = answer.find("{"), answer.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        data = json.loads(answer[start : end + 1])
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or "result" not in data:
        return None
    steps = data.get("steps")
    steps = [str(s) for s in steps] if isinstance(steps, list) else []
    return Walkthrough(steps, str(data["result"]).strip())


def first_line(answer: str) -> str:
    for line in answer.splitlines():
        if line.strip():
            return line.strip()
    return ""
