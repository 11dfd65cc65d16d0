"""Get a project's tests ready to run in copies: the runner, its environment, and the
set-up checks that come before any search."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codeloop.core.fix.setup_errors import setup_problem
from codeloop.errors import UsageError
from codeloop.runners.base import TestReport
from codeloop.plugins import make_runner
from codeloop.runners.pytest_runner import is_pytest_command
from codeloop.workspace.env_probe import Probe, ProbeFailed, package_files, probe, top_level_names
from codeloop.workspace.environment import ProjectEnvironment
from codeloop.workspace.sandbox import SandboxPool


@dataclass
class PreparedTests:
    env: ProjectEnvironment
    runner: Any  # a TestRunner
    probe: Probe | None
    notes: list[str] = field(default_factory=list)
    package_files: frozenset[str] = frozenset()  # files of the project's own packages

    @property
    def is_pytest(self) -> bool:
        return is_pytest_command(self.env.test_command)

    def setup_check(self, report: TestReport) -> str | None:
        return setup_problem(report, self.env.test_command, self.env.python, self.is_pytest, self._in_project)

    def _in_project(self, module: str) -> bool:
        """Whether the real project folder holds ``module`` under one of its import roots."""
        parts = module.split(".")
        for root in self.env.import_roots:
            base = self.env.project if root == "." else self.env.project / root
            target = base.joinpath(*parts)
            if target.is_dir() or target.with_suffix(".py").is_file() or any(target.parent.glob(parts[-1] + ".*.so")):
                return True
        return False


def prepare_tests(env: ProjectEnvironment, pool: SandboxPool, files: list[str], scratch: Path) -> PreparedTests:
    """Check the environment in a copy (exit 2 on what cannot work) and build the runner.

    ``scratch``: a temp folder of the run's, where codeloop's own coverage.py is offered
    to an environment that lacks it (line coverage drives fault localization).
    """
    notes: list[str] = []
    names = top_level_names(env, files)
    pytest_cmd = is_pytest_command(env.test_command)
    with pool.sandbox() as box:
        copy_root = Path(str(box.path))
        try:
            found = probe(env, copy_root, names)
        except ProbeFailed as exc:
            raise UsageError(f"the project's interpreter {exc}: pass --python with a working one") from None
        outside = found.outside(copy_root)
        if outside:
            name, where = next(iter(outside.items()))
            raise UsageError(
                f"the tests would import {name} from {where}, not from the project's files, so no fix could be tested; "
                "install the project editable (pip install -e .) or remove what puts that path first"
            )
        if pytest_cmd and env.test_command_source == "default" and not found.has_pytest:
            raise UsageError(f"pytest is not installed in {env.python}: install it there (pip install pytest) or pass --python / --test-cmd")
        coverage_path = None
        if pytest_cmd and found.coverage is not True:
            coverage_path = _offer_coverage(scratch)
            again = probe(env, copy_root, [], (coverage_path,)) if coverage_path else None
            if again is None or again.coverage is not True:
                why = again.coverage if again is not None else "coverage.py is not installed"
                notes.append(f"line coverage is unavailable in {env.python} ({why}); localization uses tracebacks and calls only")
                coverage_path = None
    runner = make_runner(env.test_command, env_for=env.run_env, coverage_path=coverage_path)
    return PreparedTests(env, runner, found, notes, package_files(env, files))


def _offer_coverage(scratch: Path) -> str | None:
    """A folder holding only codeloop's coverage package (a link), for PYTHONPATH.

    Only that package, not codeloop's site-packages: nothing else of codeloop's may
    shadow what the project's environment has.
    """
    try:
        import coverage
    except ImportError:
        return None
    folder = scratch / "coverage-path"
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "coverage"
    if not link.exists():
        os.symlink(Path(coverage.__file__).parent, link)
    return str(folder)
