"""Finding the project's interpreter, test command and import roots as other tools do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from codeloop.errors import UsageError
from codeloop.workspace.environment import anchor_command, generated_package_files, import_roots, resolve_environment


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


def test_interpreter_order_option_config_active_in_project(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    local = _venv(project / ".venv")
    other = _venv(tmp_path / "other")
    env = {"PATH": os.environ["PATH"]}
    found = resolve_environment(project, environ=env)
    assert (found.python, found.python_source) == (str(local / "bin/python"), ".venv")
    active = resolve_environment(project, environ={**env, "VIRTUAL_ENV": str(other)})
    assert (active.python, active.python_source) == (str(other / "bin/python"), "VIRTUAL_ENV")
    (project / "pyproject.toml").write_text(f'[tool.codeloop]\npython = "{other}"\n')
    configured = resolve_environment(project, environ=env)
    assert configured.python == str(other / "bin/python") and configured.python_source == "[tool.codeloop] python"
    given = resolve_environment(project, python=".venv/bin/python", environ=env)
    assert given.python == str(local / "bin/python") and given.python_source == "--python"
    assert given.test_command == f"{local}/bin/python -m pytest -q" and given.test_command_source == "default"


def test_plain_venv_folder_named_venv_and_a_venv_above_the_project(tmp_path):
    top = tmp_path / "mono"
    (top / "pkg").mkdir(parents=True)
    _venv(top / "venv")
    found = resolve_environment(top / "pkg", environ={"PATH": os.environ["PATH"]}, top=top)
    assert found.python_source == "venv" and found.python == str(top / "venv/bin/python")


def test_without_any_venv_the_python_on_path(tmp_path):
    found = resolve_environment(tmp_path, environ={"PATH": os.environ["PATH"]})
    assert found.python_source == "PATH"


@pytest.mark.parametrize(
    "kwargs, environ, words",
    [
        ({"python": "/nonexistent/python"}, {}, "--python"),
        ({}, {"VIRTUAL_ENV": "/nonexistent/venv"}, "VIRTUAL_ENV"),
        ({"test_cmd": "  "}, {}, "--test-cmd is empty"),
    ],
)
def test_what_cannot_work_is_a_usage_error(tmp_path, kwargs, environ, words):
    with pytest.raises(UsageError, match=words):
        resolve_environment(tmp_path, environ={"PATH": os.environ["PATH"], **environ}, **kwargs)


def test_relative_program_in_a_configured_command_runs_from_the_real_project(tmp_path):
    _venv(tmp_path / ".venv")
    assert anchor_command(".venv/bin/python -m pytest -q", tmp_path) == f"{tmp_path}/.venv/bin/python -m pytest -q"
    assert anchor_command("FOO=1 .venv/bin/python -m pytest", tmp_path) == f"FOO=1 {tmp_path}/.venv/bin/python -m pytest"
    # A script the copy holds stays relative: the copy's own runs.
    (tmp_path / "run-tests.sh").write_text("#!/bin/sh\n")
    assert anchor_command("./run-tests.sh -x", tmp_path, ["run-tests.sh"]) == "./run-tests.sh -x"
    assert anchor_command("python -m pytest", tmp_path) == "python -m pytest"


def test_import_roots_from_packaging_config_and_layout(tmp_path):
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "__init__.py").write_text("")
    assert import_roots(tmp_path) == ("src", ".")
    (tmp_path / "lib").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.setuptools.packages.find]\nwhere = ["lib"]\n')
    assert import_roots(tmp_path) == ("lib", ".")
    (tmp_path / "pyproject.toml").write_text('[tool.poetry]\npackages = [{ include = "pkg", from = "src" }]\n')
    assert import_roots(tmp_path) == ("src", ".")
    (tmp_path / "pyproject.toml").write_text('[tool.hatch.build.targets.wheel]\npackages = ["src/pkg"]\n')
    assert import_roots(tmp_path) == ("src", ".")
    (tmp_path / "pyproject.toml").unlink()
    (tmp_path / "setup.cfg").write_text("[options]\npackage_dir =\n    =lib\n")
    assert import_roots(tmp_path) == ("lib", ".")


def test_run_env_puts_the_copy_first_and_activates_the_venv(tmp_path):
    project = tmp_path / "p"
    (project / "src" / "pkg").mkdir(parents=True)
    (project / "src" / "pkg" / "__init__.py").write_text("")
    venv = _venv(project / ".venv")
    env = resolve_environment(project, environ={"PATH": "/usr/bin", "PYTHONPATH": f"{project}/src:/elsewhere"})
    run = env.run_env(tmp_path / "copy")
    assert run["PYTHONPATH"].split(os.pathsep) == [f"{tmp_path}/copy/src", f"{tmp_path}/copy", "/elsewhere"]
    assert run["VIRTUAL_ENV"] == str(venv) and run["PATH"] == f"{venv}/bin:/usr/bin"


def test_generated_files_inside_packages_are_copied_nothing_else(tmp_path):
    for rel in ("src/pkg/_version.py", "src/pkg/_speedups.cpython-311-x86_64-linux-gnu.so", "src/pkg/x.pyc", "notes.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    ignored = ["src/pkg/_version.py", "src/pkg/_speedups.cpython-311-x86_64-linux-gnu.so", "src/pkg/x.pyc", "notes.txt"]
    found = generated_package_files(tmp_path, ignored, ["src/pkg/__init__.py", "src/pkg/core.py"], ("src", "."))
    assert found == ["src/pkg/_version.py", "src/pkg/_speedups.cpython-311-x86_64-linux-gnu.so"]
