"""The hooks in .pre-commit-hooks.yaml, run by the real pre-commit framework in temp repos.

pre-commit builds a fresh virtualenv for a ``language: python`` hook repository and pip
installs codeloop into it (about a minute with a warm wheel cache). That cost decides the
layout: ``try-repo`` always builds in a throwaway store, so it runs once, for both
pre-commit-stage hooks together; the commit-msg hook is tested as users install it (a
config naming a clean snapshot of this checkout at one rev, one PRE_COMMIT_HOME), which
builds once more. pip gets the real wheel cache so llama-cpp-python is not compiled again
(tests run with a temporary HOME).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, git, make_repo

pytestmark = pytest.mark.slow

# Read before the session fixture swaps HOME: where pip keeps its cache and its user config.
_REAL_HOME = Path.home()
_PIP_ENV = {"PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR") or str(_REAL_HOME / ".cache" / "pip")}
if (_REAL_HOME / ".config" / "pip" / "pip.conf").is_file():
    _PIP_ENV["PIP_CONFIG_FILE"] = str(_REAL_HOME / ".config" / "pip" / "pip.conf")

GOOD = "def area(w, h):\n    return w * h\n"
BAD = "def area(w, h):\n    return w + h\n"
TEST = "from shop import area\n\n\ndef test_area():\n    assert area(2, 3) == 6\n    assert area(1, 1) == 1\n"


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout as pre-commit would clone it: the files git sees, committed once."""
    from codeloop.workspace.git import visible_files

    dest = tmp_path_factory.mktemp("hookrepo") / "codeloop"
    for rel in visible_files(PROJECT_ROOT):
        if rel.startswith(("tests/", "benchmarks/", "examples/", "plugins/")):
            continue  # not needed to install the package; keeps the copy small
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / rel, dest / rel)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-qm", "snapshot")
    return dest, git(dest, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="session")
def pc_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = dict(os.environ)
    env.update(_PIP_ENV)
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    env.pop("PYTHONPATH", None)  # the hook must run the codeloop pre-commit installed
    return env


def _pre_commit(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def _shop(tmp_path: Path, committed: str) -> Path:
    return make_repo(tmp_path / "shop", {"shop.py": committed, "test_shop.py": TEST})


def test_try_repo_review_blocks_a_staged_bug_and_fix_repairs_it(tmp_path: Path, hook_repo: tuple[Path, str], pc_env: dict[str, str]) -> None:
    """One try-repo run for both pre-commit-stage hooks: try-repo builds a fresh env on every call."""
    repo, rev = hook_repo
    shop = _shop(tmp_path, GOOD)
    (shop / "shop.py").write_text(BAD)
    git(shop, "add", "shop.py")
    proc = _pre_commit(shop, pc_env, "try-repo", str(repo), "--ref", rev)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # try-repo runs a manifest's hooks sorted by id: fix, then review (of the staged state).
    fix, review = re.split(r"^codeloop review\.+", proc.stdout, maxsplit=1, flags=re.M)
    assert review.startswith("Failed")
    assert "shop.py:2  issue (blocking)" in review and "run `codeloop fix`" in review
    assert "files were modified by this hook" in fix  # pre-commit fails a fixer that changed files
    assert (shop / "shop.py").read_text() == GOOD  # the verified repair, for the user to re-stage
    assert git(shop, "show", ":shop.py") == BAD  # the index is the user's business


def test_commit_msg_hook_and_review_hook_in_a_real_commit(tmp_path: Path, hook_repo: tuple[Path, str], pc_env: dict[str, str]) -> None:
    """Installed as git hooks from a user's config (with args, as users tune them), then `git commit`."""
    repo, rev = hook_repo
    shop = _shop(tmp_path, BAD)
    (shop / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {repo}\n  rev: {rev}\n  hooks:\n"
        "  - id: codeloop-review\n    args: [--no-model]\n"
        "  - id: codeloop-commit-msg\n    args: [--no-model]\n"
    )
    git(shop, "add", ".pre-commit-config.yaml")
    git(shop, "commit", "-qm", "add pre-commit config")
    installed = _pre_commit(shop, pc_env, "install", "--hook-type", "pre-commit", "--hook-type", "prepare-commit-msg")
    assert installed.returncode == 0, installed.stderr
    (shop / "shop.py").write_text(GOOD)
    git(shop, "add", "shop.py")
    commit = subprocess.run(["git", "commit", "-q", "--no-edit"], cwd=shop, env=pc_env, capture_output=True, text=True, timeout=600)
    assert commit.returncode == 0, commit.stdout + commit.stderr
    assert git(shop, "log", "-1", "--format=%B").strip() == "chore: update area in shop.py\n\n- shop.py (+1 -1)"
    (shop / "shop.py").write_text(BAD)
    git(shop, "add", "shop.py")
    (shop / "shop.py").write_text(BAD + "# unstaged note\n")
    blocked = subprocess.run(["git", "commit", "-qm", "wip: my own message"], cwd=shop, env=pc_env, capture_output=True, text=True, timeout=600)
    assert blocked.returncode == 1 and "shop.py:2  issue (blocking)" in blocked.stdout + blocked.stderr
    assert git(shop, "log", "-1", "--format=%s").strip() == "chore: update area in shop.py"
    assert (shop / "shop.py").read_text() == BAD + "# unstaged note\n"  # stashed by pre-commit and restored; never touched by us
