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

from codeloop.cli.common import configured_gpu_layers, fail_usage
from codeloop.errors import UsageError


def doctor(
    path: Path = typer.Argument(Path("."), help="The project to check (a folder inside a git work tree)."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout."),
    model: Optional[Path] = typer.Option(None, "--model", help="Also check this GGUF file (the embedded model is always checked)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="Also check that this OpenAI-compatible server answers."),
    gpu_layers: Optional[int] = typer.Option(None, "--gpu-layers", help="Layers to offload when loading the models (default: [tool.codeloop] gpu-layers, else all when the build supports offload)."),
) -> None:
    """Check the llama.cpp build, the models (load, speed, GPU offload), git and the test environment."""
    from codeloop.models import diagnose
    from codeloop.models.llamacpp import default_threads

    if model is not None and not model.is_file():
        fail_usage(f"model file not found: {model} (pass --model with an existing .gguf file)", json_out)
    problems: list[str] = []
    project = _project(path, problems)
    try:
        layers = configured_gpu_layers(project["root"], gpu_layers) if project.get("root") else gpu_layers
    except UsageError as exc:
        fail_usage(str(exc), json_out)

    build, crashed = diagnose.build_info()
    if crashed:
        problems.append(f"llama.cpp: {crashed}")
    missing = diagnose.missing_cpu_features(build.get("system_info", ""), diagnose.cpu_flags())
    if missing:
        problems.append(diagnose.rebuild_advice(missing))

    models = []
    for label, gguf in _models(model, problems):
        check = diagnose.check_model(label, gguf, default_threads(), layers)
        models.append(check.to_dict())
        if check.error:
            problems.append(f"model {label} ({gguf.name}): {check.error}")
    server = _server(base_url, problems) if base_url else None
    environment = _environment(project.get("project"), problems)

    report = {
        "status": "problems" if problems else "ok",
        "llama_cpp": build,
        "models": models,
        "server": server,
        "project": {k: (str(v) if isinstance(v, Path) else v) for k, v in project.items()},
        "environment": environment,
        "problems": problems,
    }
    if json_out:
        print(json.dumps(report))
    else:
        print(render(report))
    for problem in problems:
        print(f"codeloop: {problem}", file=sys.stderr)
    raise typer.Exit(1 if problems else 0)


def _models(model: Optional[Path], problems: list[str]) -> list[tuple[str, Path]]:
    from codeloop.models.llamacpp import default_model_path

    found: list[tuple[str, Path]] = []
    try:
        found.append(("embedded", default_model_path()))
    except UsageError as exc:
        problems.append(f"embedded model: {exc}")
    if model is not None:
        found.append((str(model), model))
    return found


def _server(base_url: str, problems: list[str]) -> dict[str, Any]:
    from codeloop.models.factory import probe_server

    try:
        probe_server(base_url)
    except UsageError as exc:
        problems.append(str(exc))
        return {"base_url": base_url, "answers": False}
    return {"base_url": base_url, "answers": True}


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


def _environment(project: Optional[Path], problems: list[str]) -> dict[str, Any]:
    """The interpreter and test command ``fix`` would use, and whether they run.

    An adapter over ``codeloop.workspace.environment`` (``resolve_environment`` and
    ``check_environment``), which decides that for fix; where that module is not
    there yet, doctor says so instead of guessing differently from fix.
    """
    if project is None:
        return {"available": False}
    import importlib

    try:
        environment: Any = importlib.import_module("codeloop.workspace.environment")
    except ImportError:
        return {"available": False, "note": "codeloop.workspace.environment is not in this version"}
    env = environment.resolve_environment(project)
    found = [str(p) for p in environment.check_environment(env)]
    problems.extend(found)
    return {
        "available": True,
        "python": str(env.python),
        "python_source": env.python_source,
        "test_command": env.test_command,
        "test_command_source": env.test_command_source,
        "runs": not found,
    }


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
    if env.get("available"):
        lines.append(f"python       {env['python']} ({env['python_source']})")
        lines.append(f"tests        {env['test_command']} ({env['test_command_source']}): {'run' if env['runs'] else 'do not run'}")
    elif env.get("note"):
        lines.append(f"environment  {env['note']}")
    count = len(report["problems"])
    lines.append("no problems found" if not count else f"{count} problem(s), one per line on stderr")
    return "\n".join(lines)
