"""Refactoring never breaks code by default: with no test command configured, extract-method
runs the project's pytest suite (standard layout) or the tests that exercise the function,
and a new module-level helper is private unless the user names it. Real repos, the CLI as a
subprocess, the project's own interpreter (this venv, which has pytest)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import make_repo, run_cli, snapshot

INIT = '''def main(values):
    cleaned = []
    for v in values:
        cleaned.append(v.strip())
    return ",".join(cleaned)
'''
# A package's own namespace test, as in the library where a public helper broke it.
NAMESPACE = '''import pkg


def test_public_names():
    assert sorted(n for n in vars(pkg) if not n.startswith("_")) == ["main"]


def test_main():
    assert pkg.main([" a", "b "]) == "a,b"
'''


def _package(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "lib", {"pkg/__init__.py": INIT, "tests/test_namespace.py": NAMESPACE, "pyproject.toml": "[project]\nname = 'pkg'\n"})


def test_a_public_helper_that_breaks_the_suite_is_refused_without_any_test_command(tmp_path: Path) -> None:
    repo = _package(tmp_path)
    before = snapshot(repo)
    proc = run_cli("refactor", "extract-method", "pkg/__init__.py", "--lines", "2-4", "--name", "clean_all", "--json", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    assert "fails after the extraction" in json.loads(proc.stdout)["message"]
    assert snapshot(repo) == before


def test_an_unnamed_module_level_helper_is_private_and_the_suite_passes(tmp_path: Path) -> None:
    repo = _package(tmp_path)
    proc = run_cli("refactor", "extract-method", "pkg/__init__.py", "--lines", "2-4", "--no-model", "--json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["name"].startswith("_") and payload["name_source"] == "fallback"
    assert payload["verified"] == {"parses": "yes", "tests": "passed", "tests_scope": "suite"}
    assert f"def {payload['name']}(values):" in (repo / "pkg" / "__init__.py").read_text()


def test_the_index_finds_the_tests_that_exercise_a_function_and_its_callers(tmp_path: Path) -> None:
    from codeloop.workspace.refactor_tests import related_tests

    repo = make_repo(tmp_path / "r", {
        "app/core.py": "def norm(x):\n    return x.strip()\n\n\ndef load(rows):\n    return [norm(r) for r in rows]\n",
        "app/other.py": "def unrelated():\n    return 1\n",
        "tests/test_norm.py": "from app.core import norm\n\n\ndef test_norm():\n    assert norm(' a') == 'a'\n",
        "tests/test_load.py": "from app import core\n\n\ndef test_load():\n    assert core.load([' a']) == ['a']\n",
        "tests/test_other.py": "from app.other import unrelated\n\n\ndef test_unrelated():\n    assert unrelated() == 1\n",
    })
    assert related_tests(repo, "app/core.py", "norm") == ("tests/test_load.py", "tests/test_norm.py")
