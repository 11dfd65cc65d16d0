"""A pytest plugin that records, per test, which lines ran (coverage.py dynamic contexts).

It is copied into a temporary folder as ``codeloop_sbfl.py`` and loaded with
``-p codeloop_sbfl``, so it works whatever environment the user's test command runs in,
as long as coverage.py is importable there. It must stay dependency-free apart from
coverage and pytest, and must never change test outcomes.
"""

import json
import os

import coverage

_state: dict = {}  # type: ignore[type-arg]


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


def pytest_runtest_setup(item):
    _state["cov"].switch_context(item.nodeid)


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
