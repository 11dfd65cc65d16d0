"""A few trials of the kill benchmark (benchmarks/faults.py kills): codeloop fix killed by
SIGKILL, SIGINT and SIGTERM at seeded random moments on a dirty tree with slow tests."""

from __future__ import annotations

import importlib.util
import io
import sys

import pytest

from tests.conftest import PROJECT_ROOT


def _faults():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_faults", PROJECT_ROOT / "benchmarks" / "faults.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["bench_faults"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_killed_fix_loses_nothing_and_leaves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    faults = _faults()
    monkeypatch.setenv("FAULTS_SLOW", "0.2")
    log = io.StringIO()
    # Kill moments within the first 10 s: baseline run, candidates, and (for some seeds) the apply.
    results = faults.kills(3, ["KILL", "INT", "TERM"], seed=3, pythonpath=None, horizon=10.0, out=log)
    assert [t.signal for t in results] == ["KILL", "INT", "TERM"]
    problems = [t for t in results if not faults.ok(t)]
    assert problems == [], log.getvalue()
    assert all(t.exit_code in (-9, 130, 143, 0, 1) for t in results)
