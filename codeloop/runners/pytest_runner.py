"""pytest with structured results from its built-in JUnit XML report.

Why JUnit XML: it is built into every pytest (no plugin needs to be installed in the
user's environment), and with ``junit_family=xunit1`` each testcase carries its file and
line, which turns back into a node id we can re-run. Traceback frames are read from the
failure text, which pytest prints in a stable "path:line: ..." form.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import tempfile
import xml.etree.ElementTree as ET
from importlib import resources
from collections.abc import Callable
from pathlib import Path

from codeloop.core.fix.sbfl import LineKey, Spectrum
from codeloop.runners.base import Frame, TestFailure, TestReport, run_shell

_LONG_FRAME = re.compile(r"^(?P<path>[^\s:\"][^:\"\n]*\.py):(?P<line>\d+):(?: in (?P<func>\S+))?", re.M)
_NATIVE_FRAME = re.compile(r'File "(?P<path>[^"]+\.py)", line (?P<line>\d+), in (?P<func>\S+)')


def is_pytest_command(command: str) -> bool:
    return "pytest" in command


def parse_frames(text: str) -> tuple[Frame, ...]:
    frames: list[Frame] = []
    for pattern in (_NATIVE_FRAME, _LONG_FRAME):
        for m in pattern.finditer(text):
            frame = Frame(m.group("path"), int(m.group("line")), m.group("func") or "")
            if all((f.path, f.line) != (frame.path, frame.line) for f in frames):
                frames.append(frame)
        if frames:
            break
    return tuple(frames)


def _node_id(case: ET.Element) -> str:
    file = case.get("file") or ""
    classname = case.get("classname") or ""
    name = case.get("name") or ""
    if not file:
        return f"{classname}::{name}" if classname else name
    module = file[:-3].replace("/", ".") if file.endswith(".py") else file
    classes = classname[len(module) + 1 :] if classname.startswith(module + ".") else ""
    parts = [file] + ([c for c in classes.split(".") if c] if classes else []) + [name]
    return "::".join(parts)


def _message(element: ET.Element) -> str:
    message = element.get("message") or ""
    if not message:
        lines = [ln for ln in (element.text or "").splitlines() if ln.startswith("E ")]
        message = "\n".join(ln[1:].strip() for ln in lines[:6])
    return message[:600]


def parse_junit(xml_text: str) -> tuple[list[TestFailure], list[str], list[str]]:
    """(failures, passed ids, skipped ids) of a JUnit XML report."""
    root = ET.fromstring(xml_text)
    failures: list[TestFailure] = []
    passed: list[str] = []
    skipped: list[str] = []
    for case in root.iter("testcase"):
        node_id = _node_id(case)
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None and problem.get("message") == "collection failure" and case.get("file"):
            node_id = case.get("file") or node_id  # a module that failed to import: its file is its id
        if problem is None:
            (passed if case.find("skipped") is None else skipped).append(node_id)
            continue
        details = (problem.text or "")[-4000:]
        failures.append(
            TestFailure(
                test_id=node_id,
                message=_message(problem),
                details=details,
                frames=parse_frames(details),
                file=case.get("file") or "",
                line=int(case.get("line") or 0) + 1,
            )
        )
    return failures, passed, skipped


# Environment entries for a run in a given copy (the project's import roots first on
# PYTHONPATH, its venv activated): see workspace/environment.py.
RunEnv = Callable[[Path], dict[str, str]]


class PytestRunner:
    def __init__(self, command: str = "python -m pytest -q", env_for: RunEnv | None = None, coverage_path: str | None = None) -> None:
        self.command = command
        self.env_for = env_for
        # A folder holding codeloop's own coverage.py, for a project environment without it.
        self.coverage_path = coverage_path

    def run(self, cwd: Path, selection: list[str] | None = None, timeout: float = 600.0) -> TestReport:
        return self._run(cwd, selection, timeout, self.env_for(cwd) if self.env_for else {}, [])

    def run_with_spectrum(self, cwd: Path, timeout: float = 600.0, test_timeout: float = 0.0) -> tuple[TestReport, Spectrum | None]:
        """The whole command, recording per test which lines ran (for SBFL); a test that
        runs past ``test_timeout`` seconds (0: no limit) fails where it hung.

        Needs coverage.py importable where the tests run; without it the plugin cannot
        load, and the command is simply run again plain (spectrum None). A run that timed
        out as a whole is not run again: that would spend the budget twice.
        """
        with tempfile.TemporaryDirectory(prefix="codeloop-sbfl-") as tmp:
            plugin_dir = Path(tmp) / "plugin"
            plugin_dir.mkdir()
            source = resources.files("codeloop.runners") / "sbfl_plugin.py"
            (plugin_dir / "codeloop_sbfl.py").write_text(source.read_text("utf-8"), "utf-8")
            data_file, outcomes_file = Path(tmp) / "coverage.db", Path(tmp) / "outcomes.json"
            base = self.env_for(cwd) if self.env_for else {}
            path = [str(plugin_dir), base.get("PYTHONPATH", os.environ.get("PYTHONPATH", "")), self.coverage_path or ""]
            env = {
                "PYTHONPATH": os.pathsep.join(p for p in path if p),
                "CODELOOP_SBFL_DATA": str(data_file),
                "CODELOOP_SBFL_OUTCOMES": str(outcomes_file),
                "CODELOOP_SBFL_SOURCE": str(cwd),
                "CODELOOP_SBFL_TEST_TIMEOUT": f"{test_timeout:g}",
            }
            report = self._run(cwd, None, timeout, {**base, **env}, ["-p", "codeloop_sbfl"])
            if report.timed_out:
                return report, None
            if not outcomes_file.is_file():
                return self.run(cwd, None, timeout), None
            spectrum = read_spectrum(data_file, json.loads(outcomes_file.read_text("utf-8")), cwd)
            shutil.rmtree(plugin_dir, ignore_errors=True)
        return report, spectrum

    def _run(
        self, cwd: Path, selection: list[str] | None, timeout: float, env: dict[str, str], plugin_args: list[str]
    ) -> TestReport:
        with tempfile.TemporaryDirectory(prefix="codeloop-junit-") as tmp:
            xml_path = Path(tmp) / "report.xml"
            extra = plugin_args + [
                f"--junitxml={xml_path}",
                "-o", "junit_family=xunit1",
                "-p", "no:cacheprovider",  # never write .pytest_cache into the tree
                "--tb=long",
            ]
            if selection:
                extra += list(selection)
            command = self.command + " " + " ".join(shlex.quote(a) for a in extra)
            result = run_shell(command, cwd, timeout, env)
            failures: list[TestFailure] = []
            passed_ids: list[str] = []
            skipped_ids: list[str] = []
            structured = xml_path.is_file()
            if structured:
                try:
                    failures, passed_ids, skipped_ids = parse_junit(xml_path.read_text("utf-8", "replace"))
                except ET.ParseError:
                    structured = False
        passed = result.exit_code == 0
        if not passed and not failures:
            # Crashed before reporting (bad command, import error at collection, timeout).
            tail = result.output[-3000:]
            failures.append(
                TestFailure(
                    test_id=self.command,
                    message=("timed out" if result.timed_out else (tail.strip().splitlines() or [f"exit code {result.exit_code}"])[-1]),
                    details=tail,
                    frames=parse_frames(tail),
                )
            )
        return TestReport(
            passed=passed,
            exit_code=result.exit_code,
            failures=failures,
            passed_ids=passed_ids,
            skipped_ids=skipped_ids,
            output=result.output,
            seconds=result.seconds,
            timed_out=result.timed_out,
            structured=structured,
        )


def read_spectrum(data_file: Path, outcomes: dict[str, str], cwd: Path) -> Spectrum | None:
    """Turn coverage data with one context per test into a Spectrum of repo-relative lines."""
    import coverage

    if not data_file.is_file():
        return None
    data = coverage.CoverageData(basename=str(data_file))
    data.read()
    root = os.path.realpath(cwd) + os.sep
    lines: dict[LineKey, frozenset[str]] = {}
    # Lines run while the tests were collected (module and class bodies, helpers called at
    # import time) belong to no test's context; every test depends on them, so they count
    # as run by all. A bug there gets a weak, flat score instead of none at all.
    everyone = frozenset(outcomes)
    at_import: set[LineKey] = set()
    for measured in data.measured_files():
        real = os.path.realpath(measured)
        if not real.startswith(root):
            continue
        rel = Path(real[len(root) :]).as_posix()
        for line, contexts in data.contexts_by_lineno(measured).items():
            tests = frozenset(c for c in contexts if c in outcomes)
            if not tests and "" in contexts:
                tests = everyone
                at_import.add((rel, line))
            if tests:
                lines[(rel, line)] = tests
    failed = frozenset(t for t, o in outcomes.items() if o == "failed")
    passed = frozenset(t for t, o in outcomes.items() if o == "passed")
    return Spectrum(lines, failed, passed, frozenset(at_import))
