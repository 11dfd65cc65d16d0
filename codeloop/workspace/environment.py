"""The project's own Python environment, found as other tools find it, and how a copy of
the tree is put first on its import path.

Why this matters: most projects are installed into their own venv (``pip install -e .``,
uv, poetry, hatch). Run there, the tests import the package through the editable install
(the user's real tree) or from site-packages, never from the copy codeloop edits, so every
candidate would be judged against the unedited code. Entries of ``PYTHONPATH`` come before
site-packages, ``.pth`` files and the meta-path finders of editable installs, so naming the
copy's import roots there makes the tests import the candidate, whatever installed it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from codeloop.errors import UsageError
from codeloop.workspace.config import config_string, read_pyproject

_BIN = "Scripts" if os.name == "nt" else "bin"
_EXE = "python.exe" if os.name == "nt" else "python"
_VENV_NAMES = (".venv", "venv")


@dataclass(frozen=True)
class ProjectEnvironment:
    """Where and how the project's tests run."""

    project: Path  # the project folder (absolute)
    python: str  # the interpreter that runs the tests (absolute path)
    python_source: str  # "--python" | "[tool.codeloop] python" | "VIRTUAL_ENV" | ".venv" | "venv" | "PATH" | "codeloop"
    test_command: str
    test_command_source: str  # "--test-cmd" | "[tool.codeloop] test-cmd" | "default"
    import_roots: tuple[str, ...]  # project-relative folders put first on the path ("." = the project)
    base_env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def venv(self) -> Path | None:
        """The virtual environment the interpreter belongs to, if any."""
        home = Path(self.python).parent.parent
        return home if (home / "pyvenv.cfg").is_file() else None

    def run_env(self, copy_root: Path, extra_path: tuple[str, ...] = ()) -> dict[str, str]:
        """Environment entries for a test run in ``copy_root`` (a copy of the project folder).

        The copy's import roots go first on PYTHONPATH; the user's own PYTHONPATH entries
        follow, those that pointed into the real project mapped into the copy. The venv is
        activated (its bin first on PATH) so a bare ``python`` or ``pytest`` in a configured
        command means the project's.
        """
        entries = [str(copy_root / root) if root != "." else str(copy_root) for root in self.import_roots]
        for entry in self.base_env.get("PYTHONPATH", "").split(os.pathsep):
            if entry:
                entries.append(_into_copy(entry, self.project, copy_root))
        entries += extra_path
        env = {"PYTHONPATH": os.pathsep.join(dict.fromkeys(entries))}
        venv = self.venv
        if venv is not None:
            env["VIRTUAL_ENV"] = str(venv)
            env["PATH"] = os.pathsep.join([str(venv / _BIN), self.base_env.get("PATH", os.defpath)])
        return env

    def describe(self) -> dict[str, object]:
        return {
            "python": self.python,
            "python_source": self.python_source,
            "test_command": self.test_command,
            "test_command_source": self.test_command_source,
            "import_roots": list(self.import_roots),
        }


def _into_copy(entry: str, project: Path, copy_root: Path) -> str:
    path = Path(entry)
    if not path.is_absolute():
        return entry  # relative entries resolve against the run's cwd: the copy already
    try:
        return str(copy_root / path.resolve().relative_to(project))
    except ValueError:
        return entry


def resolve_environment(
    project: Path,
    python: str | None = None,
    test_cmd: str | None = None,
    environ: Mapping[str, str] | None = None,
    top: Path | None = None,
    visible: list[str] | None = None,
) -> ProjectEnvironment:
    """The interpreter and test command ``codeloop fix`` uses in ``project``.

    Interpreter, first found: ``python`` (--python), ``[tool.codeloop] python``, an active
    ``VIRTUAL_ENV``, a ``.venv/`` or ``venv/`` in the project folder or above it up to
    ``top`` (the git work tree), ``python3``/``python`` on PATH, else codeloop's own.
    Test command: ``test_cmd`` (--test-cmd), ``[tool.codeloop] test-cmd``, else
    ``<interpreter> -m pytest -q``. UsageError (exit 2) when a named one does not exist.
    """
    env = dict(os.environ if environ is None else environ)
    project = project.resolve()
    interpreter, source = _interpreter(project, python, env, top.resolve() if top else project)
    command, command_source = _test_command(project, test_cmd, interpreter, visible)
    return ProjectEnvironment(project, interpreter, source, command, command_source, import_roots(project, visible), env)


