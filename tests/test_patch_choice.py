"""The choice among plausible patches and its confidence (pure: outputs given as data)."""

from codeloop.core.changes import ChangeSet, FileChange
from codeloop.core.fix.context import Candidate
from codeloop.core.fix.patch_choice import APPLY_AT, assess, usable_calls

BUGGY = "def below_zero(ops):\n    b = 0\n    for op in ops:\n        b += op\n        if b == 0:\n            return True\n    return False\n"


def patch(op: str) -> Candidate:
    after = BUGGY.replace("b == 0", f"b {op} 0")
    return Candidate(ChangeSet((FileChange("m.py", BUGGY, after),)), "cheap", f"'==' -> '{op}'", "m.py")


CALLS = ["below_zero([0, 2])", "below_zero([-1])", "below_zero([1, -1])"]
ORIGINAL = ["True", "False", "True"]
LESS = ["False", "True", "False"]  # b < 0
LESS_EQUAL = ["True", "True", "True"]  # b <= 0


def test_a_sole_patch_is_confident_and_says_no_rival_was_found():
    result = assess([patch("<")], 0, [None], searched=(6, 0))
    assert result.confident and result.confidence == 0.8
    assert result.reasons == ("no rival patch passes the tests (6 near edits checked)",)
    assert result.rivals == [] and result.disagreements == ()


def test_rivals_left_unchecked_lower_a_sole_patch_below_the_bar():
    result = assess([patch("<")], 0, [None], searched=(10, 6))
    assert not result.confident
    assert "6 of 10 near edits went unchecked" in result.reasons[0]


def test_rivals_that_behave_the_same_make_the_fix_confident():
    result = assess([patch("<"), patch("<")], 0, [None, None], CALLS, [ORIGINAL, ORIGINAL], [LESS, LESS])
    assert result.confident and result.confidence > 0.8
    assert result.behaviour == (0, 0) and result.disagreements == ()
    assert result.inputs == 3


def test_rivals_that_disagree_without_scores_abstain_and_show_the_inputs():
    result = assess([patch("<"), patch("<=")], 0, [None, None], CALLS, [ORIGINAL, ORIGINAL], [LESS, LESS_EQUAL])
    assert not result.confident and result.confidence < APPLY_AT
    assert result.chosen_index == 0  # the tier's own pick stays the best guess
    shown = {d.call: dict(d.outputs) for d in result.disagreements}
    assert shown == {"below_zero([0, 2])": {"False": (0,), "True": (1,)}, "below_zero([1, -1])": {"False": (0,), "True": (1,)}}
    assert result.disagreements[0].original == "True"
    assert "behave 2 different ways on 3 probe inputs" in result.reasons[0]


def test_a_clear_naturalness_margin_picks_the_natural_behaviour_and_applies():
    # The tier proposed "<=" (index 0); "<" is far more natural: it wins, confidently.
    result = assess([patch("<="), patch("<")], 0, [-2.0, 3.0], CALLS, [ORIGINAL, ORIGINAL], [LESS_EQUAL, LESS])
    assert result.chosen.origin == "'==' -> '<'"
    assert result.confident
    assert any("naturalness margin over the next behaviour +5.0" in r for r in result.reasons)


def test_a_thin_naturalness_margin_still_abstains():
    result = assess([patch("<"), patch("<=")], 0, [1.0, 0.8], CALLS, [ORIGINAL, ORIGINAL], [LESS, LESS_EQUAL])
    assert result.chosen.origin == "'==' -> '<'" and not result.confident


def test_a_patch_that_raises_where_the_original_returned_loses_confidence():
    crashing = ["raises TypeError: nope", "True", "False"]
    result = assess([patch("<"), patch("<")], 0, [None, None], CALLS, [ORIGINAL, ORIGINAL], [crashing, crashing])
    assert result.confidence < 0.9
    assert any("raises on 1 probe input(s) where the original returned" in r for r in result.reasons)


def test_nondeterministic_timed_out_and_domain_edge_inputs_are_not_compared():
    runs = [["1", "<object at 0x1234>", "3", "4", "raises IndexError: x", "raises IndexError: x"]] * 2
    runs = [["2", *runs[0][1:]], ["1", "<object at 0xabcd>", *runs[0][2:]]]
    rows = [["1", "x", "3", "raises TimeoutError: the call ran too long", "raises IndexError: x", "5"], ["1", "x", "3", "4", "0", "5"]]
    # 0: the original answers differently each run; 3: a timeout; 4: the original and a
    # patch both raise (the domain's edge); 5: the original raises, every patch answers.
    assert usable_calls(runs, rows) == [1, 2, 5]


