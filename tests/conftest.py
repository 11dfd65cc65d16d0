"""Shared fixtures: real git repos in tmp_path, the CLI run as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _user_model_cache() -> Path:
    from codeloop.models.store import cache_dir

    return cache_dir()


# Where `codeloop model pull` put models for this user (in CI: .ci/run), read before the
# session fixture below moves HOME: the coder_model tests load the model from there.
USER_MODEL_CACHE = _user_model_cache()


@pytest.fixture
def coder_model_env() -> dict[str, str]:
    """Env for a CLI run that can say `--model qwen2.5-coder-0.5b`; skips when it is not
    pulled, except in CI, where .ci/run pulls it and a skip would hide a broken pull."""
    from codeloop.models.catalog import lookup
    from codeloop.models.store import installed_path

    model = lookup("qwen2.5-coder-0.5b")
    assert model is not None
    if installed_path(model, USER_MODEL_CACHE) is None:
        message = f"qwen2.5-coder-0.5b is not in {USER_MODEL_CACHE}: run `codeloop model pull qwen2.5-coder-0.5b`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {"CODELOOP_CACHE_DIR": str(USER_MODEL_CACHE)}


@pytest.fixture(autouse=True, scope="session")
def _no_writes_to_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Like pre-commit's suite: a test that writes to the real home directory is a bug."""
    home = tmp_path_factory.mktemp("home")
    os.environ["HOME"] = str(home)
    (home / ".gitconfig").write_text("[user]\n\tname = codeloop tests\n\temail = tests@codeloop.invalid\n[init]\n\tdefaultBranch = main\n")


@pytest.fixture(autouse=True)
def _fresh_run_session_after_an_interrupt() -> object:
    """A test that delivers SIGTERM/SIGINT in-process (signals.install) stops this
    process's run session for good, as it should in the CLI; the next test gets a new one."""
    yield
    from codeloop.containment import session

    runs = session.active()
    if runs is not None and runs.stopping:
        runs.close()


def drive_events(loop, handle):  # type: ignore[no-untyped-def]
    """Run a core generator to its end, handing each event to ``handle``; its return value."""
    while True:
        try:
            handle(next(loop))
        except StopIteration as stop:
            return stop.value


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_repo(path: Path, files: dict[str, str], commit: bool = True) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    for rel, text in files.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    if commit:
        git(path, "add", "-A")
        git(path, "commit", "-qm", "initial")
    return path


def snapshot(path: Path) -> dict[str, bytes]:
    """Every byte of every file under ``path`` (untracked and ignored included), .git index too.

    Only codeloop's own cache (``.codeloop/cache/``, which git ignores through
    ``.codeloop/.gitignore``) is left out: it is codeloop's state, not the user's.
    """
    found = {}
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path).as_posix()
        if rel.startswith(".codeloop/"):
            continue
        if p.is_file() and ".git/objects" not in p.as_posix():
            found[p.relative_to(path).as_posix()] = p.read_bytes()
    return found


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "codeloop", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_repair(repo: Path, tiers: list, options, command: str = "python -m pytest -q", workers: int = 1, cache=None):  # type: ignore[no-untyped-def]
    """Drive the repair loop on ``repo`` to the end: (FixResult, every event it yielded)."""
    from codeloop.core.fix.loop import repair
    from codeloop.plugins import language_for_path
    from codeloop.runners.pytest_runner import PytestRunner
    from codeloop.workspace.sandbox import SandboxPool

    events: list = []
    with SandboxPool(repo, size=workers) as pool:
        result = drain(repair(pool, PytestRunner(command), tiers, language_for_path, options, cache), events.append)
    return result, events


def drain(loop, handle=lambda event: None):  # type: ignore[no-untyped-def]
    """Run a core generator to its end (no answers to questions), each event to ``handle``."""
    while True:
        try:
            handle(next(loop))
        except StopIteration as stop:
            return stop.value


@pytest.fixture(scope="session")
def base_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real venv with pytest and setuptools, made once; projects get copies of it."""
    venv = tmp_path_factory.mktemp("venv-base") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", "pytest", "setuptools>=68"],
        check=True,
        capture_output=True,
    )
    return venv


def project_venv(base: Path, project: Path, name: str = ".venv") -> Path:
    """A copy of ``base`` as the project's own venv (its python runs ``-m pip``/``-m pytest``)."""
    import shutil

    target = project / name
    shutil.copytree(base, target, symlinks=True)
    return target


def pip_install(venv: Path, *args: str, cwd: Path | None = None) -> None:
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-build-isolation", "--no-deps", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def activated(venv: Path) -> dict[str, str]:
    """What `source .venv/bin/activate` sets."""
    return {"VIRTUAL_ENV": str(venv), "PATH": str(venv / "bin") + os.pathsep + os.environ.get("PATH", "")}


def mount_namespace_permitted() -> bool:
    """Whether this OS lets the test-run launcher make a mount namespace (root, or
    unprivileged user namespaces); where it does not, test runs may write anywhere."""
    from codeloop.containment import launcher

    child = os.fork()
    if child == 0:
        libc = launcher._libc()
        os._exit(0 if libc is not None and launcher._unshare(libc, launcher.CLONE_NEWNS) in ("ns", "userns+ns") else 1)
    return os.waitpid(child, 0)[1] == 0


NO_MOUNT_NAMESPACE = "this OS permits no mount namespace here (run as root, or allow unprivileged user namespaces); see README: test runs may then write anywhere the user may"
