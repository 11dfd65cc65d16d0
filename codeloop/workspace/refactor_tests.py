"""Which tests guard an extraction when the user configured none.

A refactoring must not break code silently (an extract-method once added a public
function to a package's ``__init__.py`` that the package's own namespace test rejects,
and nothing ran). So with no ``--test-cmd`` / ``[tool.codeloop] test-cmd``: the whole
suite when the project has a standard pytest layout and pytest is installed in its
environment; else the test files that exercise the function (the symbol index knows them:
they call it, or call one of its callers); else none, said so.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import NamedTuple

from codeloop.workspace.environment import ProjectEnvironment


class TestsChosen(NamedTuple):
    command: str | None  # None: no tests can run
    scope: str  # "configured" | "suite" | "related" | "none"
    files: tuple[str, ...]  # the related test files (project-relative)
    reason: str  # for people: why these tests


def choose_tests(environment: ProjectEnvironment, rel: str, function: str) -> TestsChosen:
    """``rel``: the edited file relative to the project; ``function``: the function the
    lines are taken from (its tests, and its callers' tests, exercise the change)."""
    if environment.test_command_source != "default":
        return TestsChosen(environment.test_command, "configured", (), f"from {environment.test_command_source}")
    related = related_tests(environment.project, rel, function)
    if not _has_pytest(environment.python):
        why = f"pytest is not installed in {environment.python}"
        return TestsChosen(None, "none", related, f"none run ({why}; pass --test-cmd)")
    if _standard_layout(environment.project):
        return TestsChosen(environment.test_command, "suite", related, "the project's pytest suite")
    if related:
        files = " ".join(shlex.quote(f) for f in related)
        return TestsChosen(f"{shlex.quote(environment.python)} -m pytest -q {files}", "related", related,
                          f"the tests that exercise {function}()")
    return TestsChosen(None, "none", (), f"none found for {function}() (pass --test-cmd)")


def related_tests(project: Path, rel: str, function: str) -> tuple[str, ...]:
    """Test files using ``function`` or one of its callers, or importing its module."""
    import sqlite3

    from codeloop.workspace.git import find_worktree
    from codeloop.workspace.symbols import open_index

    top = find_worktree(project)
    try:
        index, _ = open_index(top)
    except (OSError, sqlite3.Error):
        return ()
    try:
        module = Path(rel).parent.name if Path(rel).stem == "__init__" else Path(rel).stem
        names = {function, module} - {""}
        names |= {use.enclosing.rsplit(".", 1)[-1] for use in index.references_to(function) if use.enclosing}
        found = {path for name in sorted(names) for path in index.tests_exercising(name)}
    finally:
        index.close()
    prefix = project.relative_to(top).as_posix() + "/" if project != top else ""
    return tuple(sorted(p[len(prefix):] for p in found if p.startswith(prefix)))


def _standard_layout(project: Path) -> bool:
    """tests/ or test/ folders, or test_*.py / *_test.py files pytest collects by default."""
    import fnmatch
    import os

    if (project / "tests").is_dir() or (project / "test").is_dir():
        return True
    for folder, dirs, files in os.walk(project):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _NOT_SOURCE]
        if any(fnmatch.fnmatch(f, "test_*.py") or fnmatch.fnmatch(f, "*_test.py") for f in files):
            return True
    return False


_NOT_SOURCE = {"venv", "node_modules", "build", "dist", "__pycache__", "site-packages"}


def _has_pytest(python: str) -> bool:
    try:
        return subprocess.run([python, "-c", "import pytest"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False