def _interpreter(project: Path, given: str | None, env: Mapping[str, str], top: Path) -> tuple[str, str]:
    if given is not None:
        return _named_python(given, project, "--python"), "--python"
    configured = config_string(project, "python")
    if configured is not None:
        return _named_python(configured, project, "[tool.codeloop] python"), "[tool.codeloop] python"
    active = env.get("VIRTUAL_ENV")
    if active:
        exe = Path(active) / _BIN / _EXE
        if not exe.is_file():
            raise UsageError(f"VIRTUAL_ENV is {active}, which has no {_BIN}/{_EXE}: deactivate it or pass --python")
        return str(exe), "VIRTUAL_ENV"
    for folder in [project, *project.parents]:
        for name in _VENV_NAMES:
            if (folder / name / "pyvenv.cfg").is_file():
                exe = folder / name / _BIN / _EXE
                if not exe.is_file():
                    raise UsageError(f"{folder / name} is a virtual environment without {_BIN}/{_EXE}: recreate it or pass --python")
                return str(exe), name
        if folder == top:
            break
    for name in ("python3", "python"):
        found = shutil.which(name, path=env.get("PATH"))
        if found:
            return found, "PATH"
    return sys.executable, "codeloop"


def _named_python(value: str, project: Path, what: str) -> str:
    """An interpreter named by the user: a path (relative to the project) or a command."""
    candidate = Path(value).expanduser()
    if not candidate.is_absolute() and (os.sep in value or "/" in value):
        candidate = project / candidate
    if candidate.is_absolute():
        if candidate.is_dir() and (candidate / "pyvenv.cfg").is_file():  # a venv folder
            candidate = candidate / _BIN / _EXE
        if not candidate.is_file() or not os.access(candidate, os.X_OK):
            raise UsageError(f"{what} {value}: no Python interpreter there; pass a path to python or a venv folder")
        return str(candidate)
    found = shutil.which(value)
    if found is None:
        raise UsageError(f"{what} {value}: not found on PATH; pass a path to the interpreter")
    return found


def _test_command(project: Path, given: str | None, python: str, visible: list[str] | None) -> tuple[str, str]:
    if given is not None:
        if not given.strip():
            raise UsageError("--test-cmd is empty: pass the command that runs your tests, e.g. --test-cmd 'python -m pytest -q'")
        return anchor_command(given, project, visible), "--test-cmd"
    configured = config_string(project, "test-cmd")
    if configured is not None:
        return anchor_command(configured, project, visible), "[tool.codeloop] test-cmd"
    return f"{shlex.quote(python)} -m pytest -q", "default"


def anchor_command(command: str, project: Path, visible: list[str] | None = None) -> str:
    """Make a relative program path in ``command`` absolute against the real project.

    ``.venv/bin/python -m pytest`` must run the project's venv, which git ignores and no
    copy holds; a script the copy does hold (``./run-tests.sh``) stays relative, so the
    copy's own runs.
    """
    try:
        words = shlex.split(command)
    except ValueError:
        return command
    index = 0
    while index < len(words) and "=" in words[index] and not words[index].startswith(("/", ".")):
        index += 1  # leading VAR=value assignments
    if index >= len(words):
        return command
    program = words[index]
    if "/" not in program or Path(program).is_absolute():
        return command
    rel = Path(program).as_posix().removeprefix("./")
    if visible is not None and rel in visible:
        return command
    target = project / program
    if not target.exists():
        return command
    words[index] = str(target.absolute())  # never resolved: a venv's python is a link out of the venv
    return shlex.join(words)


