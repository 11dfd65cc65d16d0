"""Rank extract-method opportunities in long functions (pure: source in, suggestions out).

A candidate is a run of whole statements in one block of a function with at least
``min_function_lines`` lines, that extract-method accepts. Cohesive blocks score high:
many lines moved through a narrow interface (few parameters, fewer return values),
bonus for a whole compound statement (a loop or an if) or a run introduced by a comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codeloop.core.refactor import RefactorRefused
from codeloop.core.refactor.pyplan import ExtractPlan, plan
from codeloop.core.refactor.selection import Selection, _functions, select
from codeloop.core.errors import InvalidInput

_COMPOUND = ("if_statement", "for_statement", "while_statement", "try_statement", "with_statement")


@dataclass(frozen=True)
class Suggestion:
    function: str
    start: int
    end: int
    score: float
    plan: ExtractPlan
    name: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "lines": [self.start, self.end],
            "name": self.name,
            "params": list(self.plan.params),
            "returns": list(self.plan.returns),
            "score": round(self.score, 2),
        }


def _blocks(function: Any) -> list[Any]:
    found, stack = [], [function.child_by_field_name("body")]
    while stack:
        node = stack.pop()
        if node.type == "block":
            found.append(node)
        if node.type in ("function_definition", "class_definition", "lambda") and node.id != function.id:
            continue
        stack.extend(node.named_children)
    return found


def _score(p: ExtractPlan, sel: Selection, body_lines: int) -> float:
    lines = sel.last_row - sel.first_row + 1
    if lines < 3 or lines > 0.8 * body_lines:
        return 0.0
    score = lines / (1 + len(p.params) + 2 * len(p.returns))
    if len(sel.code) == 1 and sel.code[0].type in _COMPOUND:
        score *= 1.5
    if sel.statements[0].type == "comment":
        score *= 1.3
    return score


def suggest(tree: Any, source: str, min_function_lines: int = 12, limit: int = 10) -> list[Suggestion]:
    """The best candidate of each long function, best first."""
    lines = source.splitlines(keepends=True)
    found: list[Suggestion] = []
    for fn in sorted(_functions(tree.root_node), key=lambda n: n.start_byte):
        body = fn.child_by_field_name("body")
        body_lines = body.end_point[0] - fn.start_point[0]
        if body_lines < min_function_lines:
            continue
        best: Suggestion | None = None
        for block in _blocks(fn):
            children = list(block.named_children)
            for i in range(len(children)):
                for j in range(i, min(len(children), i + 8)):
                    stmts = tuple(children[i : j + 1])
                    if all(s.type == "comment" for s in stmts) or stmts[-1].type == "comment":
                        continue
                    try:
                        sel = select(tree, lines, stmts[0].start_point[0] + 1, stmts[-1].end_point[0] + 1)
                        if sel.function.id != fn.id:
                            continue
                        p = plan(sel)
                    except (RefactorRefused, InvalidInput):
                        continue
                    score = _score(p, sel, body_lines)
                    if score > 0 and (best is None or score > best.score):
                        best = Suggestion(p.function_name, sel.start, sel.end, score, p)
        if best is not None:
            found.append(best)
    found.sort(key=lambda s: -s.score)
    return found[:limit]
