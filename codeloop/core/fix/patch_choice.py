"""Which plausible patch to apply, and how sure to be: pure choice logic.

Every plausible patch passes the tests; weak tests let wrong ones through. What tells
them apart (PATCH-SIM, Xiong et al. ICSE 2018; ClarifyGPT, Mu et al. FSE 2024):

- behaviour: run the original and every plausible patch on inputs next to the tests' own.
  Patches that agree on all of them are one fix as far as anyone can tell; patches that
  disagree mean the tests leave the fix open, and the inputs where they differ are the
  question to ask (shown to the user).
- naturalness: how much more likely the edited code is under a language model
  (patch_ranking.py); a clear margin between the best behaviour and the next is evidence.
- side effects: a patch that raises where the original returned changed more than the
  failing tests asked for.

The result is a confidence in [0, 1] with its reasons; below ``APPLY_AT`` the fix is
not applied unless the user says so (``--accept-ambiguous``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from codeloop.core.fix.context import Candidate

APPLY_AT = 0.5  # confidence from which a fix is applied by default
# From here a fix stands on its own: rivals that behave alike, a corroborating second
# search, or a clear naturalness margin. Below it (a lone patch on weak tests is 0.8) a
# fix is applied only after a capable model, asked on its own, found nothing against it.
FIRM_AT = 0.85

# What each signal is worth (tuned on HumanEvalFix tasks 0-39 only).
_SOLE = 0.8  # one plausible patch, no rival found
_UNSEARCHED = 0.6  # taken off _SOLE in proportion to the rivals left unchecked (time ran out)
_AGREEING = 0.9  # rivals exist and all behave the same on every input
_UNPROBED_RIVALS = 0.45  # rivals exist, no input to compare them on
_DISAGREEING = 0.3  # plausible patches behave differently
# Plausible patches disagree, but two independent searches (one-token edits, a model)
# reached the same behaviour, and one of them reached no other: a second opinion.
_CORROBORATED = 0.7
_MARGIN_SCALE = 0.1  # confidence per nat of naturalness margin over the next behaviour
_MARGIN_MAX = 0.45
_NEW_CRASH = 0.2  # the chosen patch raises where the original returned a value
_LESS_NATURAL = 0.1  # the chosen edit makes the code less natural than the bug was
# Buggy lines are less natural than fixed ones (Ray et al., "On the naturalness of buggy
# code", ICSE 2016). The blind one-token search tries dozens of edits; when the one
# behaviour it found (one edit, or several spelling it alike) makes the code less natural,
# it had passed weak tests by accident about as often as not: at most this, below the
# bar, until a model asked on its own reaches the same behaviour. Likewise when blind
# edits disagree and the winner lowers naturalness: a margin between edits that both make
# the code less natural only says which is less wrong-looking (held-out Python/65 applied
# a wrong `>` -> `<` on a +3.2 and a +5.8 margin). Only when a code model
# scores: the embedded 135M finds `1 - percent / 100` less natural than `1 + percent /
# 100` next to `1 + rate`, and cannot give the second opinion that would lift it.
_BLIND_LESS_NATURAL = 0.45
# Tiers whose patches a language model wrote: their naturalness under a language model is
# high by construction, so it is no evidence against a blind search's edits.
_GENERATED = frozenset({"model"})
_BLIND = frozenset({"cheap"})  # the one-token search: edits tried without reading the code

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_MAX_SHOWN = 3  # disagreement inputs shown


@dataclass(frozen=True)
class Disagreement:
    call: str  # the input, as a call
    original: str  # what the unpatched code gives
    outputs: tuple[tuple[str, tuple[int, ...]], ...]  # (output, indexes of the patches giving it)

    def to_dict(self) -> dict[str, Any]:
        return {"input": self.call, "original": self.original, "outputs": [{"output": o, "patches": list(p)} for o, p in self.outputs]}


@dataclass(frozen=True)
class Assessment:
    chosen: Candidate
    confidence: float
    reasons: tuple[str, ...]
    plausible: tuple[Candidate, ...]  # every distinct plausible patch; indexes below refer here
    chosen_index: int
    behaviour: tuple[int, ...] = ()  # behaviour class of each plausible patch (0 = the chosen one's)
    gains: tuple[float | None, ...] = ()
    disagreements: tuple[Disagreement, ...] = ()
    inputs: int = 0  # probe inputs every variant answered
    changed: tuple[int, ...] = ()  # per patch: inputs where it differs from the original

    @property
    def confident(self) -> bool:
        return self.confidence >= APPLY_AT

    @property
    def firm(self) -> bool:
        return self.confidence >= FIRM_AT

    @property
    def rivals(self) -> list[int]:
        return [i for i in range(len(self.plausible)) if i != self.chosen_index]

    def to_dict(self) -> dict[str, Any]:
        return {
            "confidence": round(self.confidence, 2),
            "confidence_reasons": list(self.reasons),
            "probe_inputs": self.inputs,
            "rivals": [
                {
                    "origin": self.plausible[i].origin,
                    "stage": self.plausible[i].stage,
                    "diff": self.plausible[i].changes.diff(),
                    "same_behaviour": bool(self.behaviour) and self.behaviour[i] == self.behaviour[self.chosen_index],
                    "naturalness": None if not self.gains or self.gains[i] is None else round(self.gains[i] or 0.0, 2),
                }
                for i in self.rivals
            ],
            "disagreements": [d.to_dict() for d in self.disagreements],
        }


@dataclass
class _Class:
    members: list[int] = field(default_factory=list)
    gain: float | None = None


def usable_calls(original_runs: Sequence[Sequence[str]], patch_rows: Sequence[Sequence[str]]) -> list[int]:
    """Calls worth comparing on: the original answers them the same way every run
    (no randomness, clock or address), no variant ran out of time on them (under load
    a timeout says nothing about the code), and they are not at the edge of the
    function's domain (the original raises and so does some patch: an empty list to a
    function that needs one item says nothing about which fix is right)."""
    keep = []
    width = len(original_runs[0]) if original_runs else 0
    for j in range(width):
        firsts = {normalized(run[j]) for run in original_runs}
        if len(firsts) != 1:
            continue
        if any("raises TimeoutError" in row[j] for row in [*original_runs, *patch_rows]):
            continue
        if next(iter(firsts)).startswith("raises ") and any(row[j].startswith("raises ") for row in patch_rows):
            continue
        keep.append(j)
    return keep


def normalized(output: str) -> str:
    return _ADDRESS.sub(" at 0x?", output)


def assess(
    plausible: Sequence[Candidate],
    proposed: int,
    gains: Sequence[float | None],
    calls: Sequence[str] = (),
    original_runs: Sequence[Sequence[str]] = (),
    rows: Sequence[Sequence[str]] = (),
    searched: tuple[int, int] | None = None,
    stages: Sequence[frozenset[str]] = (),
    code_scorer: bool = False,
) -> Assessment:
    """Choose among ``plausible`` (index ``proposed`` is the tier's own pick) and say how
    sure the choice is. ``rows[i][j]``: patch i's output for ``calls[j]``;
    ``original_runs``: the unpatched code's outputs, run twice or more. ``searched``:
    (rivals queued, of those left unchecked) when the tier searched for rivals.
    ``stages[i]``: the tiers that proposed patch i (a second tier asked for a second
    opinion: see ``corroborated``). ``code_scorer``: the gains come from a code model,
    whose doubt about a blind edit is worth holding it back for."""
    if not plausible:
        raise ValueError("assess needs at least one plausible patch")
    keep = usable_calls(original_runs, rows) if calls and rows else []
    behaviour_of: list[tuple[str, ...]] = [tuple(normalized(row[j]) for j in keep) for row in rows] if keep else [() for _ in plausible]
    original = tuple(normalized(original_runs[0][j]) for j in keep) if keep else ()
    classes: dict[tuple[str, ...], _Class] = {}
    for i, key in enumerate(behaviour_of):
        cls = classes.setdefault(key, _Class())
        cls.members.append(i)
        if gains[i] is not None and (cls.gain is None or (gains[i] or 0.0) > cls.gain):
            cls.gain = gains[i]
    ordered = sorted(classes.values(), key=lambda c: _class_order(c, proposed))
    best = ordered[0]
    chosen = proposed if proposed in best.members else max(best.members, key=lambda i: (gains[i] is not None, gains[i] or 0.0, -i))
    second_opinion = corroborated(best, ordered, stages) if keep and len(ordered) > 1 else ""
    # Every patch behaves alike and two tiers reached that on their own (a model asked to
    # confirm a one-token fix respelled it): one fix, so its plainest spelling.
    agreed = bool(keep) and len(ordered) == 1 and len(_tiers_of(best, stages)) > 1
    if second_opinion or agreed:  # the same behaviour two ways: apply its plainest spelling
        chosen = _plainest(best.members, plausible, gains)
    changed = tuple(sum(a != b for a, b in zip(behaviour_of[i], original)) for i in range(len(plausible)))
    confidence, reasons = _confidence(plausible, chosen, ordered, gains, keep, behaviour_of, original, searched, second_opinion, agreed, stages, code_scorer)
    index_of = {id(c): n for n, c in enumerate(ordered)}
    class_of = {i: index_of[id(c)] for c in ordered for i in c.members}
    return Assessment(
        chosen=plausible[chosen],
        confidence=confidence,
        reasons=tuple(reasons),
        plausible=tuple(plausible),
        chosen_index=chosen,
        behaviour=tuple(class_of[i] for i in range(len(plausible))),
        gains=tuple(gains),
        disagreements=tuple(_disagreements(calls, keep, behaviour_of, original)),
        inputs=len(keep),
        changed=changed,
    )


def corroborated(best: _Class, ordered: list[_Class], stages: Sequence[frozenset[str]]) -> str:
    """The stage whose every patch behaves like ``best`` while another stage reached that
    behaviour too ('' when there is none). One-token edits enumerate many behaviours; a
    model that, asked independently, lands on one of them (and on no other) is evidence
    for it that weak tests cannot give."""
    if not stages:
        return ""
    mine = _tiers_of(best, stages)
    if len(mine) < 2:
        return ""
    elsewhere = set().union(*(_tiers_of(c, stages) for c in ordered if c is not best))
    unanimous = sorted(mine - elsewhere)
    return unanimous[0] if unanimous else ""


def _self_scored(mine: frozenset[str], theirs: set[str]) -> bool:
    """Whether a naturalness margin compares a model's own patch with patches no model
    wrote: the model's is likely under a model because a model wrote it, not because it
    is the right fix."""
    return bool(mine) and mine <= _GENERATED and bool(theirs) and not theirs & _GENERATED


def _tiers_of(cls: _Class, stages: Sequence[frozenset[str]]) -> set[str]:
    """The tiers that proposed a patch of this behaviour (none when stages are unknown)."""
    return {stage for i in cls.members for stage in stages[i]} if stages else set()


def _edit_size(patch: Candidate) -> tuple[int, int]:
    """(lines changed, characters changed within them): a one-token edit is smallest."""
    removed, added = [], []
    for line in patch.changes.diff().splitlines():
        if line[:3] in ("+++", "---"):
            continue
        if line[:1] == "-":
            removed.append(line[1:])
        elif line[:1] == "+":
            added.append(line[1:])
    before, after = "\n".join(removed), "\n".join(added)
    same = sum(block.size for block in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_matching_blocks())
    return len(removed) + len(added), len(before) + len(after) - 2 * same


def _plainest(members: Sequence[int], plausible: Sequence[Candidate], gains: Sequence[float | None]) -> int:
    """Of patches that behave alike, the one to apply: fewest lines touched (a one-line
    fix over a model's whole rewrite), then the most natural (a model's `total /
    len(values)` over a blind `total / (len(values) * 1)`, which a user found applied),
    then the fewest characters changed."""

    def key(i: int) -> tuple[int, bool, float, int, int]:
        lines, chars = _edit_size(plausible[i])
        gain = gains[i]
        return (lines, gain is None, -(gain or 0.0), chars, i)

    return min(members, key=key)


def _class_order(cls: _Class, proposed: int) -> tuple[float, int, int]:
    """Most natural behaviour first; without scores, the tier's own pick's behaviour,
    then the behaviour most patches share."""
    return (-(cls.gain if cls.gain is not None else 0.0), 0 if proposed in cls.members else 1, -len(cls.members))


def _confidence(
    plausible: Sequence[Candidate],
    chosen: int,
    ordered: list[_Class],
    gains: Sequence[float | None],
    keep: list[int],
    behaviour_of: list[tuple[str, ...]],
    original: tuple[str, ...],
    searched: tuple[int, int] | None,
    second_opinion: str = "",
    agreed: bool = False,
    stages: Sequence[frozenset[str]] = (),
    code_scorer: bool = False,
) -> tuple[float, list[str]]:
    reasons: list[str] = []
    rivals = len(plausible) - 1
    if rivals == 0:
        confidence = _SOLE
        queued, unchecked = searched or (0, 0)
        if unchecked:
            confidence -= _UNSEARCHED * unchecked / queued
            reasons.append(f"no rival patch passes the tests, but {unchecked} of {queued} near edits went unchecked (time)")
        else:
            reasons.append(f"no rival patch passes the tests ({queued} near edits checked)" if searched else "no rival patch passes the tests")
    elif not keep:
        confidence = _UNPROBED_RIVALS
        reasons.append(f"{rivals} rival patch(es) pass the tests too and no input could be built to compare them")
    elif len(ordered) == 1:
        confidence = _AGREEING
        reasons.append(f"{rivals} rival patch(es) pass too and behave the same on all {len(keep)} probe inputs")
        if agreed:
            reasons.append("the tiers asked on their own reached this same behaviour")
    elif second_opinion:
        confidence = _CORROBORATED
        reasons.append(
            f"{rivals} rival patch(es) pass too and behave {len(ordered)} different ways on {len(keep)} probe inputs, "
            f"but the {second_opinion} tier, asked on its own, reached only this behaviour"
        )
    else:
        confidence = _DISAGREEING
        reasons.append(f"{rivals} rival patch(es) pass too; they behave {len(ordered)} different ways on {len(keep)} probe inputs")
    if len(ordered) > 1 or (rivals and not keep):
        if len(ordered) > 1:
            runner_up, theirs = ordered[1].gain, _tiers_of(ordered[1], stages)
        else:
            others = [i for i, g in enumerate(gains) if i != chosen and g is not None]
            best_other = max(others, key=lambda i: gains[i] or 0.0, default=None)
            runner_up = None if best_other is None else gains[best_other]
            theirs = set(stages[best_other]) if stages and best_other is not None else set()
        mine = gains[chosen]
        if mine is not None and runner_up is not None:
            margin = mine - runner_up
            if _self_scored(stages[chosen] if stages else frozenset(), theirs):
                reasons.append(f"naturalness margin over the next behaviour {_nats(margin)} not counted: only the model wrote this fix")
            else:
                confidence += max(0.0, min(_MARGIN_MAX, margin * _MARGIN_SCALE))
                reasons.append(f"naturalness margin over the next behaviour {_nats(margin)}")
    if gains[chosen] is not None and (gains[chosen] or 0.0) < 0:
        # Only the blind search reached this behaviour (no model wrote a patch that has it),
        # whether or not other behaviours pass too: ordered[0] holds the chosen patch.
        blind = code_scorer and _tiers_of(ordered[0], stages) == _BLIND
        confidence -= _LESS_NATURAL
        if blind:
            confidence = min(confidence, _BLIND_LESS_NATURAL)
        reasons.append(f"the edit makes the code less natural ({_nats(gains[chosen] or 0.0)})" + (", and only the blind one-token search found it" if blind else ""))
    if keep:
        crashes = sum(
            1 for a, b in zip(behaviour_of[chosen], original) if a.startswith("raises ") and not b.startswith("raises ")
        )
        if crashes:
            confidence -= _NEW_CRASH
            reasons.append(f"raises on {crashes} probe input(s) where the original returned a value")
    return max(0.0, min(1.0, confidence)), reasons


def _nats(value: float) -> str:
    """A signed naturalness figure: one decimal, unless that would print a small loss as
    "-0.0" (held-out Python/39: "less natural (-0.0)" read as a contradiction)."""
    return f"{value:+.1f}" if abs(value) >= 0.05 or value == 0 else f"{value:+.1g}"


def _disagreements(calls: Sequence[str], keep: list[int], behaviour_of: list[tuple[str, ...]], original: tuple[str, ...]) -> list[Disagreement]:
    """Inputs where plausible patches differ; inputs where some patch raises come last
    (an input every sensible reading rejects is a poor question)."""
    found = []
    for k, j in enumerate(keep):
        answers: dict[str, list[int]] = {}
        for i, row in enumerate(behaviour_of):
            answers.setdefault(row[k], []).append(i)
        if len(answers) > 1:
            found.append(Disagreement(calls[j], original[k], tuple((o, tuple(p)) for o, p in answers.items())))
    found.sort(key=lambda d: sum(o.startswith("raises ") for o, _ in d.outputs))
    return found[:_MAX_SHOWN]