def import_roots(project: Path, visible: list[str] | None = None) -> tuple[str, ...]:
    """Project-relative folders the project's packages are imported from, plus the project.

    Read from the packaging config (setuptools package-dir / packages.find, setup.cfg,
    poetry ``packages``, hatch wheel ``packages``), else ``src/`` when it holds Python code.
    """
    roots: list[str] = []
    data = read_pyproject(project)
    tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    setuptools = tool.get("setuptools", {}) if isinstance(tool.get("setuptools"), dict) else {}
    package_dir = setuptools.get("package-dir")
    if isinstance(package_dir, dict) and isinstance(package_dir.get(""), str):
        roots.append(package_dir[""])
    find = setuptools.get("packages", {})
    if isinstance(find, dict) and isinstance(find.get("find"), dict):
        where = find["find"].get("where")
        roots += [w for w in (where if isinstance(where, list) else [where]) if isinstance(w, str)]
    poetry = tool.get("poetry", {}) if isinstance(tool.get("poetry"), dict) else {}
    for entry in poetry.get("packages", []) if isinstance(poetry.get("packages"), list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("from"), str):
            roots.append(entry["from"])
    hatch_wheel = tool.get("hatch", {}).get("build", {}).get("targets", {}).get("wheel", {}) if isinstance(tool.get("hatch"), dict) else {}
    for package in hatch_wheel.get("packages", []) if isinstance(hatch_wheel, dict) else []:
        if isinstance(package, str) and "/" in package.strip("/"):
            roots.append(package.strip("/").rsplit("/", 1)[0])
    roots += _setup_cfg_roots(project)
    if not roots and _has_python_under(project, "src", visible):
        roots.append("src")
    cleaned = [Path(r).as_posix().strip("/") or "." for r in roots]
    return tuple(dict.fromkeys([r for r in cleaned if r != "." and (project / r).is_dir()] + ["."]))


def _setup_cfg_roots(project: Path) -> list[str]:
    import configparser

    path = project / "setup.cfg"
    if not path.is_file():
        return []
    parser = configparser.ConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return []
    roots = []
    package_dir = parser.get("options", "package_dir", fallback="")
    for line in package_dir.replace(";", "\n").splitlines():
        key, _, value = line.partition("=")
        if value.strip() and not key.strip():
            roots.append(value.strip())
    where = parser.get("options.packages.find", "where", fallback="").strip()
    if where:
        roots.append(where)
    return roots


def _has_python_under(project: Path, folder: str, visible: list[str] | None) -> bool:
    if visible is not None:
        return any(f.startswith(folder + "/") and f.endswith(".py") for f in visible)
    return (project / folder).is_dir() and any((project / folder).rglob("*.py"))


_NEVER_COPIED = (".pyc", ".pyo", ".orig", ".rej", ".swp")
_MAX_EXTRA_BYTES = 64 * 1024 * 1024


def generated_package_files(project: Path, ignored: list[str], visible: list[str], roots: tuple[str, ...]) -> list[str]:
    """Git-ignored files the package needs in order to import: those inside a package
    folder (one whose ``__init__.py`` git lists) or directly in a non-root import root.

    setuptools-scm writes ``pkg/_version.py`` and ignores it; an editable build leaves
    its extension modules beside the sources. A copy without them cannot import.
    """
    packages = {rel.rsplit("/", 1)[0] if "/" in rel else "" for rel in visible if rel.endswith("__init__.py")}
    packages.discard("")
    root_dirs = {r for r in roots if r != "."}
    found = []
    for rel in ignored:
        parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
        parts = rel.split("/")
        if "__pycache__" in parts or rel.endswith(_NEVER_COPIED) or any(p.endswith(".egg-info") for p in parts):
            continue
        if parent not in packages and parent not in root_dirs:
            continue
        try:
            if (project / rel).is_symlink() or (project / rel).stat().st_size > _MAX_EXTRA_BYTES:
                continue
        except OSError:
            continue
        found.append(rel)
    return found
