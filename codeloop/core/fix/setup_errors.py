"""Tell a broken set-up from failing tests, before any search.

A test command that is not found, an interpreter without pytest, a conftest that cannot
import a dependency, a run that collects no tests: none of these is a bug in the code,
and no edit of the code can fix them. Searching would spend the whole budget and end in
"not fixed" (or worse, "fixed" by an edit that happens to dodge the broken import). So
they are one-line errors that say what to do (exit 2), and nothing is tried.

An exception raised by the project's own code while the tests import it stays a failure
to repair: that is a bug codeloop may fix (an import-time helper gone wrong).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from codeloop.runners.base import TestReport

# Test runs may write only inside their copy and scratch HOME/TMPDIR (containment/launcher.py).
_READ_ONLY = re.compile(r"Read-only file system(?:: '([^']+)')?")
_NO_MODULE = re.compile(r"(?:ModuleNotFoundError|ImportError): No module named '?([\w.]+)'?")


def setup_problem(report: TestReport, command: str, python: str, is_pytest: bool, in_project: Callable[[str], bool]) -> str | None:
    """One line saying what is wrong with the set-up and what to do, or None.

    ``in_project(module)``: whether the user's real project folder holds that module (a
    module the copy lacks but the project has was generated and git-ignored).
    """
    out = report.output
    if report.exit_code in (126, 127) and not report.failures[1:] and not report.passed_ids:
        return (
            f"the test command could not be started: {_last_line(out) or f'exit code {report.exit_code}'} "
            "(fix --test-cmd or [tool.codeloop] test-cmd, or pass --python)"
        )
    read_only = _READ_ONLY.search(out)
    if read_only:
        where = f"{read_only.group(1)} is" if read_only.group(1) else "files outside their copy are"
        return (
            f"the tests write outside their temporary folder ({where} read-only for test runs under codeloop): "
            "write to tmp_path or $TMPDIR in the tests, or set CODELOOP_TEST_FILESYSTEM=1 to let test runs write anywhere"
        )
    if not is_pytest:
        return None
    missing = _NO_MODULE.search(out)
    if missing and missing.group(1) == "pytest":
        return f"pytest is not installed in {python}: install it there (pip install pytest) or pass --python / --test-cmd"
    if report.exit_code == 5:
        return f"the test command collected no tests ({command}): pass --test-cmd with the command that runs your tests"
    if report.exit_code == 3:
        return f"pytest stopped with an internal error: {_last_line(out)} (run the test command yourself to see it)"
    if report.exit_code in (2, 4) and not report.passed_ids:
        module = missing.group(1) if missing else None
        if module is not None:
            if in_project(module):
                return (
                    f"the tests cannot import {module} from a copy of your project: a file it needs is missing there "
                    "(is it generated and git-ignored outside a package folder?); run the tests once in your tree and check git status"
                )
            if not in_project(module.split(".")[0]):
                where = "a conftest.py" if "while loading conftest" in out else "the tests"
                return f"{where} cannot import {module}: install it into {python} (or pass --python with the environment that has it)"
    return None


def _last_line(output: str) -> str:
    lines = [ln.strip() for ln in output.strip().splitlines() if ln.strip()]
    return lines[-1][:200] if lines else ""

