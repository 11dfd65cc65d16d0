"""The cheap tier and routing, on real git repos with real pytest runs.

Tests named test_scripted_... drive the model tier with a scripted model: they are
about routing (what the model tier is handed), not about model quality.
"""

import json
import shlex
import sys

from codeloop.plugins import language_for_path
from codeloop.cli.fix import generators_for
from codeloop.core.changes import ChangeSet, FileChange
from codeloop.core.events import TierProgress
from codeloop.core.fix.cheap_tier import CheapTier
from codeloop.core.fix.context import Candidate, FixOptions
from codeloop.core.fix.model_tier import ModelTier
from codeloop.core.fix.validate import Validator
from codeloop.runners.pytest_runner import PytestRunner
from codeloop.workspace.cache import SpectrumFiles
from codeloop.workspace.sandbox import SandboxPool

from tests.conftest import make_repo, run_cli, run_repair, snapshot
from tests.fakes import ScriptedBackend

PYTEST = f"{shlex.quote(sys.executable)} -m pytest -q"

OPERATOR_BUG = {
    "geo.py": (
        "def is_inside(x, lo, hi):\n"
        '    """True when lo <= x <= hi."""\n'
        "    return lo <= x and x < hi\n"
        "\n\n"
        "def width(lo, hi):\n"
        "    return hi - lo\n"
    ),
    "test_geo.py": (
        "from geo import is_inside, width\n\n\n"
        "def test_inside_bounds():\n    assert is_inside(3, 1, 3)\n    assert is_inside(1, 1, 3)\n\n\n"
        "def test_outside():\n    assert not is_inside(4, 1, 3)\n    assert not is_inside(0, 1, 3)\n\n\n"
        "def test_width():\n    assert width(1, 3) == 2\n"
    ),
}


def drive(repo, tiers, cache=None, **opts):
    options = FixOptions(**{"samples": 2, "max_rounds": 1, "time_budget": 120, **opts})
    return run_repair(repo, tiers, options, PYTEST, workers=2, cache=cache)


def test_cheap_tier_fixes_an_operator_slip_with_parallel_workers(tmp_path):
    repo = make_repo(tmp_path / "r", OPERATOR_BUG)
    before = snapshot(repo)
    result, events = drive(repo, [CheapTier(generators_for, share=1.0, workers=2)])
    assert result.status == "fixed" and result.stage == "cheap"
    assert "+    return lo <= x and x <= hi" in result.changes.diff()
    assert result.changes.size() == 2 and result.stats.llm_calls == 0
    assert result.stats.plausible >= 1 and result.winner == "line 3: '<' -> '<='"
    assert any(isinstance(e, TierProgress) and e.passed for e in events)
    assert snapshot(repo) == before  # the loop never writes the user's tree


def test_second_run_reuses_the_cached_spectrum(tmp_path):
    repo = make_repo(tmp_path / "r", OPERATOR_BUG)
    cache = SpectrumFiles(repo)
    first, _ = drive(repo, [CheapTier(generators_for, share=1.0)], cache)
    second, events = drive(repo, [CheapTier(generators_for, share=1.0)], cache)
    assert first.status == second.status == "fixed"
    assert any(getattr(e, "detail", "") == "spectrum from cache" for e in events)
    assert len(list((repo / ".codeloop" / "cache" / "sbfl").glob("*.json"))) == 1


def test_validator_rejects_a_candidate_that_passes_only_the_failing_tests(tmp_path):
    repo = make_repo(tmp_path / "r", OPERATOR_BUG)
    runner = PytestRunner(PYTEST)
    with SandboxPool(repo) as pool:
        with pool.sandbox() as box:
            baseline = runner.run(box.path)
        validator = Validator(pool, runner, baseline, language_for_path, deadline=float("inf"), full_timeout=60)
        text = pool.read("geo.py")
        # Makes test_inside_bounds pass but breaks test_outside: never acceptable.
        cheat = text.replace("return lo <= x and x < hi", "return True")
        verdict = validator(Candidate(ChangeSet((FileChange("geo.py", text, cheat),)), "cheap", "cheat"))
        assert not verdict.passed and verdict.detail == "the whole test command fails"
        assert verdict.report.failed_ids == ["test_geo.py::test_outside"]
        # And the test files themselves are off limits.
        test_text = pool.read("test_geo.py")
        edit = Candidate(ChangeSet((FileChange("test_geo.py", test_text, test_text.replace("assert", "assert 1 or")),)), "cheap", "x")
        assert validator(edit).outcome == "forbidden"


def test_scripted_routing_hands_the_model_what_the_cheap_tier_learned(tmp_path):
    # Two tokens are wrong: no one-token edit fixes it, so the model tier runs next and
    # its single-line prompt targets the line SBFL and the cheap tier pointed at.
    files = {
        "calc.py": "def area(w, h):\n    return w + h + w\n",
        "test_calc.py": "from calc import area\n\n\ndef test_area():\n    assert area(2, 3) == 6\n    assert area(1, 1) == 1\n",
    }
    repo = make_repo(tmp_path / "r", files)
    backend = ScriptedBackend(["    return w * h\n"] * 3)
    tiers = [CheapTier(generators_for, share=0.5), ModelTier(lambda: backend)]
    result, events = drive(repo, tiers, samples=1, line_samples=2, forms=("line",))
    assert result.status == "fixed" and result.stage == "model"
    assert "+    return w * h" in result.changes.diff()
    first = backend.history[0]
    # No marker in the code (models copied it back); the line's place is the prefill's end.
    assert "#" not in first.messages[-1].content.split("```python")[1].split("```")[0].replace("# calc.py", "")
    assert first.prefill == "```python\ndef area(w, h):\n"  # prefilled up to the suspicious line
    assert first.grammar.startswith('root ::= "    "')


