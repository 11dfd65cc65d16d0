"""Vet a tier's winner against its rivals before it is applied.

The loop hands over every plausible patch the tiers found (``PatchVetting.run``). This
module finds the functions the patches change, builds calls next to the tests' own
(probe_inputs.py), has the ``BehaviourProbe`` adapter run the original and each patch
on them in a child process (the candidates are untrusted code: never in codeloop's own
process), scores the patches' naturalness when a scorer is at hand, and leaves the
choice and the confidence to patch_choice.py. Pure: the probe and the scorer are
callables handed in by the CLI.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass

from codeloop.analysis.functions import functions
from codeloop.analysis.languages import FunctionSpan, Language
from codeloop.core.changes import ChangeSet, FileChange
from codeloop.core.edits import function_source
from codeloop.core.events import Event, Note, PatchesCompared, StageStarted
from codeloop.core.fix.context import Candidate, RepairContext
from codeloop.core.fix.patch_choice import Assessment, assess
from codeloop.core.fix.patch_ranking import CodeScorer, naturalness_gains
from codeloop.core.fix.probe_inputs import probe_calls, signature_of, literal_arguments

# (variants: None is the unpatched tree; a project-relative .py file; calls) ->
# outputs[variant][call], each a repr, printed text or "raises Name: message".
BehaviourProbe = Callable[[Sequence[ChangeSet | None], str, Sequence[str]], list[list[str]]]

_MAX_TARGETS = 3  # functions probed
_MAX_CALLS = 40  # probe inputs in all
_MAX_PATCHES = 12  # plausible patches compared (the tier's pick and the first found)


@dataclass(frozen=True)
class Target:
    path: str
    qualname: str
    source: str  # the function's original source


def first_changed_line(change: FileChange) -> int:
    """1-based line of ``change.before`` where the patch starts."""
    before = change.before.splitlines()
    after = change.after.splitlines()
    for tag, i1, _i2, _j1, _j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if tag != "equal":
            return min(i1 + 1, max(1, len(before)))
    return 1


def changed_functions(patches: Sequence[Candidate], language_for: Callable[[str], Language | None]) -> list[Target]:
    """The functions the patches change, the most often changed first; a change inside a
    nested helper is probed through the function that encloses it."""
    counts: dict[tuple[str, str], int] = {}
    sources: dict[tuple[str, str], str] = {}
    for patch in patches:
        for change in patch.changes.files:
            language = language_for(change.path)
            if language is None or language.name != "python" or not change.path.endswith(".py"):
                continue
            span = callable_function(change.before, language, first_changed_line(change))
            if span is None:
                continue
            key = (change.path, span.qualname)
            counts[key] = counts.get(key, 0) + 1
            sources[key] = function_source(change.before, span)
    ranked = sorted(counts, key=lambda k: -counts[k])
    return [Target(path, qualname, sources[(path, qualname)]) for path, qualname in ranked[:_MAX_TARGETS]]


def callable_function(source: str, language: Language, line: int) -> FunctionSpan | None:
    """The innermost function around ``line`` that can be called from outside: a nested
    helper cannot, but the function that defines it can, and its behaviour shows the
    helper's (an instance method has no such caller: the innermost span is kept and the
    probe finds no input for it)."""
    around = sorted(
        (s for s in functions(language, source.encode("utf-8")) if s.start_line <= line <= s.end_line),
        key=lambda s: -s.start_line,
    )
    for span in around:
        if signature_of(function_source(source, span), span.qualname) is not None:
            return span
    return around[0] if around else None


def failing_test_sources(ctx: RepairContext) -> list[str]:
    """The failing tests' files and the test code on their tracebacks: where the tests'
    own argument values are."""
    files = dict.fromkeys(t.split("::", 1)[0] for t in ctx.baseline.failed_ids)
    known = set(ctx.files)
    sources = [ctx.read(f) for f in files if f in known]
    for test in ctx.tests:
        sources += test.sources
    return sources


class PatchVetting:
    """What the loop calls on a tier's winner: choose among the plausible patches and
    say how sure the choice is."""

    def __init__(self, probe: BehaviourProbe | None, scorer: CodeScorer | None = None, code_scorer: bool = False) -> None:
        self.probe = probe
        self.scorer = scorer
        self.code_scorer = code_scorer  # the scorer is a code model (see patch_choice._BLIND_LESS_NATURAL)

    def run(self, ctx: RepairContext, winner: Candidate, plausible: Sequence[Candidate]) -> Generator[Event, None, Assessment]:
        patches = _distinct([winner, *plausible])[:_MAX_PATCHES]
        yield StageStarted("compare", f"{len(patches)} plausible patch(es)")
        gains = yield from self._gains(ctx, patches)
        calls: list[str] = []
        original_runs: list[list[str]] = [[], []]
        rows: list[list[str]] = [[] for _ in patches]
        if self.probe is not None:  # a sole patch too: raising where the original returned is a sign
            targets = changed_functions(patches, ctx.language_for)
            sources = failing_test_sources(ctx)
            for target in targets:
                signature = signature_of(target.source, target.qualname)
                if signature is None:
                    continue
                mine = probe_calls(signature, literal_arguments(sources, signature.name), _MAX_CALLS // max(1, len(targets)))
                if not mine:
                    continue
                try:
                    outputs = self.probe([None, None, *(p.changes for p in patches)], target.path, mine)
                except Exception as exc:  # the probe is a help, never a reason to lose a fix
                    yield Note(f"behaviour comparison off for {target.qualname} ({type(exc).__name__}: {exc})")
                    continue
                calls += mine
                original_runs[0] += outputs[0]
                original_runs[1] += outputs[1]
                for row, out in zip(rows, outputs[2:]):
                    row += out
        search = ctx.notes.get("rival-search") if winner.stage == "cheap" else None
        searched = (getattr(search, "queued", 0), getattr(search, "unchecked", 0)) if search is not None else None
        stages = [frozenset(c.stage for c in [winner, *plausible] if c.changes.diff() == p.changes.diff()) for p in patches]
        result = assess(patches, 0, gains, calls, original_runs if calls else [], rows if calls else [], searched, stages, self.code_scorer)
        behaviours = len(set(result.behaviour)) if result.inputs else 1
        shown = [f"{d.call}: " + " vs ".join(o for o, _ in d.outputs) for d in result.disagreements]
        yield PatchesCompared(len(patches), behaviours, result.inputs, result.chosen.origin, result.confidence, shown)
        return result

    def _gains(self, ctx: RepairContext, patches: list[Candidate]) -> Generator[Event, None, list[float | None]]:
        if self.scorer is None or ctx.model_error:
            return [None] * len(patches)
        try:
            pairs = [(p.changes.files[0], first_changed_line(p.changes.files[0])) for p in patches]
            return list(naturalness_gains(pairs, ctx.language_for, self.scorer))
        except Exception as exc:  # a dead model costs the signal, not the fix
            yield Note(f"naturalness off while comparing patches ({type(exc).__name__}: {exc})")
            return [None] * len(patches)


def _distinct(patches: Sequence[Candidate]) -> list[Candidate]:
    seen: dict[str, Candidate] = {}
    for patch in patches:
        seen.setdefault(patch.changes.diff(), patch)
    return list(seen.values())
