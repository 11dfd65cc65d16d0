"""SBFL: the Ochiai formula, ranking, the coverage-based spectrum of real pytest runs, its cache."""

import math
import shlex
import sys

from codeloop.core.fix.sbfl import Spectrum, ochiai, rank
from codeloop.runners.pytest_runner import PytestRunner
from codeloop.workspace.cache import SpectrumFiles

from tests.conftest import git, make_repo

PYTEST = f"{shlex.quote(sys.executable)} -m pytest -q"  # the Python that has coverage installed

# A three-function module where only ``clamp`` is wrong (line 9: the upper bound check).
BUGGY_REPO = {
    "pyproject.toml": "[project]\nname = 'm'\nversion = '0'\n",
    "m/__init__.py": "",
    "m/num.py": (
        "def double(x):\n"
        "    return 2 * x\n"
        "\n"
        "\n"
        "def clamp(x, lo, hi):\n"
        "    if x < lo:\n"
        "        return lo\n"
        "    y = x\n"
        "    if x < hi:\n"
        "        return hi\n"
        "    return y\n"
        "\n"
        "\n"
        "def scale(xs, k):\n"
        "    return [clamp(double(x) * k, 0, 100) for x in xs]\n"
    ),
    "tests/test_num.py": (
        "from m.num import clamp, double, scale\n\n\n"
        "def test_double():\n    assert double(3) == 6\n\n\n"
        "def test_clamp_low():\n    assert clamp(-5, 0, 10) == 0\n\n\n"
        "def test_clamp_mid():\n    assert clamp(5, 0, 10) == 5\n\n\n"
        "def test_clamp_high():\n    assert clamp(50, 0, 10) == 10\n\n\n"
        "def test_scale():\n    assert scale([1, 2], 10) == [20, 40]\n"
    ),
}


def test_ochiai_formula():
    assert ochiai(0, 3, 2) == 0.0
    assert ochiai(2, 0, 2) == 1.0
    assert math.isclose(ochiai(1, 3, 2), 1 / math.sqrt(2 * 4))


def test_rank_orders_by_score_then_position():
    spectrum = Spectrum(
        lines={("a.py", 1): frozenset({"t1", "t2", "p"}), ("a.py", 2): frozenset({"t1"}), ("a.py", 3): frozenset({"p"})},
        failed=frozenset({"t1", "t2"}),
        passed=frozenset({"p"}),
    )
    ranking = rank(spectrum)
    assert [(r.line, round(r.score, 3)) for r in ranking.lines] == [(1, 0.816), (2, 0.707)]
    assert ranking.score("a.py", 3) == 0.0  # never run by a failing test: not ranked
    assert ranking.function_score("a.py", 1, 3) == ranking.lines[0].score


def test_real_spectrum_ranks_the_buggy_line_first(tmp_path):
    repo = make_repo(tmp_path / "r", BUGGY_REPO)
    report, spectrum = PytestRunner(PYTEST).run_with_spectrum(repo)
    assert not report.passed
    assert spectrum is not None
    assert spectrum.failed == {f"tests/test_num.py::test_clamp_{k}" for k in ("mid", "high")} | {"tests/test_num.py::test_scale"}
    ranking = rank(spectrum, keep=["m/num.py"])
    # Lines 8-9 run in every failing test and in no passing one: they lead, tied
    # (the faulty check is line 9). Line 6 also runs in the passing test_clamp_low.
    assert [(r.line, r.score) for r in ranking.lines[:2]] == [(8, 1.0), (9, 1.0)]
    assert 0 < ranking.score("m/num.py", 6) < 1.0
    assert ranking.score("m/num.py", 2) < 1.0  # double() runs in passing tests too
    assert all(r.path == "m/num.py" for r in ranking.lines)
    assert not (repo / ".coverage").exists() and git(repo, "status", "--porcelain") == ""


def test_spectrum_without_coverage_in_the_test_env_falls_back(tmp_path):
    # A test command whose Python cannot import coverage (a module named coverage that
    # fails to import shadows it here): the plugin cannot load, the run is repeated
    # plain, and the report is still right.
    files = {"test_a.py": "def test_a():\n    assert 0\n"}
    report, spectrum = PytestRunner(PYTEST).run_with_spectrum(make_repo(tmp_path / "r", files), timeout=60)
    assert not report.passed and spectrum is not None
    blocked = make_repo(tmp_path / "b", {"coverage.py": "raise ImportError('no coverage here')\n", **files})
    report, spectrum = PytestRunner(PYTEST).run_with_spectrum(blocked, timeout=60)
    assert spectrum is None and not report.passed and report.failed_ids == ["test_a.py::test_a"]