def test_rivals_without_inputs_abstain_unless_naturalness_is_clear():
    unclear = assess([patch("<"), patch("<=")], 0, [None, None])
    assert not unclear.confident and "no input could be built" in unclear.reasons[0]
    clear = assess([patch("<"), patch("<=")], 0, [4.0, -1.0])
    assert clear.confident


def test_to_dict_carries_confidence_rivals_and_disagreements():
    payload = assess([patch("<"), patch("<=")], 0, [None, None], CALLS, [ORIGINAL, ORIGINAL], [LESS, LESS_EQUAL]).to_dict()
    assert payload["confidence"] == 0.3 and payload["probe_inputs"] == 3
    assert payload["rivals"][0]["same_behaviour"] is False and "b <= 0" in payload["rivals"][0]["diff"]
    assert payload["disagreements"][0] == {"input": "below_zero([0, 2])", "original": "True", "outputs": [{"output": "False", "patches": [0]}, {"output": "True", "patches": [1]}]}


def written_by_model(op: str) -> Candidate:
    return Candidate(patch(op).changes, "model", f"model: '==' -> '{op}'", "m.py")


CHEAP, MODEL = frozenset({"cheap"}), frozenset({"model"})


def test_a_lone_blind_edit_that_makes_the_code_less_natural_is_below_the_bar():
    blind = assess([patch("<")], 0, [-3.0], searched=(6, 0), stages=[CHEAP], code_scorer=True)
    assert not blind.confident and blind.confidence < APPLY_AT
    assert "only the blind one-token search found it" in blind.reasons[-1]
    # A model reached the same edit on its own: no longer a blind search's lone survivor.
    seconded = assess([patch("<")], 0, [-3.0], searched=(6, 0), stages=[CHEAP | MODEL], code_scorer=True)
    assert seconded.confident and round(seconded.confidence, 2) == 0.7
    # Without scores there is no naturalness to hold against it.
    assert assess([patch("<")], 0, [None], searched=(6, 0), stages=[CHEAP], code_scorer=True).confidence == 0.8
    # Nor when the scorer is no code model (the embedded 135M): its doubt is too weak.
    assert assess([patch("<")], 0, [-3.0], searched=(6, 0), stages=[CHEAP]).confident


def test_a_models_own_fix_does_not_win_on_naturalness_over_blind_edits():
    # The model wrote "<" and a language model scores it; the blind search's "<=" behaves
    # differently. The margin is the model liking its own answer: no evidence, abstain.
    patches = [written_by_model("<"), patch("<=")]
    result = assess(patches, 0, [5.0, -3.0], CALLS, [ORIGINAL, ORIGINAL], [LESS, LESS_EQUAL], stages=[MODEL, CHEAP])
    assert result.chosen_index == 0 and not result.confident
    assert "+8.0 not counted: only the model wrote this fix" in result.reasons[-1]
    # Two of the model's answers compared with each other: the margin counts.
    both = assess([written_by_model("<"), written_by_model("<=")], 0, [5.0, -3.0], CALLS, [ORIGINAL, ORIGINAL], [LESS, LESS_EQUAL], stages=[MODEL, MODEL])
    assert both.confident and "naturalness margin over the next behaviour +8.0" in both.reasons[-1]
    # A blind edit that wins on naturalness over the model's answer: the margin counts.
    blind_wins = assess([patch("<"), written_by_model("<=")], 0, [5.0, -3.0], CALLS, [ORIGINAL, ORIGINAL], [LESS, LESS_EQUAL], stages=[CHEAP, MODEL])
    assert blind_wins.confident


def test_one_behaviour_spelled_by_several_blind_edits_that_lowers_naturalness_is_below_the_bar():
    twins = [patch("<"), patch("<")]
    blind = assess(twins, 0, [-3.0, -3.5], CALLS, [ORIGINAL, ORIGINAL], [LESS, LESS], stages=[CHEAP, CHEAP], code_scorer=True)
    assert "behave the same" in blind.reasons[0] and not blind.confident
    # Natural, or reached by a model too: it stands.
    assert assess(twins, 0, [1.0, 0.5], CALLS, [ORIGINAL, ORIGINAL], [LESS, LESS], stages=[CHEAP, CHEAP], code_scorer=True).confident
    assert assess(twins, 0, [-3.0, -3.5], CALLS, [ORIGINAL, ORIGINAL], [LESS, LESS], stages=[CHEAP, MODEL], code_scorer=True).confident


