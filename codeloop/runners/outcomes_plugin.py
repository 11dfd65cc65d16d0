"""A pytest plugin that writes every test's outcome under its real node id.

It is copied into a temporary folder as ``codeloop_outcomes.py`` and loaded with
``-p codeloop_outcomes`` in every test run codeloop makes. Why not JUnit XML alone: its
``file`` is where a test function is defined, so a test inherited from a base class in
``tests/__init__.py`` gets an id that selects nothing when run again, and a candidate's
verdict is by test id. pytest's own node ids need no reconstruction.

It must stay dependency-free apart from pytest, and must never change an outcome.
"""

import json
import os

_tests = {}  # type: ignore[var-annotated]  # node id -> record, in the order seen


def _record(nodeid, outcome, report, rootpath):
    record = _tests.get(nodeid)
    if record is not None and record["outcome"] == "failed":
        return  # a failed phase decides, whatever the later phases did
    message = ""
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    if crash is not None:
        message = str(getattr(crash, "message", ""))
    details = ""
    if outcome == "failed":
        try:
            details = report.longreprtext
        except Exception:
            details = str(report.longrepr)
    path, line = "", 0
    location = getattr(report, "location", None)
    if location:
        path = os.path.join(str(rootpath), location[0])
        line = (location[1] or 0) + 1
    _tests[nodeid] = {
        "id": nodeid,
        "outcome": outcome,
        "message": message[:600],
        "details": details[-4000:],
        "file": path,
        "line": line,
    }


def pytest_configure(config):
    _tests.clear()


def pytest_runtest_logreport(report):
    rootpath = _rootpath()
    if report.failed:
        _record(report.nodeid, "failed", report, rootpath)
    elif report.skipped:
        if report.nodeid not in _tests:
            _record(report.nodeid, "skipped", report, rootpath)
    elif report.when == "call":
        _record(report.nodeid, "passed", report, rootpath)


def pytest_collectreport(report):
    if report.failed and report.nodeid:  # a module that failed to import: its node id is the file's
        _record(report.nodeid, "failed", report, _rootpath())


_root = {}  # type: ignore[var-annotated]


def pytest_sessionstart(session):
    _root["path"] = str(session.config.rootpath)


def _rootpath():
    return _root.get("path", os.getcwd())


def pytest_sessionfinish(session, exitstatus):
    target = os.environ.get("CODELOOP_OUTCOMES_FILE")
    if not target:
        return
    with open(target, "w", encoding="utf-8") as handle:
        json.dump({"rootdir": _rootpath(), "exitstatus": int(exitstatus), "tests": list(_tests.values())}, handle)
