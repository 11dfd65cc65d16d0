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


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_while_codeloop_is_still_importing_is_one_line_and_128_plus_signal(name: str) -> None:
    # `faults.py kills` found it: SIGINT 0.2 s after the start, while the CLI was still
    # importing, ended in a KeyboardInterrupt traceback and death by signal.
    import os
    import signal
    import subprocess

    code = (
        "from codeloop.cli.entry import install_early_handlers; install_early_handlers()\n"
        f"import os, signal, time; os.kill(os.getpid(), signal.{name}); time.sleep(30)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 128 + getattr(signal, name)
    assert proc.stderr == f"codeloop: interrupted ({name}) while starting; your working tree is unchanged\n"