def test_cli_no_model_fixes_with_the_cheap_tier_only(tmp_path):
    repo = make_repo(tmp_path / "r", OPERATOR_BUG)
    proc = run_cli("fix", str(repo), "--no-model", "--json", "--test-cmd", PYTEST)
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["status"] == "fixed" and payload["stage"] == "cheap" and payload["llm_calls"] == 0
    assert payload["applied"] is True and payload["plausible"] >= 1
    assert "x <= hi" in (repo / "geo.py").read_text()


def test_cli_rejects_bad_tier_lists(tmp_path):
    repo = make_repo(tmp_path / "r", OPERATOR_BUG)
    before = snapshot(repo)
    for args in (["--tiers", "cheap,magic"], ["--tiers", ""], ["--no-model", "--tiers", "model"]):
        proc = run_cli("fix", str(repo), *args)
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, (args, proc.stderr)
    assert snapshot(repo) == before


def test_traceback_frames_break_sbfl_ties():
    from codeloop.core.fix.cheap_tier import target_lines
    from codeloop.core.fix.context import RepairContext
    from codeloop.core.fix.sbfl import Spectrum, rank
    from codeloop.runners.base import TestReport

    spectrum = Spectrum({("m.py", 3): frozenset({"t"}), ("m.py", 7): frozenset({"t"})}, frozenset({"t"}), frozenset())
    ctx = RepairContext(
        options=FixOptions(), baseline=TestReport(False, 1), suspects=[], tests=[], read=lambda p: "",
        language_for=language_for_path, validate=lambda c: None, deadline=0.0,  # type: ignore[arg-type,return-value]
        ranking=rank(spectrum), frame_lines={("m.py", 7)},
    )
    lines = target_lines(ctx, max_lines=1)
    assert lines == {"m.py": {7: 1.5}}  # the raising line wins the tie, even with room for one


def test_line_samples_are_shared_by_suspiciousness():
    from codeloop.core.fix.model_tier import _proportional

    assert _proportional(12, [1.0, 1.0, 1.0, 1.0]) == [3, 3, 3, 3]  # an SBFL tie: equal shares
    assert _proportional(12, [1.5, 0.5]) == [9, 3]
    assert _proportional(5, [1.0, 1.0]) == [3, 2]
    assert sum(_proportional(7, [0.3, 0.2, 0.9])) == 7 and _proportional(3, []) == []


def test_cli_fixes_an_infinite_loop_stopped_by_the_per_test_limit(tmp_path):
    from tests.test_sbfl import HANGING_REPO

    repo = make_repo(tmp_path / "r", HANGING_REPO)
    # A generous budget: mutants that still loop are cut at the quick timeout, which on a
    # loaded machine is long (twice the baseline); how fast is benchmarks' business.
    proc = run_cli("fix", str(repo), "--no-model", "--json", "--test-cmd", PYTEST, "--test-timeout", "2", "--time-budget", "400")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["status"] == "fixed" and payload["winner"] == "line 5: '+=' -> '-='"
    assert "n -= 1" in (repo / "calc.py").read_text()
    assert "ran past 2 s" in proc.stderr


def test_cli_rejects_a_non_positive_test_timeout(tmp_path):
    repo = make_repo(tmp_path / "r", OPERATOR_BUG)
    before = snapshot(repo)
    proc = run_cli("fix", str(repo), "--test-timeout", "0")
    assert proc.returncode == 2 and "--test-timeout" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert snapshot(repo) == before


def test_mutants_are_parse_checked_when_their_turn_comes_and_unparseable_ones_are_skipped():
    # Checking all of a big file's mutants up front took the whole budget before any
    # test ran (toolz: 713 mutants of an 1,100-line file on a loaded machine).
    from codeloop.core.fix.cheap_tier import Mutant, _parse_check, _Search
    from codeloop.core.fix.mutants.base import Mutation

    language = language_for_path("m.py")
    checked: list[int] = []

    def mutant(n: int, after: str) -> Mutant:
        check = _parse_check(language, after.encode(), None)

        def parses() -> bool:
            checked.append(n)
            return check()

        change = ChangeSet((FileChange("m.py", "x = 1\n", after),))
        mutation = Mutation(start=0, end=0, replacement=b"", kind="constant", line=1, prior=0, description=f"m{n}")
        return Mutant("m.py", mutation, 1.0, Candidate(change, "cheap", f"m{n}", "m.py"), parses)

    search = _Search([mutant(0, "x = (1\n"), mutant(1, "x = 2\n"), mutant(2, "x = 3\n")])
    assert search.next().mutation.description == "m1"  # m0 does not parse: skipped, never run
    assert checked == [0, 1]  # m2 not checked yet
    assert search.next().mutation.description == "m2" and search.next() is None
