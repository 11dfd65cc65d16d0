"""What `codeloop generate` does between parsing options and applying: find the target,
build its checkers (the I/O the core is given), and hand the core's generation, which
settles ambiguity itself (core/lpw/clarify.py), to the driver."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from codeloop.core.changes import ChangeSet, FileChange
from codeloop.core.events import Event
from codeloop.core.lpw.ambiguity import Disagreement
from codeloop.core.lpw.clarify import Clarified
from codeloop.core.lpw.loop import GenOptions, GenResult
from codeloop.errors import UsageError
from codeloop.models.base import Backend
from codeloop.workspace.stubs import Target

Drive = Callable[[Generator[Event, "str | None", Clarified]], Clarified]


@dataclass
class Outcome:
    status: str  # "generated" | "failed"
    target: Target
    result: GenResult
    function: str | None
    ambiguity: Disagreement | None = None
    resolved: str = ""  # "user" | "majority" | ""
    message: str = ""

    @property
    def changes(self) -> ChangeSet:
        assert self.function is not None
        t = self.target
        return ChangeSet((FileChange(t.relpath, t.before, t.splice(self.function)),))

    def to_dict(self) -> dict[str, Any]:
        s = self.result.stats
        generated = self.status == "generated"
        return {
            "status": self.status, "target": f"{self.target.relpath}::{self.target.spec.name}",
            "diff": self.changes.diff() if generated else "", "files": [self.target.relpath] if generated else [],
            "function": self.function if generated else None,
            "visible_tests": {"examples": len(self.target.spec.examples), "test_files": self.target.test_files},
            "passing_programs": len(self.result.passing), "programs": s.programs, "plans": s.plans,
            "plan_revisions": s.plan_revisions, "debug_rounds": s.debug_rounds, "llm_calls": s.llm_calls,
            "prompt_tokens": s.prompt_tokens, "prompt_tokens_evaluated": s.prompt_tokens_evaluated,
            "completion_tokens": s.completion_tokens, "seconds": round(self.result.seconds, 3),
            "origin": self.result.origin, "message": self.message,
            "ambiguity": None if self.ambiguity is None else {**self.ambiguity.to_dict(), "resolved": self.resolved},
        }

    def summary(self, applied: bool, dry_run: bool) -> str:
        s = self.result.stats
        spent = f"{s.programs} program(s) tested, {s.llm_calls} model calls, {s.completion_tokens} tokens, {self.result.seconds:.0f}s"
        if self.status != "generated":
            return f"Not generated: {self.message}. Your files are unchanged. {spent}."
        where = "applied (codeloop undo reverts it)" if applied else "not applied (--dry-run)"
        note = ""
        if self.ambiguity is not None:
            how = "your answer" if self.resolved == "user" else "the majority of passing programs"
            note = f" Passing programs disagreed on {self.ambiguity.call}; chose by {how}."
        return f"Generated {self.target.spec.name} in {self.target.relpath}: passes the visible tests; {where}.{note} {spent}."


def _target(target_text: str | None, spec_text: str | None, out: str | None, signature: str | None, tests: list[Path], backend: Any) -> Target:
    from codeloop.core.lpw.signature import write_signature
    from codeloop.core.lpw.spec import from_description
    from codeloop.workspace.stubs import spec_target, split_target, stub_target

    if target_text is not None:
        found = stub_target(*split_target(target_text), tests)
    else:
        assert spec_text is not None and out is not None
        found, needs_signature = spec_target(out, spec_text, signature, tests)
        if needs_signature:
            line = write_signature(backend(), found.spec.name, spec_text, found.spec.test_sources)
            found = replace(found, spec=from_description(line, spec_text, test_sources=found.spec.test_sources))
    if not found.spec.examples and not found.test_files:
        raise UsageError(
            f"no visible tests for {found.spec.name}: add doctest examples (>>> ...) to its docstring or pass --test tests/test_x.py"
        )
    return found


def run(
    target_text: str | None, spec_text: str | None, out: str | None, signature: str | None, tests: list[Path],
    options: GenOptions, make_backend: Callable[[], Backend], drive: Drive,
) -> Outcome:
    """``drive`` runs the core's generator to its end, rendering its events and answering
    its question (the CLI's Driver.drive)."""
    from codeloop.core.lpw.checks import combine, examples_checker
    from codeloop.core.lpw.clarify import generate_clarified
    from codeloop.runners.pyexec import call_outputs, trace_call
    from codeloop.runners.pytest_runner import PytestRunner, is_pytest_command
    from codeloop.workspace.checkers import module_sys_path, pytest_checker
    from codeloop.workspace.environment import resolve_environment
    from codeloop.workspace.sandbox import SandboxPool

    made: list[Backend] = []

    def backend() -> Backend:
        if not made:
            made.append(make_backend())
        return made[0]

    target = _target(target_text, spec_text, out, signature, tests, backend)
    spec = target.spec
    sys_path = module_sys_path(target.root, target.relpath)

    def run_calls(programs: list[str], calls: list[str]) -> list[list[str]]:
        return call_outputs(programs, calls, sys_path=sys_path)

    def tracer(program: str, call: str) -> str:
        return trace_call(program, call, spec.name, sys_path)

    environment = resolve_environment(target.root)  # the project's interpreter runs its tests
    command = environment.test_command
    with SandboxPool(target.root) as pool:
        checkers = [examples_checker(spec, run_calls, program_for=target.splice, tracer=tracer)]
        if target.test_files:
            pytest_cmd = command if is_pytest_command(command) else f"{shlex.quote(environment.python)} -m pytest -q"
            runner = PytestRunner(pytest_cmd, env_for=environment.run_env)
            checkers.append(pytest_checker(pool, runner, target.relpath, target.splice, target.test_files))
        done = drive(generate_clarified(spec, backend, combine(*checkers), options, run_calls, target.splice))
    result = done.result
    status = "generated" if done.function is not None else "failed"
    return Outcome(status, target, result, done.function, done.ambiguity, done.resolved, result.message if status == "failed" else "")
