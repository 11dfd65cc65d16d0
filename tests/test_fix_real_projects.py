"""`codeloop fix` on projects set up as developers set them up: src layouts, their own
`.venv`, editable and regular installs, configured commands, broken set-ups.

Every project here is a real git repo with a real venv (pytest + setuptools from PyPI)
and a real `pip install`; codeloop runs as a subprocess from another environment.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import activated, make_repo, pip_install, project_venv, run_cli, snapshot

PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "calc"
version = "0.1.0"
"""

SRC_LAYOUT = {
    "pyproject.toml": PYPROJECT,
    ".gitignore": ".venv/\n*.egg-info/\nbuild/\n",
    "src/calc/__init__.py": "from calc.ops import add, scale\n",
    "src/calc/ops.py": "def add(a, b):\n    return a - b\n\n\ndef scale(x, k):\n    return x * k\n",
    "tests/test_ops.py": (
        "from calc import add, scale\n\n\n"
        "def test_add():\n    assert add(2, 3) == 5\n\n\n"
        "def test_add_zero():\n    assert add(0, 0) == 0\n\n\n"
        "def test_scale():\n    assert scale(2, 3) == 6\n"
    ),
}

FIXED_OPS = "def add(a, b):\n    return a + b\n\n\ndef scale(x, k):\n    return x * k\n"


def _project(tmp_path: Path, base_venv: Path, files: dict[str, str] = SRC_LAYOUT, install: str | None = "editable") -> tuple[Path, Path]:
    repo = make_repo(tmp_path / "calc", files)
    venv = project_venv(base_venv, repo)
    if install == "editable":
        pip_install(venv, "-e", ".", cwd=repo)
    elif install == "regular":
        pip_install(venv, ".", cwd=repo)
    return repo, venv


def _fix(repo: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], dict]:  # type: ignore[type-arg]
    proc = run_cli("fix", "--no-model", "--json", "--time-budget", "120", *args, cwd=repo, env=env)
    payload = json.loads(proc.stdout) if proc.stdout.strip() else {}
    return proc, payload


def test_src_layout_editable_install_active_venv_is_fixed(tmp_path, base_venv):
    repo, venv = _project(tmp_path, base_venv)
    proc, payload = _fix(repo, env=activated(venv))
    assert proc.returncode == 0, proc.stderr
    assert payload["status"] == "fixed" and payload["applied"]
    assert payload["python"] == str(venv / "bin" / "python") and payload["python_source"] == "VIRTUAL_ENV"
    assert payload["suspects"][0] == "src/calc/ops.py::add"
    assert (repo / "src/calc/ops.py").read_text() == FIXED_OPS
    # The editable install still points at the user's tree, which now passes.
    assert subprocess.run([str(venv / "bin/python"), "-m", "pytest", "-q"], cwd=repo, capture_output=True).returncode == 0


def test_explicit_venv_test_cmd_is_fixed(tmp_path, base_venv):
    repo, venv = _project(tmp_path, base_venv)
    proc, payload = _fix(repo, "--test-cmd", f"{venv}/bin/python -m pytest -q")
    assert proc.returncode == 0, proc.stderr
    assert payload["status"] == "fixed" and (repo / "src/calc/ops.py").read_text() == FIXED_OPS


def test_configured_relative_venv_command_runs_the_real_venv(tmp_path, base_venv):
    files = dict(SRC_LAYOUT)
    files["pyproject.toml"] = PYPROJECT + '\n[tool.codeloop]\ntest-cmd = ".venv/bin/python -m pytest -q"\n'
    repo, venv = _project(tmp_path, base_venv, files)
    proc, payload = _fix(repo)
    assert proc.returncode == 0, proc.stderr
    assert payload["test_command"].startswith(str(repo / ".venv/bin/python"))
    assert payload["status"] == "fixed"


def test_in_project_venv_is_found_without_activation(tmp_path, base_venv):
    repo, venv = _project(tmp_path, base_venv)
    proc, payload = _fix(repo, env={"VIRTUAL_ENV": ""})
    assert proc.returncode == 0, proc.stderr
    assert payload["python_source"] == ".venv" and payload["status"] == "fixed"


def test_regular_install_tests_the_copy_not_site_packages(tmp_path, base_venv):
    repo, venv = _project(tmp_path, base_venv, install="regular")
    proc, payload = _fix(repo, env=activated(venv))
    assert proc.returncode == 0, proc.stderr
    assert payload["status"] == "fixed"
    # Tracebacks and coverage point into the copy, so the tree's file is the suspect.
    assert payload["suspects"][0] == "src/calc/ops.py::add"


