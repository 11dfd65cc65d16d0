"""`codeloop fix`: run the tests, repair, apply only a verified patch."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

if TYPE_CHECKING:
    from codeloop.analysis.languages import Language
    from codeloop.core.fix.mutants.base import MutationGenerator

from codeloop.cli.common import BASE_URL_HELP, MODEL_HELP, SERVER_SLOTS_HELP, chosen_model, configured_base_url, configured_gpu_layers, configured_server_slots
from codeloop.cli.drive import EVENTS_HELP, Driver
from codeloop.errors import RefusedError, UsageError
from codeloop.models.base import ModelError


def fix(
    path: Path = typer.Argument(Path("."), help="A folder inside a git work tree; tests run in its project folder (nearest pyproject.toml/setup.cfg/pytest.ini)."),
    test_cmd: Optional[str] = typer.Option(None, "--test-cmd", help="Test command (default: [tool.codeloop] test-cmd, else '<the project's python> -m pytest -q')."),
    python: Optional[str] = typer.Option(None, "--python", help="The interpreter (or venv folder) that runs the tests (default: [tool.codeloop] python, the active venv, .venv/ or venv/ in the project, else python on PATH)."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the verified diff; change nothing (with --json: the patch `codeloop apply` writes later)."),
    commit: bool = typer.Option(False, "--commit", help="Commit exactly the verified fix, with the message commit-msg writes (refused when something else is staged)."),
    time_budget: float = typer.Option(600.0, "--time-budget", help="Seconds for the whole run."),
    samples: int = typer.Option(8, "--samples", help="Model candidates per round."),
    max_rounds: int = typer.Option(3, "--max-rounds", help="Self-debug rounds of the model tier."),
    seed: int = typer.Option(0, "--seed", help="Sampling seed (runs are reproducible for a seed)."),
    model: Optional[str] = typer.Option(None, "--model", help=MODEL_HELP + " A comma-separated list routes by difficulty: each model in turn tries what the cheaper ones did not fix (the first also ranks patches)."),
    backend: str = typer.Option("llamacpp", "--backend", help="llamacpp | openai"),
    base_url: Optional[str] = typer.Option(None, "--base-url", help=BASE_URL_HELP),
    model_name: Optional[str] = typer.Option(None, "--model-name", help="Model name to request from --base-url."),
    server_slots: Optional[int] = typer.Option(None, "--server-slots", help=SERVER_SLOTS_HELP),
    temperature: float = typer.Option(0.8, "--temperature", help="Sampling temperature of the model tier."),
    explain: bool = typer.Option(True, "--explain/--no-explain", help="Self-debug: explain a failure before refining."),
    no_model: bool = typer.Option(False, "--no-model", help="Cheap tier only: one-token edits at the suspicious lines, no model (fast; for pre-commit)."),
    tiers_opt: Optional[str] = typer.Option(None, "--tiers", help="Comma-separated tiers to run in order: cheap,model (default: both)."),
    workers: int = typer.Option(0, "--workers", help="Candidates validated in parallel (default: one per CPU core)."),
    rank: bool = typer.Option(True, "--rank/--no-rank", help="When several one-token edits pass, keep searching briefly and apply the one the local model finds most natural (not with --no-model; --backend llamacpp only)."),
    test_timeout: Optional[float] = typer.Option(None, "--test-timeout", help="Seconds one test may run in the first run before it counts as hung and is stopped where it loops (default: a fifth of the budget, 10-120 s)."),
    gpu_layers: Optional[int] = typer.Option(None, "--gpu-layers", help="Model layers llama.cpp offloads to the GPU (default: [tool.codeloop] gpu-layers, else all when the build supports offload; 0: CPU only)."),
    accept_ambiguous: bool = typer.Option(False, "--accept-ambiguous", help="Apply the best patch even when codeloop is not confident it is right (plausible patches that disagree on other inputs); by default such a fix is shown, not applied (exit 1)."),
    compare: bool = typer.Option(True, "--compare/--no-compare", help="Run the plausible patches side by side on inputs next to the tests' own to choose among them and rate the fix (default on)."),
    events: Optional[str] = typer.Option(None, "--events", help=EVENTS_HELP),
) -> None:
    """Repair the code so that the test command passes."""
    driver = Driver("fix", json_out, events)
    with driver:
        _fix(driver, path, test_cmd, python, dry_run, commit, time_budget, samples, max_rounds, seed, model, backend, base_url,
             model_name, temperature, explain, no_model, tiers_opt, workers, rank, test_timeout, gpu_layers,
             accept_ambiguous, compare, server_slots)


def _fix(
    driver: Driver, path: Path, test_cmd: Optional[str], python: Optional[str], dry_run: bool, commit: bool, time_budget: float,
    samples: int, max_rounds: int, seed: int, model: Optional[str], backend: str, base_url: Optional[str], model_name: Optional[str],
    temperature: float, explain: bool, no_model: bool, tiers_opt: Optional[str], workers: int, rank: bool,
    test_timeout: Optional[float], gpu_layers: Optional[int], accept_ambiguous: bool, compare: bool,
    server_slots: Optional[int] = None,
) -> None:
    from codeloop.cli.render import print_diff
    from codeloop.core.events import ModelFailed
    from codeloop.core.fix.behaviour import PatchVetting
    from codeloop.core.fix.cheap_tier import CheapTier
    from codeloop.core.fix.context import FixOptions
    from codeloop.core.fix.loop import repair
    from codeloop.core.fix.model_tier import ModelTier
    from codeloop.models.factory import check_backend_options, make_backend
    from codeloop.plugins import language_for_path
    from codeloop.workspace.cache import SpectrumFiles
    from codeloop.workspace.commit import ensure_nothing_staged
    from codeloop.workspace.environment import generated_package_files, resolve_environment
    from codeloop.workspace.git import find_project, find_worktree, ignored_files, visible_files
    from codeloop.workspace.git_state import ensure_no_operation
    from codeloop.workspace.runnable import ensure_test_command_runs
    from codeloop.workspace.behaviour_probe import SandboxProbe
    from codeloop.workspace.patch import patch_payload
    from codeloop.workspace.sandbox import SandboxPool
    from codeloop.workspace.symbols import definition_finder
    from codeloop.workspace.test_setup import prepare_tests

    if samples < 1 or max_rounds < 1:
        raise UsageError("--samples and --max-rounds must be at least 1")
    if time_budget <= 0:
        raise UsageError("--time-budget must be a positive number of seconds")
    if test_timeout is not None and test_timeout <= 0:
        raise UsageError("--test-timeout must be a positive number of seconds")
    tier_names = _tier_names(tiers_opt, no_model)
    root = find_project(path)
    top = find_worktree(path)
    ensure_no_operation(top, "fix")
    visible = visible_files(root)
    environment = resolve_environment(root, python, test_cmd, top=top, visible=visible)
    ensure_test_command_runs(environment)  # a typo in --test-cmd: one line, before any run
    if commit:
        if dry_run:
            raise UsageError("--commit and --dry-run exclude each other: drop one")
        ensure_nothing_staged(top)
    ranks = rank and not no_model and backend == "llamacpp"  # the local model judges plausible patches
    model_path = None
    gpu_layers = configured_gpu_layers(root, gpu_layers)
    base_url = configured_base_url(root, base_url)
    slots = configured_server_slots(root, server_slots)
    model_error = ""
    routed: list[tuple[str, Optional[Path]]] = [("model", None)]
    if "model" in tier_names or ranks:
        routed = _routed_models(model, root) if backend == "llamacpp" else [("model", None)]
        model_path = routed[0][1]
        try:  # loads each GGUF in the run's model worker / asks the server: exit 2 if it cannot
            for _, path_of_model in routed:
                check_backend_options(backend, path_of_model, base_url, probe=True, gpu_layers=gpu_layers)
        except ModelError as exc:  # the build crashed, not the options: go on without the model
            model_error = str(exc)

    options = FixOptions(
        samples=samples, max_rounds=max_rounds, time_budget=time_budget, seed=seed, explain=explain,
        temperature=temperature, test_timeout=test_timeout, accept_ambiguous=accept_ambiguous,
    )
    if model_error:
        driver.handle(ModelFailed(model_error))
        tier_names = [name for name in tier_names if name != "model"]
        ranks = False
    n_workers = workers if workers > 0 else max(1, os.cpu_count() or 1)
    scorer = _code_scorer(model_path, gpu_layers, time.monotonic() + time_budget) if ranks else None
    made: list[Any] = []  # the backends the tiers built (a pool reports its servers in --json)

    def backend_for(path_of_model: Optional[Path]) -> Callable[[], Any]:
        def build() -> Any:
            made.append(make_backend(backend, model_path=path_of_model, base_url=base_url, model_name=model_name,
                                     n_gpu_layers=gpu_layers, server_slots=slots))
            return made[-1]
        return build

    def model_tiers() -> list[Any]:
        # Routing: every model but the last leaves the larger part of the time to the next.
        return [
            ModelTier(backend_for(path_of_model), label=label, share=1.0 if n == len(routed) - 1 else 0.4,
                      second_opinions=_gives_second_opinions(backend, path_of_model))
            for n, (label, path_of_model) in enumerate(routed)
        ]

    available = {
        # Alone, the cheap tier may spend the whole budget; before the model, a bounded share.
        "cheap": lambda: [CheapTier(generators_for, share=1.0 if tier_names[-1] == "cheap" else 0.4, workers=n_workers, scorer=scorer)],
        "model": model_tiers,
    }
    tiers = [tier for name in tier_names for tier in available[name]()]
    extras = generated_package_files(root, ignored_files(root), visible, environment.import_roots)
    with SandboxPool(root, size=n_workers, extras=extras) as pool, definition_finder(root) as find_definitions:
        tests = prepare_tests(environment, pool, visible + extras, pool.scratch)
        driver.note(f"tests: {environment.test_command} (python from {environment.python_source})")
        for note in tests.notes:
            driver.note(note)
        vetting = PatchVetting(SandboxProbe(pool, environment, pool.scratch) if compare else None, scorer,
                               code_scorer=scorer is not None and _gives_second_opinions("llamacpp", model_path))
        loop = repair(pool, tests.runner, tiers, language_for_path, options, SpectrumFiles(root), find_definitions, tests.setup_check, tests.package_files, vetting=vetting)  # type: ignore[arg-type]
        result = driver.drive(loop)
    result.model_error = result.model_error or model_error
    applied = _apply(root, result, dry_run, (top, root) if commit else None)

    if result.status == "setup-error":
        driver.fail(result.message, 2)
    committed = _commit(top, root, result, no_model, model_path) if commit and applied else None
    if commit and applied and committed is None:
        applied = False  # the commit failed and the fix was taken back (see _commit)
    payload = result.to_dict()
    payload["applied"] = applied
    if commit:
        payload["commit"] = committed
    if dry_run and result.status == "fixed" and result.changes is not None:
        payload["patch"] = patch_payload(root, result.changes, "fix")  # what `codeloop apply` writes later
    payload.update(environment.describe())
    servers = [server for b in made if hasattr(b, "servers") for server in b.servers()]
    if servers:
        payload["servers"] = servers  # answered/failed per server of --base-url

    def show(out: Any, err: Any) -> None:
        if result.changes is not None and result.status == "fixed":
            print_diff(out, result.changes.diff())
        if result.status == "ambiguous" and result.assessment is not None:
            _show_candidates(out, result.assessment, print_diff)
        err.print(_summary(result, applied, dry_run), markup=False)
        if committed:
            err.print(f"Committed as {committed[:12]} (git show {committed[:12]}).", markup=False)

    driver.finish(payload, 0 if result.status in ("fixed", "passing") else 1, show)


def _routed_models(given: Optional[str], root: Path) -> list[tuple[str, Optional[Path]]]:
    """(label, GGUF) of each model to try in turn; one entry (the configured or embedded
    model) unless ``--model`` names a comma-separated list."""
    names = [n.strip() for n in given.split(",")] if given is not None and "," in given else None
    if names is None:
        path = chosen_model(given, root)
        return [(_model_label(given, path), path)]
    if not all(names):
        raise UsageError(f"--model {given!r} has an empty name: pass names or .gguf paths separated by commas")
    return [(_model_label(n, chosen_model(n, root)), chosen_model(n, root)) for n in dict.fromkeys(names)]


def _gives_second_opinions(backend: str, path: Optional[Path]) -> bool:
    """Whether the model's own fix is evidence for or against an earlier tier's: a code
    model (a catalog coder, any GGUF the user names, a server's model) is; the embedded
    135M, which rarely fixes anything alone, is not: asking it would cost time for nothing."""
    if backend != "llamacpp":
        return True
    if path is None:
        return False
    from codeloop.models.llamacpp import default_model_path

    try:
        return path.resolve() != default_model_path().resolve()
    except UsageError:  # the embedded package is missing: this is not it
        return True


def _model_label(given: Optional[str], path: Optional[Path]) -> str:
    if given and not given.endswith(".gguf"):
        return given.strip()
    return path.stem if path is not None else "model"


def _commit(top: Path, root: Path, result: Any, no_model: bool, model: Optional[Path]) -> str | None:
    """Commit the applied fix (its sha); if git refuses, the fix is taken back: committed or nothing."""
    from codeloop.core.commit_msg import write_message
    from codeloop.workspace.commit import commit_fix

    def message_for(diff: str) -> str:
        backend = None
        if not no_model and not result.model_error:
            from codeloop.models.factory import make_backend

            backend = make_backend("llamacpp", model_path=model)
        tests = ", ".join(result.failing_tests[:3]) + (f" and {len(result.failing_tests) - 3} more" if len(result.failing_tests) > 3 else "")
        note = f"Makes {tests} pass again; verified against the whole test command by codeloop fix." if tests else ""
        try:
            return write_message(diff, backend, kind="fix", note=note).text()
        except ModelError as exc:  # the model died while writing it: the facts will do
            result.model_error = str(exc)
            return write_message(diff, None, kind="fix", note=note).text()

    try:
        return commit_fix(top, root, result.changes, message_for)
    except RefusedError as exc:
        from codeloop.workspace import checkpoint

        checkpoint.undo(root)  # committed or nothing: the tree goes back as it was
        result.status = "unfixed"
        result.message = f"{exc}; the fix was found but not applied"
        return None


def _code_scorer(model: Path | None, gpu_layers: Optional[int], deadline: float) -> Callable[[str], float]:
    """The local model as a judge of how natural code looks: the same worker, and the same
    loaded weights, as the model tier's sampling."""
    from codeloop.models.llamacpp import default_model_path, default_threads
    from codeloop.models.scoring import LlamaCppScorer

    return LlamaCppScorer(model or default_model_path(), default_threads(), gpu_layers, deadline).log_likelihood


def _apply(root: Path, result: Any, dry_run: bool, commit_in: tuple[Path, Path] | None = None) -> bool:
    """Write the verified winner (undo checkpoint first); False when nothing was written.
    ``commit_in``: (work tree top, project) when the fix is to be committed after."""
    from codeloop.workspace import checkpoint
    from codeloop.workspace.commit import check_committable

    if result.status != "fixed" or result.changes is None or dry_run:
        return False
    try:
        if commit_in is not None:
            check_committable(*commit_in, result.changes)
        checkpoint.apply(root, result.changes, label="fix")
    except RefusedError as exc:
        result.status = "unfixed"
        result.message = str(exc)
        return False
    return True


_TIERS = ("cheap", "model")


def _tier_names(given: str | None, no_model: bool) -> list[str]:
    if given is None:
        return ["cheap"] if no_model else list(_TIERS)
    names = [n.strip() for n in given.split(",") if n.strip()]
    unknown = [n for n in names if n not in _TIERS]
    if unknown or not names:
        raise UsageError(f"--tiers takes a comma-separated list of {', '.join(_TIERS)} (got {given!r})")
    if no_model and "model" in names:
        raise UsageError("--no-model contradicts --tiers with model: drop one of them")
    return list(dict.fromkeys(names))


def generators_for(language: Language) -> list[MutationGenerator]:
    """The cheap tier's generators registered for ``language`` (built-in or plugin)."""
    from codeloop import plugins

    return plugins.candidate_generators().get(language.name, [])


def _show_candidates(out: Any, assessment: Any, print_diff: Callable[[Any, str], None]) -> None:
    """An abstained fix: every candidate diff and the inputs where they disagree (stdout)."""
    for n, patch in enumerate(assessment.plausible):
        mark = "best" if n == assessment.chosen_index else "rival"
        out.print(f"candidate {n} ({mark}, {patch.stage}: {patch.origin})", markup=False)
        print_diff(out, patch.changes.diff())
    for d in assessment.disagreements:
        answers = "; ".join(f"candidate{'s' if len(p) > 1 else ''} {', '.join(map(str, p))}: {o}" for o, p in d.outputs)
        out.print(f"{d.call}: original {d.original}; {answers}", markup=False)


def _confidence_text(result: Any) -> str:
    if result.assessment is None:
        return ""
    a = result.assessment
    return f" Confidence {a.confidence:.2f} ({'; '.join(a.reasons)})."


def _summary(result: object, applied: bool, dry_run: bool) -> str:
    from codeloop.core.fix.loop import FixResult

    assert isinstance(result, FixResult)
    s = result.stats
    model = f" in {s.rounds} model round(s) ({s.llm_calls} model calls, {s.completion_tokens} tokens generated)" if s.llm_calls else ""
    spent = f"{s.candidates} candidates tested{model}, {result.seconds:.0f}s"
    if result.status == "passing":
        return "The test command already passes: nothing to fix."
    if result.status == "fixed":
        where = "applied to your working tree (codeloop undo reverts it)" if applied else "not applied (--dry-run)"
        return (
            f"Fixed: the {result.stage} tier found a patch to {', '.join(result.changes.paths if result.changes else [])} "
            f"({result.winner}) that makes the whole test command pass; {where}. "
            f"{s.plausible} candidate(s) passed; {spent}.{_confidence_text(result)}"
        )
    if result.status == "ambiguous":
        return f"Not applied: {result.message}. Your working tree is unchanged. {spent}."
    return f"Not fixed: {result.message}. Your working tree is unchanged. {spent}."
