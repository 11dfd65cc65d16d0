"""`codeloop doctor`: one screen on whether codeloop can work here, and what to do if not.

The llama.cpp build and every model are tried in worker processes, so a build that
crashes this CPU is reported as a problem instead of ending doctor.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from codeloop.cli.common import chosen_model, configured_gpu_layers, fail_usage
from codeloop.errors import UsageError


def doctor(
    path: Path = typer.Argument(Path("."), help="The project to check (a folder inside a git work tree)."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout."),
    model: Optional[str] = typer.Option(None, "--model", help="Also check this model: a catalog name or a GGUF path (the embedded and the configured model are always checked)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="Also check that this OpenAI-compatible server (or each of a comma-separated pool) answers."),
    gpu_layers: Optional[int] = typer.Option(None, "--gpu-layers", help="Layers to offload when loading the models (default: [tool.codeloop] gpu-layers, else all when the build supports offload)."),
    python: Optional[str] = typer.Option(None, "--python", help="The interpreter fix would be given (default: as fix finds it)."),
    test_cmd: Optional[str] = typer.Option(None, "--test-cmd", help="The test command fix would be given (default: as fix finds it)."),
) -> None:
    """Check the llama.cpp build, the models (load, speed, GPU offload), git, the interpreter and test command fix would use, and what test runs are kept from."""
    from codeloop.models import diagnose
    from codeloop.models.llamacpp import default_threads

    problems: list[str] = []
    project = _project(path, problems)
    try:
        layers = configured_gpu_layers(project.get("root"), gpu_layers)
        given = chosen_model(model, project.get("root")) if model is not None else None
    except UsageError as exc:
        fail_usage(str(exc), json_out)

    build, crashed = diagnose.build_info()
    if crashed:
        problems.append(f"llama.cpp: {crashed}")
    missing = diagnose.missing_cpu_features(build.get("system_info", ""), diagnose.cpu_flags())
    if missing:
        problems.append(diagnose.rebuild_advice(missing))

    models = []
    for label, gguf in _models(given, project.get("root"), problems):
        check = diagnose.check_model(label, gguf, default_threads(), layers)
        models.append(check.to_dict())
        if check.error:
            problems.append(f"model {label} ({gguf.name}): {check.error}")
    server = _server(base_url, problems) if base_url else None
    environment = _environment(project.get("project"), project.get("worktree"), python, test_cmd, problems)
    from codeloop.containment.check import containment

    contained = containment()  # not a problem when missing (the OS decides), but the user should see it

    report = {
        "status": "problems" if problems else "ok",
        "llama_cpp": build,
        "models": models,
        "server": server,
        "project": {k: (str(v) if isinstance(v, Path) else v) for k, v in project.items()},
        "environment": environment,
        "containment": contained,
        "problems": problems,
    }
    if json_out:
        print(json.dumps(report))
    else:
        print(render(report))
    for problem in problems:
        print(f"codeloop: {problem}", file=sys.stderr)
    raise typer.Exit(1 if problems else 0)


def _models(given: Optional[Path], root: Optional[Path], problems: list[str]) -> list[tuple[str, Path]]:
    """The embedded model, the configured one ([tool.codeloop] model, the user config) and
    --model: each file once."""
    from codeloop.models.llamacpp import default_model_path

    found: list[tuple[str, Path]] = []
    try:
        found.append(("embedded", default_model_path()))
    except UsageError as exc:
        problems.append(f"embedded model: {exc}")
    try:
        configured = chosen_model(None, root)
    except UsageError as exc:
        problems.append(str(exc))
        configured = None
    for label, path in (("configured", configured), ("--model", given)):
        if path is not None and all(path.resolve() != p.resolve() for _, p in found):
            found.append((label, path))
    return found


def _server(base_url: str, problems: list[str]) -> dict[str, Any]:
    from codeloop.models.factory import probe_server

    try:
        dead = probe_server(base_url)
    except UsageError as exc:
        problems.append(str(exc))
        return {"base_url": base_url, "answers": False}
    if dead:  # a pool still works on the rest, but the user should know
        problems.append(f"no answer from {', '.join(dead)} (the rest of the --base-url pool answers)")
    return {"base_url": base_url, "answers": True, "not_answering": dead}


def _project(path: Path, problems: list[str]) -> dict[str, Any]:
    """Where fix would run, and the git state it would start from."""
    from codeloop.workspace.git import find_project, find_worktree

    try:
        top, project = find_worktree(path), find_project(path)
    except UsageError as exc:
        problems.append(str(exc))
        return {}

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=top, capture_output=True, text=True).stdout.strip()

    changed = [line for line in git("status", "--porcelain").splitlines() if line.strip()]
    return {
        "root": project,
        "project": project,
        "worktree": top,
        "branch": git("rev-parse", "--abbrev-ref", "HEAD") or "(no commits yet)",
        "head": git("rev-parse", "--short", "HEAD") or "",
        "changed_files": len(changed),
    }


def _environment(project: Optional[Path], top: Optional[Path], python: Optional[str], test_cmd: Optional[str], problems: list[str]) -> dict[str, Any]:
    """The interpreter and test command ``fix`` would use, and whether they run there:
    the same resolution (workspace/environment.py) and the same set-up checks in a copy
    of the tree (workspace/test_setup.py) as fix, so doctor never guesses differently."""
    from codeloop.workspace.environment import generated_package_files, resolve_environment
    from codeloop.workspace.git import ignored_files, visible_files
    from codeloop.workspace.sandbox import SandboxPool
    from codeloop.workspace.test_setup import prepare_tests

    if project is None or top is None:
        return {}
    try:
        visible = visible_files(project)
        env = resolve_environment(project, python, test_cmd, top=top, visible=visible)
    except UsageError as exc:
        problems.append(str(exc))
        return {}
    found: dict[str, Any] = {**env.describe(), "runs": False, "python_version": "", "notes": []}
    try:
        extras = generated_package_files(project, ignored_files(project), visible, env.import_roots)
        with SandboxPool(project, size=1, extras=extras) as pool:
            tests = prepare_tests(env, pool, visible + extras, pool.scratch)
    except UsageError as exc:
        problems.append(str(exc))
        return found
    found.update(runs=True, python_version=tests.probe.version if tests.probe else "", notes=tests.notes)
    return found


def render(report: dict[str, Any]) -> str:
    """The report as one screen of text."""
    lines = []
    build = report["llama_cpp"]
    if build:
        offload = "yes" if build.get("gpu_offload") else "no"
        lines.append(f"llama.cpp    llama-cpp-python {build.get('llama_cpp_version')}, GPU offload: {offload}")
        lines.append(f"             {build.get('system_info', '')}")
    else:
        lines.append("llama.cpp    (the build could not be queried)")
    for m in report["models"]:
        name = Path(m["path"]).name
        if m["loads"]:
            layers = "all" if m["n_gpu_layers"] == -1 else str(m["n_gpu_layers"])
            lines.append(
                f"model        {m['label']}: {name}: loads; prompt {m['prompt_tokens_per_second']:.0f} tok/s, "
                f"decode {m['decode_tokens_per_second']:.1f} tok/s; context {m['context_limit']}; GPU layers {layers}"
            )
        else:
            lines.append(f"model        {m['label']}: {name}: does not work ({m['error']})")
    if report["server"] is not None:
        s = report["server"]
        lines.append(f"server       {s['base_url']}: {'answers' if s['answers'] else 'does not answer'}")
    p = report["project"]
    if p:
        state = "clean" if not p["changed_files"] else f"{p['changed_files']} changed file(s)"
        lines.append(f"project      {p['project']} (git: {p['branch']} {p['head']}, {state})")
    env = report["environment"]
    if env:
        version = f", Python {env['python_version']}" if env.get("python_version") else ""
        lines.append(f"python       {env['python']} (from {env['python_source']}{version})")
        state = "runs" if env["runs"] else "does not run (see the problems)"
        lines.append(f"tests        {env['test_command']} (from {env['test_command_source']}): {state}")
        for note in env.get("notes", []):
            lines.append(f"             note: {note}")
    contained = report.get("containment")
    if contained:
        lines.append(f"test runs    network: {contained['network']}")
        lines.append(f"             files: {contained['files']}")
    count = len(report["problems"])
    lines.append("no problems found" if not count else f"{count} problem(s), one per line on stderr")
    return "\n".join(lines)