def test_git_ignored_generated_version_file_is_carried_into_copies(tmp_path, base_venv):
    files = dict(SRC_LAYOUT)
    files[".gitignore"] += "src/calc/_version.py\n"
    files["src/calc/__init__.py"] = "from calc._version import version\nfrom calc.ops import add, scale\n"
    repo, venv = _project(tmp_path, base_venv, files, install=None)
    (repo / "src/calc/_version.py").write_text("version = '0.1.0'\n")  # what setuptools-scm writes
    pip_install(venv, "-e", ".", cwd=repo)
    before = (repo / "src/calc/_version.py").read_bytes()
    proc, payload = _fix(repo, env=activated(venv))
    assert proc.returncode == 0, proc.stderr
    assert payload["status"] == "fixed"
    assert (repo / "src/calc/_version.py").read_bytes() == before


def test_flat_layout_editable_install_is_fixed(tmp_path, base_venv):
    files = {
        "pyproject.toml": PYPROJECT + '\n[tool.setuptools]\npackages = ["calc"]\n',
        ".gitignore": ".venv/\n*.egg-info/\n",
        "calc/__init__.py": "from calc.ops import add, scale\n",
        "calc/ops.py": SRC_LAYOUT["src/calc/ops.py"],
        "tests/test_ops.py": SRC_LAYOUT["tests/test_ops.py"],
    }
    repo, venv = _project(tmp_path, base_venv, files)
    proc, payload = _fix(repo, "--test-cmd", f"{venv}/bin/pytest -q", env=activated(venv))
    assert proc.returncode == 0, proc.stderr
    assert payload["status"] == "fixed" and (repo / "calc/ops.py").read_text() == FIXED_OPS


# -- set-up errors are exit 2 with one line, before any search, nothing changed ------------


def _setup_error(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    before = snapshot(repo)
    proc, payload = _fix(repo, *args, env=env)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert payload["status"] == "error"
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("codeloop:")]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert snapshot(repo) == before
    return lines[0]


def test_test_command_not_found_is_a_setup_error(tmp_path, base_venv):
    repo, venv = _project(tmp_path, base_venv)
    line = _setup_error(repo, "--test-cmd", "definitely-not-a-command")
    assert "definitely-not-a-command" in line and "not found" in line and "--test-cmd" in line


def test_interpreter_without_pytest_is_a_setup_error(tmp_path):
    repo = make_repo(tmp_path / "calc", SRC_LAYOUT)
    subprocess.run(["python3", "-m", "venv", "--without-pip", str(repo / ".venv")], check=True)
    line = _setup_error(repo, env={"VIRTUAL_ENV": ""})
    assert "pytest is not installed" in line and ".venv/bin/python" in line


def test_missing_python_option_is_exit_2(tmp_path, base_venv):
    repo, venv = _project(tmp_path, base_venv)
    line = _setup_error(repo, "--python", str(tmp_path / "nope" / "python"))
    assert "--python" in line


def test_missing_dependency_is_a_setup_error_not_a_failing_test(tmp_path, base_venv):
    files = dict(SRC_LAYOUT)
    files["tests/test_ops.py"] = "import not_installed_anywhere_xyz\n" + SRC_LAYOUT["tests/test_ops.py"]
    repo, venv = _project(tmp_path, base_venv, files)
    line = _setup_error(repo, env=activated(venv))
    assert "not_installed_anywhere_xyz" in line and "install it" in line


def test_conftest_that_cannot_import_is_a_setup_error(tmp_path, base_venv):
    files = dict(SRC_LAYOUT)
    files["tests/conftest.py"] = "import not_installed_anywhere_xyz\n"
    repo, venv = _project(tmp_path, base_venv, files)
    line = _setup_error(repo, env=activated(venv))
    assert "conftest" in line and "not_installed_anywhere_xyz" in line


def test_no_tests_collected_is_a_setup_error(tmp_path, base_venv):
    files = {k: v for k, v in SRC_LAYOUT.items() if not k.startswith("tests/")}
    files["tests/helpers.py"] = "X = 1\n"
    repo, venv = _project(tmp_path, base_venv, files)
    line = _setup_error(repo, env=activated(venv))
    assert "collected no tests" in line


def test_import_time_bug_in_own_code_is_repaired_not_a_setup_error(tmp_path, base_venv):
    # An exception from the project's own code while tests import it is a bug to fix.
    files = dict(SRC_LAYOUT)
    files["src/calc/ops.py"] = "LIMIT = 10\nif LIMIT > 5:\n    raise RuntimeError('limit too high')\n\n\n" + FIXED_OPS
    repo, venv = _project(tmp_path, base_venv, files)
    # Several one-token edits remove the raise and module-level code cannot be probed:
    # ambiguous, so not applied by default; accepted, the fix lands.
    proc, payload = _fix(repo, "--accept-ambiguous", env=activated(venv))
    assert proc.returncode == 0, proc.stderr
    assert payload["status"] == "fixed"
    assert "if LIMIT > 5" not in (repo / "src/calc/ops.py").read_text()
