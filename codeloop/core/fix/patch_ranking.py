"""Choosing among patches that all pass the tests: the one that makes the code most natural.

Weak tests let wrong patches through (HumanEvalFix/4: ``/ mean`` -> ``// mean`` passes the
one visible example). Bugs are unnatural code (Ray et al., "On the 'Naturalness' of Buggy
Code", ICSE 2016), so among plausible patches the one whose edit raises the code's
log-likelihood under a language model the most is the likeliest real fix. The gain is
measured on the changed function (before vs after), which makes patches in different
functions comparable: each is scored against its own original.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from codeloop.analysis.functions import enclosing_function
from codeloop.analysis.languages import Language
from codeloop.core.changes import FileChange

# log-likelihood of a piece of code under a language model (models/scoring.py)
CodeScorer = Callable[[str], float]

_BEFORE = 8  # lines before the edit when it is outside any function
_AFTER = 1  # lines after the edited one that are scored: an edit's effect is local


def changed_window(language: Language | None, text: str, line: int) -> str:
    """From the start of the function around ``line`` (1-based; else a few lines before
    it) to a few lines after it. Windows of edits to one function share their prefix, so
    the scorer evaluates only the lines from the edit on."""
    lines = text.splitlines(keepends=True)
    first = max(1, line - _BEFORE)
    last = line + _AFTER
    if language is not None:
        span = enclosing_function(language, text.encode("utf-8"), line)
        if span is not None:
            first, last = span.start_line, min(span.end_line, last)
    return "".join(lines[first - 1 : last])


def naturalness_gains(
    patches: Sequence[tuple[FileChange, int]], language_for: Callable[[str], Language | None], score: CodeScorer
) -> list[float]:
    """For each (change, edited line): log P(changed function after) - log P(before)."""
    originals: dict[str, float] = {}
    gains = []
    for change, line in patches:
        language = language_for(change.path)
        before = changed_window(language, change.before, line)
        if before not in originals:
            originals[before] = score(before)
        gains.append(score(changed_window(language, change.after, line)) - originals[before])
    return gains
