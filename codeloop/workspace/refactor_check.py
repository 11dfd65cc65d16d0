"""Verify an extraction in a sandbox copy before it touches the user's tree.

A generator like the core's loops: it yields events (the test run) and returns what was
verified, or raises RefactorRefused saying why the change must not be written.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from codeloop.core.errors import InvalidInput
from codeloop.core.events import Event, StageStarted, TestsRan
from codeloop.core.refactor import RefactorRefused
from codeloop.core.refactor.extract import Extraction, Extractor
from codeloop.errors import UsageError


def verify(
    root: Path, rel: str, result: Extraction, extractor: Extractor, command: str | None, check: bool,
    env_for: Callable[[Path], dict[str, str]] | None = None,
) -> Generator[Event, None, dict[str, str]]:
    """Run the language's build check, the test command and the differential check
    (``check``) in one copy; refuse on failure. Returns what passed, for --json."""
    from codeloop.runners.command import CommandRunner
    from codeloop.workspace.sandbox import SandboxPool

    verified = {"parses": "yes"}
    if command is None and not check and not _needs_build_check(extractor):
        verified["tests"] = "none configured"
        return verified
    if check:
        _check_is_possible(result)
    failed = None
    with SandboxPool(root) as pool, pool.sandbox() as box:
        with box.applied(result.changes.new_texts()) as workdir:
            problem = extractor.check_built(workdir, rel)
            if problem is not None:
                raise RefactorRefused(f"the rewritten file does not build: {problem}")
            if _needs_build_check(extractor):
                verified["builds"] = "yes"
            if command is not None:
                yield StageStarted("tests", f"{command} on the rewritten copy")
                report = CommandRunner(command, env_for=env_for).run(workdir, timeout=900)
                yield TestsRan(report.passed, report.failed_ids, report.seconds, "refactor")
                failed = None if report.passed else report
                verified["tests"] = "passed"
            if check and failed is None:
                verified["check"] = _differential(workdir, rel, result)
        if failed is not None and command is not None:
            raise RefactorRefused(_tests_failed(box, command, failed, env_for))  # the copy is back to the original here
        if command is None:
            verified["tests"] = "none configured"
    return verified


def _needs_build_check(extractor: Extractor) -> bool:
    return extractor.language != "python"


def _tests_failed(box: Any, command: str, report: Any, env_for: Any) -> str:
    from codeloop.runners.command import CommandRunner

    baseline = CommandRunner(command, env_for=env_for).run(box.path, timeout=900)  # the copy without the change
    if baseline.exit_code in (126, 127):  # the shell found no such program: bad input, not a refusal
        last = baseline.output.strip().splitlines()[-1:] or [f"exit code {baseline.exit_code}"]
        raise UsageError(f"the test command could not be started ({last[0][:200]}): fix --test-cmd or [tool.codeloop] test-cmd")
    if not baseline.passed:
        return f"the test command ({command}) already fails without the change: make it pass first, or pass --test-cmd"
    last = report.output.strip().splitlines()[-1:] or [f"exit code {report.exit_code}"]
    return f"the test command ({command}) fails after the extraction ({last[0][:200]})"


def _check_is_possible(result: Any) -> None:
    plan = result.plan
    if plan is None or not hasattr(plan, "pure"):
        raise InvalidInput("check", "supports Python files only")
    if plan.kind != "function" or plan.selection.outer.parent.type != "module":
        raise RefactorRefused(f"--check needs a module-level function; {plan.function_name} is not one")
    if not plan.pure:
        raise RefactorRefused(
            f"--check runs only pure code (no I/O, no attribute writes); lines {plan.selection.start}-{plan.selection.end} are not"
        )


def _differential(workdir: Path, rel: str, result: Any) -> str:
    import tempfile

    from codeloop.containment import session
    from codeloop.core.refactor.differential import check_script, parameter_annotations
    from codeloop.runners.base import run_shell

    plan = result.plan
    with tempfile.TemporaryDirectory(prefix="check-", dir=session.current().folder) as tmp:
        before = Path(tmp) / "before.py"
        before.write_text(result.changes.files[0].before, encoding="utf-8")
        script = Path(tmp) / "check.py"
        name = plan.function_name
        script.write_text(check_script(str(before), str(workdir / rel), name, parameter_annotations(plan.selection.function)))
        run = run_shell(f"{sys.executable} {script}", workdir, timeout=300)
    if run.exit_code == 3 and "codeloop-check: cannot import" in run.output:
        raise RefactorRefused("--check " + run.output.strip().splitlines()[-1].split("codeloop-check: ", 1)[1])
    if run.exit_code != 0:
        tail = run.output.strip().splitlines()[-3:]
        raise RefactorRefused("--check found an input where old and new functions differ: " + " | ".join(tail)[:400])
    return "same outcomes on generated inputs"
