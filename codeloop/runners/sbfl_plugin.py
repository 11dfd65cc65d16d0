"""A pytest plugin that records, per test, which lines ran (coverage.py dynamic contexts).

It is copied into a temporary folder as ``codeloop_sbfl.py`` and loaded with
``-p codeloop_sbfl``, so it works whatever environment the user's test command runs in,
as long as coverage.py is importable there. It must stay dependency-free apart from
coverage and pytest, and must never change the outcome of a test that finishes.

A test that runs past ``CODELOOP_SBFL_TEST_TIMEOUT`` seconds (an infinite loop is a
common bug) is interrupted by SIGALRM and fails where it was looping: the run goes on,
and the traceback and the lines it ran localize the loop like any other failure. Once
one test has hung, the bug is known to loop: later tests get a limit from the tests that
finished (five times the longest, at least 2 s) instead of the full one, so a bug that
hangs twenty tests costs seconds each, not the whole budget.
"""

import json
import os
import signal
import threading
import time

import coverage
import pytest

_state: dict = {}  # type: ignore[type-arg]

# codeloop recognises hung tests by this text in the failure message (runners/base.py).
HUNG_MARKER = "ran past codeloop's per-test limit"


class CodeloopTestTimeout(BaseException):
    """Not an Exception: a test's own ``except Exception`` must not swallow it."""


def pytest_configure(config):
    # Start before collection so module-level imports of the code under test are traced too.
    cov = coverage.Coverage(
        data_file=os.environ["CODELOOP_SBFL_DATA"],
        source=[os.environ.get("CODELOOP_SBFL_SOURCE", os.getcwd())],
        branch=False,
        config_file=False,
    )
    cov.start()
    _state["cov"] = cov
    _state["outcomes"] = {}
    _state["longest"] = 0.0  # the longest call of a test that finished
    _state["hung"] = 0


def pytest_runtest_setup(item):
    _state["cov"].switch_context(item.nodeid)


def _can_arm(limit):
    # Only where SIGALRM is ours to use: POSIX, the main thread, no handler of the
    # user's (pytest-timeout's signal mode, a test suite's own alarms).
    return (
        limit > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None)
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    limit = float(os.environ.get("CODELOOP_SBFL_TEST_TIMEOUT") or 0)
    if not _can_arm(limit):
        yield
        return
    if _state["hung"]:
        limit = min(limit, max(2.0, 5 * _state["longest"]))

    def expire(signum, frame):
        __tracebackhide__ = True  # the traceback ends in the looping code, not here
        raise CodeloopTestTimeout(f"the test {HUNG_MARKER} of {limit:g} s (an infinite loop?)")

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, limit)
    started = time.monotonic()
    try:
        outcome = yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    excinfo = outcome.excinfo
    if excinfo is not None and issubclass(excinfo[0], CodeloopTestTimeout):
        _state["hung"] += 1
    else:
        _state["longest"] = max(_state["longest"], time.monotonic() - started)


def pytest_runtest_logreport(report):
    outcomes = _state["outcomes"]
    if report.failed:
        outcomes[report.nodeid] = "failed"
    elif report.when == "call" and report.nodeid not in outcomes:
        outcomes[report.nodeid] = "skipped" if report.skipped else "passed"


def pytest_unconfigure(config):
    cov = _state.pop("cov", None)
    if cov is None:
        return
    cov.stop()
    cov.save()
    with open(os.environ["CODELOOP_SBFL_OUTCOMES"], "w") as handle:
        json.dump(_state.get("outcomes", {}), handle)
