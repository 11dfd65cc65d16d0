"""The extract-method benchmark's judging, on a tiny local library (no download, rope as the oracle)."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

LIB = '''def clamp_all(values, low, high):
    out = []
    for v in values:
        if v < low:
            v = low
        elif v > high:
            v = high
        out.append(v)
    return out
'''
TESTS = "from lib import clamp_all\n\n\ndef test_clamp():\n    assert clamp_all([-5, 3, 99], 0, 10) == [0, 3, 10]\n"


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_extract", PROJECT_ROOT / "benchmarks" / "extract_method.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["bench_extract"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rope's own, about its internals
def test_both_tools_are_judged_by_the_library_tests(tmp_path: Path) -> None:
    bench = _bench()
    (tmp_path / "lib.py").write_text(LIB)
    (tmp_path / "test_lib.py").write_text(TESTS)
    command = "python -m pytest -q -p no:cacheprovider test_lib.py"
    cases = bench.selections([tmp_path / "lib.py"], tmp_path, 6, random.Random(3))
    assert all(rel == "lib.py" and 2 <= start <= end <= 9 for rel, start, end in cases)
    cache: dict[str, bool] = {}
    for tool, fn in (("codeloop", bench.codeloop_extract), ("rope", bench.rope_extract)):
        tally = bench.Tally()
        bench.judge(tool, tally, fn, tmp_path, ("lib.py", 4, 7), "pick_bound", command, cache)
        assert (tally.success, tally.broken) == (1, 0), (tool, tally)
    # A broken output is counted as broken, never as success.
    tally = bench.Tally()
    bench.judge("codeloop", tally, lambda *a: LIB.replace("v = low", "v = high"), tmp_path, ("lib.py", 4, 7), "x", command, cache)
    assert tally.broken == 1 and tally.broken_cases == [f"{tmp_path.name}/lib.py:4-7"]
    assert (tmp_path / "lib.py").read_text() == LIB  # the library is restored after each run
