"""Set up the field benchmark's projects as a developer would, and seed, sync and reset them.

A project tree is the unpacked sdist in a git repo (one commit, a usual Python .gitignore),
with its own ``.venv`` in the project folder holding the project (editable or regular
install) and its pinned test dependencies. Nothing here is committed: everything lives
under the ``--work`` folder (default ~/.cache/codeloop-field).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from field_projects import Project, Seed

GIT_ENV = {"GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "dev", "GIT_COMMITTER_EMAIL": "dev@example.com"}
# What GitHub's Python .gitignore template (and uv/poetry/hatch users) keep out of git.
GITIGNORE = "__pycache__/\n*.py[cod]\n*.so\nbuild/\ndist/\n*.egg-info/\n.eggs/\n.venv/\nvenv/\n.pytest_cache/\n.coverage\n.tox/\n"
SUITE = ("-m", "pytest", "-q", "-p", "no:cacheprovider")


class SetupError(RuntimeError):
    """The project could not be set up (download, hash, install, or a clean suite that fails)."""


def sh(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, text=True, capture_output=True, timeout=timeout)


def checked(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    proc = sh(cmd, cwd, env)
    if proc.returncode != 0:
        raise SetupError(f"{' '.join(cmd)} failed ({proc.returncode}): {(proc.stderr or proc.stdout).strip()[-800:]}")
    return proc.stdout


def fetch_sdist(project: Project, work: Path) -> Path:
    """The pinned sdist, downloaded once with pip and checked against the pinned sha256."""
    folder = work / "sdists"
    folder.mkdir(parents=True, exist_ok=True)
    found = [p for p in folder.glob("*.tar.gz") if p.name.lower().replace("_", "-") == f"{project.key}.tar.gz".lower()]
    if not found:
        with tempfile.TemporaryDirectory() as tmp:
            checked([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", "-d", tmp, f"{project.name}=={project.version}"])
            archive = next(Path(tmp).glob("*.tar.gz"))
            found = [Path(shutil.move(str(archive), folder / archive.name))]
    archive = found[0]
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != project.sha256:
        raise SetupError(f"{archive.name}: sha256 {digest} is not the pinned {project.sha256}")
    return archive


def tree_dir(work: Path, project: Project, install: str) -> Path:
    return work / install / project.key


def venv_python(tree: Path) -> Path:
    return tree / ".venv" / "bin" / "python"


def user_env(tree: Path) -> dict[str, str]:
    """The environment of a developer who ran `source .venv/bin/activate` in the project."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "CONDA_PREFIX")}
    venv = tree / ".venv"
    # Drop other venvs' bin folders (ours, where codeloop lives) so `python` is the project's.
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not (Path(p).parent / "pyvenv.cfg").exists()]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *path])
    env["VIRTUAL_ENV"] = str(venv)
    return env