def test_spectrum_round_trips_through_the_cache(tmp_path):
    spectrum = Spectrum({("a.py", 4): frozenset({"t", "p"})}, frozenset({"t"}), frozenset({"p"}))
    store = SpectrumFiles(tmp_path)
    assert store.get("k") is None
    store.put("k", spectrum)
    assert store.get("k") == spectrum
    (tmp_path / ".codeloop" / "cache" / "sbfl" / "k.json").write_text("{broken")
    assert store.get("k") is None


HANGING_REPO = {
    "calc.py": "def count_down(n):\n    out = []\n    while n > 0:\n        out.append(n)\n        n += 1\n    return out\n",
    "test_calc.py": (
        "import time\n\nfrom calc import count_down\n\n\n"
        "def test_count_down():\n    assert count_down(3) == [3, 2, 1]\n\n\n"
        "def test_zero():\n    assert count_down(0) == []\n\n\n"
        "def test_slow_but_finishing():\n    time.sleep(0.5)\n"
    ),
}


def test_a_hung_test_is_stopped_where_it_loops_and_the_run_goes_on(tmp_path):
    report, spectrum = PytestRunner(PYTEST).run_with_spectrum(make_repo(tmp_path / "r", HANGING_REPO), timeout=60, test_timeout=2)
    assert not report.timed_out and report.seconds < 30
    assert report.failed_ids == report.hung_ids == ["test_calc.py::test_count_down"]
    assert set(report.passed_ids) == {"test_calc.py::test_zero", "test_calc.py::test_slow_but_finishing"}
    failure = report.failures[0]
    assert failure.frames[-1].path == "calc.py" and failure.frames[-1].line in (3, 4, 5)  # the loop, not the plugin
    assert spectrum is not None and ("calc.py", 5) in spectrum.lines
    assert "test_calc.py::test_count_down" in spectrum.lines[("calc.py", 5)]


def test_after_one_hung_test_the_next_ones_get_a_limit_from_the_tests_that_finished(tmp_path):
    # A bug that loops hangs many tests: each later one is stopped at five times the
    # longest finished test (at least 2 s), not at the full limit again.
    files = {
        "calc.py": HANGING_REPO["calc.py"],
        "test_calc.py": "from calc import count_down\n\n\ndef test_zero():\n    assert count_down(0) == []\n\n\n"
        + "".join(f"def test_hangs_{i}():\n    assert count_down({i + 1})\n\n\n" for i in range(4)),
    }
    report, _ = PytestRunner(PYTEST).run_with_spectrum(make_repo(tmp_path / "r", files), timeout=120, test_timeout=8)
    assert not report.timed_out
    assert report.hung_ids == [f"test_calc.py::test_hangs_{i}" for i in range(4)]
    limits = [f.message for f in sorted(report.failures, key=lambda f: f.test_id)]
    assert "of 8 s" in limits[0] and all("of 2 s" in m for m in limits[1:]), limits


def test_a_suite_that_hangs_past_the_budget_is_run_once_not_twice(tmp_path):
    # The test owns SIGALRM, so the per-test limit stays out of its way: the whole run
    # times out, and is not repeated plain (that would spend the budget twice).
    files = {
        "test_own_alarm.py": (
            "import signal\n\n\n"
            "def test_loops_with_its_own_alarm():\n"
            "    signal.signal(signal.SIGALRM, lambda *a: None)\n"
            "    while True:\n        pass\n"
        ),
    }
    report, spectrum = PytestRunner(PYTEST).run_with_spectrum(make_repo(tmp_path / "r", files), timeout=6, test_timeout=1)
    assert report.timed_out and spectrum is None and report.hung_ids == []
    assert report.seconds < 10


def test_the_plugin_and_the_report_agree_on_the_hung_marker():
    # The plugin runs in the user's environment and cannot import codeloop: the text is
    # written twice, and must stay the same.
    from importlib import resources

    from codeloop.runners.base import HUNG_MARKER

    plugin = (resources.files("codeloop.runners") / "sbfl_plugin.py").read_text("utf-8")
    assert f'HUNG_MARKER = "{HUNG_MARKER}"' in plugin


def test_lines_outside_the_projects_packages_rank_below_it():
    from codeloop.plugins import language_for_path
    from codeloop.core.fix.loop import _ranking

    spectrum = Spectrum({("tools/gen.py", 3): frozenset({"t"}), ("src/pkg/core.py", 9): frozenset({"t", "u"})}, frozenset({"t"}), frozenset({"u"}))
    plain = _ranking(spectrum, ["tools/gen.py", "src/pkg/core.py"], language_for_path)
    assert [r.path for r in plain.lines] == ["tools/gen.py", "src/pkg/core.py"]
    preferred = _ranking(spectrum, ["tools/gen.py", "src/pkg/core.py"], language_for_path, frozenset({"src/pkg/core.py"}))
    assert [r.path for r in preferred.lines] == ["src/pkg/core.py", "tools/gen.py"]