def test_blind_edits_that_disagree_do_not_win_on_a_margin_when_the_winner_lowers_naturalness():
    # Held-out Python/65's path: two one-token edits pass and disagree; the winner is
    # less natural than the bug, the other even less. The margin only says which looks
    # less wrong: held below the bar for a model's second opinion.
    patches = [patch("<"), patch("<=")]
    result = assess(patches, 0, [-1.0, -7.0], CALLS, [ORIGINAL, ORIGINAL], [LESS, LESS_EQUAL], stages=[CHEAP, CHEAP], code_scorer=True)
    assert result.chosen_index == 0 and not result.confident
    assert "naturalness margin over the next behaviour +6.0" in result.reasons[1]
    assert "only the blind one-token search found it" in result.reasons[-1]
    # The same margin for an edit that makes the code more natural still applies it.
    natural = assess(patches, 0, [3.0, -3.0], CALLS, [ORIGINAL, ORIGINAL], [LESS, LESS_EQUAL], stages=[CHEAP, CHEAP], code_scorer=True)
    assert natural.confident
    # A model that reached the winner on its own lifts it (a second opinion, not a margin).
    seconded = assess(patches, 0, [-1.0, -7.0], CALLS, [ORIGINAL, ORIGINAL], [LESS, LESS_EQUAL], stages=[CHEAP | MODEL, CHEAP], code_scorer=True)
    assert seconded.confident and "the model tier, asked on its own, reached only this behaviour" in seconded.reasons[0]
    # With the embedded 135M as scorer the margin counts as before (0.3 + 0.45 - 0.1).
    assert round(assess(patches, 0, [-1.0, -7.0], CALLS, [ORIGINAL, ORIGINAL], [LESS, LESS_EQUAL], stages=[CHEAP, CHEAP]).confidence, 2) == 0.65


def test_a_small_naturalness_loss_is_not_printed_as_minus_zero():
    # Held-out Python/39 said "less natural (-0.0)": a loss of hundredths, rounded away.
    small = assess([patch("<")], 0, [-0.03], searched=(6, 0), stages=[CHEAP], code_scorer=True)
    assert "the edit makes the code less natural (-0.03)" in small.reasons[-1]
    usual = assess([patch("<")], 0, [-3.04], searched=(6, 0), stages=[CHEAP], code_scorer=True)
    assert "the edit makes the code less natural (-3.0)" in usual.reasons[-1]


def test_of_patches_that_behave_alike_the_plainest_spelling_is_applied():
    # Found as a user: `total / (len(values) - 1)`; the blind search's `* 1` and the
    # model's `total / len(values)` behave alike and were both reached, and the smallest
    # edit, `(len(values) * 1)`, was applied. Now: fewest lines, then most natural.
    buggy = "def mean(values):\n    total = sum(values)\n    return total / (len(values) - 1)\n"

    def spelled(line: str, stage: str) -> Candidate:
        after = buggy.replace("    return total / (len(values) - 1)", line)
        return Candidate(ChangeSet((FileChange("m.py", buggy, after),)), stage, line.strip(), "m.py")

    times_one = spelled("    return total / (len(values) * 1)", "cheap")
    model = spelled("    return total / len(values)", "model")
    rewrite = spelled("    n = len(values)\n    return total / n", "model")
    calls, original = ["mean([1.0, 3.0])"], [["4.0"], ["4.0"]]
    rows = [["2.0"], ["2.0"], ["2.0"]]
    result = assess([times_one, model, rewrite], 0, [-4.8, 11.5, 12.0], calls, original, rows,
                    stages=[CHEAP, MODEL, MODEL], code_scorer=True)
    assert result.chosen is model and result.confident  # one line, and the most natural of those
    assert not any("less natural" in r for r in result.reasons)
    # Without scores: the smallest edit, as before.
    unscored = assess([times_one, model, rewrite], 0, [None, None, None], calls, original, rows, stages=[CHEAP, MODEL, MODEL])
    assert unscored.chosen is times_one