def run_suite(tree: Path, timeout: float = 600) -> tuple[bool, float, str]:
    """The project's full suite in its real tree, as the developer runs it: (passed, seconds, tail)."""
    start = time.monotonic()
    try:
        proc = sh([str(venv_python(tree)), *SUITE], cwd=tree, env=user_env(tree), timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, time.monotonic() - start, "timed out"
    tail = (proc.stdout.strip().splitlines() or [""])[-1]
    return proc.returncode == 0, time.monotonic() - start, tail


def set_up(project: Project, install: str, work: Path, log: list[str]) -> Path:
    """Unpack, git init + commit, .venv, install (editable | regular) + test deps, clean suite passes."""
    tree = tree_dir(work, project, install)
    stamp = tree / ".venv" / "field-setup-done"
    if stamp.exists():
        return tree
    archive = fetch_sdist(project, work)
    if tree.exists():
        shutil.rmtree(tree)
    tree.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tree.parent) as tmp:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        (top,) = Path(tmp).iterdir()
        top.rename(tree)
    gitignore = tree / ".gitignore"
    gitignore.write_text((gitignore.read_text() if gitignore.exists() else "") + GITIGNORE)
    env = {**os.environ, **GIT_ENV}
    checked(["git", "init", "-q", "-b", "main"], tree, env)
    checked(["git", "add", "-A"], tree, env)
    checked(["git", "commit", "-q", "-m", f"{project.key} from its sdist"], tree, env)
    checked([sys.executable, "-m", "venv", ".venv"], tree)
    pip = [str(venv_python(tree)), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    target = ["-e", "."] if install == "editable" else ["."]
    checked([*pip, *target, *project.test_deps], tree, user_env(tree))
    freeze = checked([str(venv_python(tree)), "-m", "pip", "freeze", "--all"], tree, user_env(tree))
    (tree / ".venv" / "field-freeze.txt").write_text(freeze)
    log.append(f"{project.key} ({install}): {' '.join(freeze.split())}")
    reset(tree, project, install)
    ok, seconds, tail = run_suite(tree)
    if not ok:
        raise SetupError(f"{project.key} ({install}): the clean suite fails: {tail}")
    stamp.write_text(f"{seconds:.2f}\n{tail}\n")
    return tree


def clean_suite_seconds(tree: Path) -> tuple[float, str]:
    seconds, tail = (tree / ".venv" / "field-setup-done").read_text().split("\n", 1)
    return float(seconds), tail.strip()


def seeded_text(tree: Path, seed: Seed) -> str:
    """The file's text with the seed applied; refuses a seed whose line does not match."""
    text = (tree / seed.path).read_text()
    lines = text.splitlines(keepends=True)
    line = lines[seed.line - 1]
    if line.count(seed.before) != 1 or (seed.after is None and line.strip() != seed.before):
        raise SetupError(f"{seed.id}: line {seed.line} of {seed.path} is {line.strip()!r}, not {seed.before!r}")
    lines[seed.line - 1] = "" if seed.after is None else line.replace(seed.before, seed.after)
    return "".join(lines)


def installed_copy(tree: Path, project: Project, path: str) -> Path | None:
    """Where a regular install keeps the module file ``path`` of the tree (None: not a package file)."""
    rel = path.removeprefix("src/") if project.layout == "src" else path
    if not rel.startswith(project.package + "/"):
        return None
    (site,) = (tree / ".venv" / "lib").glob("python*/site-packages")
    return site / rel


def sync_installed(tree: Path, project: Project, install: str, paths: list[str]) -> None:
    """Make a regular install hold the tree's text of ``paths``, as `pip install .` would.

    Copying the changed module files is what a reinstall does for a pure-Python change, in a
    fraction of a second; the stale bytecode is removed, since a one-token slip keeps the
    file's size and may keep its mtime second, which is all a .pyc is checked against.
    """
    if install != "regular":
        return
    for path in paths:
        target = installed_copy(tree, project, path)
        if target is None or not (tree / path).exists():
            continue
        shutil.copyfile(tree / path, target)
        for pyc in (target.parent / "__pycache__").glob(f"{target.stem}.*.pyc"):
            pyc.unlink()


def changed_paths(tree: Path) -> list[str]:
    out = checked(["git", "diff", "--name-only", "HEAD"], tree)
    return [p for p in out.splitlines() if p]


def apply_seed(tree: Path, project: Project, install: str, seed: Seed) -> None:
    (tree / seed.path).write_text(seeded_text(tree, seed))
    sync_installed(tree, project, install, [seed.path])


def reset(tree: Path, project: Project, install: str) -> None:
    """Back to the commit: tracked files restored, untracked (not ignored) files and .codeloop/ removed; .venv kept."""
    dirty = changed_paths(tree)
    checked(["git", "checkout", "-q", "--", "."], tree)
    checked(["git", "clean", "-fdq"], tree)
    shutil.rmtree(tree / ".codeloop", ignore_errors=True)
    sync_installed(tree, project, install, dirty)
