"""`codeloop generate`: fill a stub's body (or write a described function) so that its
visible tests pass; apply only a version that passes them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import typer

from codeloop.cli.common import BASE_URL_HELP, MODEL_HELP, chosen_model, configured_base_url, configured_gpu_layers, configured_server_slots
from codeloop.cli.drive import EVENTS_HELP, Driver
from codeloop.errors import RefusedError, UsageError
from codeloop.models.base import ModelError


def generate(
    target: Optional[str] = typer.Argument(None, help="path/to/module.py::function_name: the stub to fill."),
    spec_text: Optional[str] = typer.Option(None, "--spec", help="Describe the function in words instead of a stub (with --out)."),
    out: Optional[str] = typer.Option(None, "--out", help="With --spec: the file to write (file.py or file.py::name)."),
    signature: Optional[str] = typer.Option(None, "--signature", help="With --spec: the def line, e.g. 'def slug(text: str) -> str'."),
    test: list[Path] = typer.Option([], "--test", help="Visible test file(s) (default: the docstring's examples and project tests that call the function)."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the verified diff; change nothing (with --json: the patch `codeloop apply` writes later)."),
    plans: int = typer.Option(3, "--plans", help="Plans to sample (1: LPW, more: SLPW)."),
    plan: Optional[bool] = typer.Option(None, "--plan/--no-plan", help="Plan from the start (LPW/SLPW), or only sample code straight from the stub. Default: plain samples first and planning only when none passes; with the embedded 135M model no planning (it does not pay there; see README)."),
    verify: bool = typer.Option(True, "--verify/--no-verify", help="Walk each plan on a visible example before coding."),
    debug_rounds: int = typer.Option(1, "--debug-rounds", help="Explain-and-fix rounds per failing program."),
    candidates: int = typer.Option(3, "--candidates", help="Passing programs to collect before checking they agree (1: stop at the first)."),
    ask: bool = typer.Option(True, "--ask/--no-ask", help="In a terminal, ask when passing programs disagree."),
    token_budget: int = typer.Option(3000, "--token-budget", help="Completion tokens for the whole run."),
    time_budget: float = typer.Option(300.0, "--time-budget", help="Seconds for the whole run."),
    temperature: float = typer.Option(0.7, "--temperature", help="Sampling temperature."),
    seed: int = typer.Option(0, "--seed", help="Sampling seed."),
    model: Optional[str] = typer.Option(None, "--model", help=MODEL_HELP),
    backend: str = typer.Option("llamacpp", "--backend", help="llamacpp | openai"),
    base_url: Optional[str] = typer.Option(None, "--base-url", help=BASE_URL_HELP),
    model_name: Optional[str] = typer.Option(None, "--model-name", help="Model name to request from --base-url."),
    gpu_layers: Optional[int] = typer.Option(None, "--gpu-layers", help="Model layers llama.cpp offloads to the GPU (default: [tool.codeloop] gpu-layers, else all when the build supports offload; 0: CPU only)."),
    events: Optional[str] = typer.Option(None, "--events", help=EVENTS_HELP + " Answers to its question come on stdin, one JSON line each, when stdin is not a terminal."),
) -> None:
    """Generate a function body that passes the visible tests."""
    from codeloop.cli import generate_flow as flow
    from codeloop.cli.drive import events_answer_channel, stdin_answers
    from codeloop.cli.render import EventRenderer, terminal_answers
    from codeloop.core.lpw.loop import GenOptions
    from codeloop.models.factory import check_backend_options, make_backend

    driver = Driver("generate", json_out, events)
    with driver:
        if min(plans, candidates, token_budget) < 1 or debug_rounds < 0 or time_budget <= 0:
            raise UsageError("--plans, --candidates and --token-budget must be at least 1, --debug-rounds at least 0, --time-budget positive")
        if (target is None) == (spec_text is None):
            raise UsageError("pass either path/to/module.py::function_name or --spec 'text' --out file.py")
        if spec_text is not None and not out:
            raise UsageError("--spec needs --out file.py (where the function goes)")
        if target is not None:  # a bad target is said before any model is loaded or asked
            _check_target(target, test)
        project = _project_of(target or out or "")
        model_path = chosen_model(model, project) if backend == "llamacpp" else None
        gpu_layers = configured_gpu_layers(project, gpu_layers)
        base_url = configured_base_url(project, base_url)
        try:  # loads the GGUF in the run's model worker (or asks the server): exit 2 if it cannot
            check_backend_options(backend, model_path, base_url, probe=True, gpu_layers=gpu_layers)
        except ModelError as exc:  # generation cannot do without the model
            driver.fail(f"cannot generate without the model: {exc}", 1, model_error=str(exc))
        options = GenOptions(
            plan=_plan_by_default(backend, model_path) if plan is None else plan, plain_first=PLAIN_FIRST if plan is None else 0,
            plans=plans, verify=verify, debug_rounds=debug_rounds, token_budget=token_budget,
            time_budget=time_budget, temperature=temperature, seed=seed, want_passing=candidates,
        )
        backend_options: dict[str, Any] = {"model_path": model_path, "base_url": base_url, "model_name": model_name, "n_gpu_layers": gpu_layers,
                                           "server_slots": configured_server_slots(project, None)}
        factory = lambda: make_backend(backend, **backend_options)  # noqa: E731 (loaded only when needed)
        # Who answers the question when passing programs disagree (no one: the majority).
        if ask and events_answer_channel(driver):
            driver.answers = stdin_answers(driver)
        elif ask and not json_out and not driver.jsonl and sys.stdin.isatty() and sys.stderr.isatty() and isinstance(driver.view, EventRenderer):
            driver.answers = terminal_answers(driver.view)
        try:
            outcome = flow.run(target, spec_text, out, signature, test, options, factory, driver.drive)
        except ModelError as exc:
            driver.fail(f"cannot generate without the model, nothing was changed: {exc}", 1, model_error=str(exc))
        _finish(driver, outcome, dry_run)


# Plain samples (greedy, then one sampled) before planning, by default. Planning from the
# start scored below plain sampling with both Qwen2.5-Coder models on HumanEval (README):
# planning is for the stubs plain code does not solve.
PLAIN_FIRST = 2


def _plan_by_default(backend: str, model: Optional[Path]) -> bool:
    """Planning costs tokens the embedded 135M model turns into worse code (measured on
    HumanEval, README); for anything else planning follows plain samples that all failed."""
    from codeloop.models.store import is_embedded

    return not (backend == "llamacpp" and is_embedded(model))


def _check_target(target: str, tests: list[Path]) -> None:
    """The stub exists, parses and is inside a repo where git is not halfway through a
    merge or rebase (UsageError, exit 2, otherwise)."""
    from codeloop.workspace.git import find_worktree
    from codeloop.workspace.git_state import ensure_no_operation
    from codeloop.workspace.stubs import split_target, stub_target

    path, name = split_target(target)
    if path.exists():
        ensure_no_operation(find_worktree(path.resolve().parent), "generate")
    stub_target(path, name, tests)


def _project_of(target: str) -> Optional[Path]:
    """The project folder of the file to write, for its ``[tool.codeloop] model`` (None outside git)."""
    from codeloop.workspace.git import find_project

    folder = Path(target.split("::", 1)[0]).parent
    try:
        return find_project(folder if folder.is_dir() else Path.cwd())
    except UsageError:
        return None


def _finish(driver: Driver, outcome: Any, dry_run: bool) -> None:
    from codeloop.cli.render import print_diff
    from codeloop.workspace import checkpoint
    from codeloop.workspace.patch import patch_payload

    applied = False
    if outcome.status == "generated" and not dry_run:
        try:
            checkpoint.apply(outcome.target.root, outcome.changes, label="generate")
            applied = True
        except RefusedError as exc:
            outcome.status, outcome.message = "failed", str(exc)
    payload = outcome.to_dict()
    payload["applied"] = applied
    if dry_run and outcome.status == "generated":
        payload["patch"] = patch_payload(outcome.target.root, outcome.changes, "generate")

    def show(out: Any, err: Any) -> None:
        if outcome.status == "generated":
            print_diff(out, outcome.changes.diff())
        err.print(outcome.summary(applied, dry_run), markup=False)

    driver.finish(payload, 0 if outcome.status == "generated" else 1, show)
