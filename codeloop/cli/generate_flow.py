"""What `codeloop generate` does between parsing options and applying: find the target,
build its checkers, drive the LPW core with progress on stderr, and settle ambiguity
(ask in a terminal, else take the majority)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace
from pathlib import Path
from collections.abc import Callable
from typing import Any

from rich.console import Console

from codeloop.core.changes import ChangeSet, FileChange
from codeloop.core.lpw.ambiguity import Disagreement
from codeloop.core.lpw.loop import GenOptions, GenResult
from codeloop.errors import UsageError
from codeloop.models.base import Backend
from codeloop.workspace.stubs import Target


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


def _drive(loop: Any, console: Console) -> Any:
    from codeloop.cli.render import EventRenderer

    with EventRenderer(console) as renderer:
        while True:
            try:
                renderer.handle(next(loop))
            except StopIteration as stop:
                return stop.value


def ask_user(console: Console, disagreement: Disagreement) -> str:
    console.print(f"\nThe visible tests allow different behaviours. What should {disagreement.call} return?", markup=False)
    for i, (output, count) in enumerate(disagreement.answers, 1):
        console.print(f"  {i}) {output}    ({count} program{'s' if count > 1 else ''})", markup=False)
    answer = console.input("Type a number, or the value itself (empty: keep the majority): ").strip()
    if answer.isdigit() and 1 <= int(answer) <= len(disagreement.answers):
        return disagreement.answers[int(answer) - 1][0]
    return answer


@dataclass
class _Tools:
    """What settling an ambiguity needs from the run that found it."""

    console: Console
    backend: Callable[[], Backend]
    run_calls: Callable[[list[str], list[str]], list[list[str]]]
    check: Any  # the visible-test Checker
    options: GenOptions


def run(
    target_text: str | None, spec_text: str | None, out: str | None, signature: str | None, tests: list[Path],
    options: GenOptions, make_backend: Callable[[], Backend], ask: Callable[[Console, Disagreement], str] | None,
) -> Outcome:
    """``ask`` (None when not interactive) puts the question to the user; "" keeps the majority."""
    from codeloop.cli.render import make_console
    from codeloop.core.lpw.checks import combine, examples_checker
    from codeloop.core.lpw.loop import generate
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
    spec, console = target.spec, make_console()
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
        check = combine(*checkers)
        result: GenResult = _drive(generate(spec, backend(), check, options), console)
        outcome = Outcome(result.status, target, result, result.function, message=result.message)
        if len(result.passing) >= 2:
            _settle(outcome, _Tools(console, backend, run_calls, check, options), ask)
        return outcome


def _settle(outcome: Outcome, tools: _Tools, ask: Callable[[Console, Disagreement], str] | None) -> None:
    """Passing programs that disagree: ask the user (then keep or regenerate), or take the majority."""
    from codeloop.core.lpw import ambiguity as amb
    from codeloop.core.lpw.checks import combine, examples_checker
    from codeloop.core.lpw.loop import generate

    target, result, console = outcome.target, outcome.result, tools.console
    calls = amb.probe_calls(target.spec)
    disagreement = amb.find_disagreement(calls, tools.run_calls([target.splice(f) for f in result.passing], calls))
    if disagreement is None:
        console.print(f"note: {len(result.passing)} passing programs agree on {len(calls)} generated inputs", markup=False)
        return
    outcome.ambiguity = disagreement
    answer = ask(console, disagreement) if ask is not None else ""
    if not answer:
        outcome.resolved, outcome.function = "majority", result.passing[disagreement.majority]
        outputs = ", ".join(o for o, _ in disagreement.answers)
        console.print(f"note: passing programs disagree on {disagreement.call} ({outputs}); took the majority", markup=False)
        return
    outcome.resolved = "user"
    example = amb.clarified_example(disagreement, answer)
    clarified = target.spec.with_example(example, f"{example.call} returns {example.expected}")
    agree = examples_checker(clarified, tools.run_calls, [example], program_for=target.splice)
    matching = [f for f in result.passing if agree(f).passed]
    if matching:
        outcome.function = matching[0]
        return
    console.print("note: no passing program matches your answer: generating again with it", markup=False)
    again: GenResult = _drive(generate(clarified, tools.backend(), combine(agree, tools.check), replace(tools.options, want_passing=1)), console)
    outcome.result, outcome.function, outcome.status, outcome.message = again, again.function, again.status, again.message
