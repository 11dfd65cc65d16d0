"""The bad-input matrix (benchmarks/bad_inputs.py, shared with `benchmarks/faults.py
matrix`): every command against awkward repos, paths, files, disks, models, test
commands and model servers. Each case runs the real CLI as a subprocess and must end as
the README says: exit 2 with one `codeloop: ...` line (or the exit the contract gives),
every byte of the user's folders unchanged, no traceback.

The cases that run a whole search (tens of seconds each) are the benchmark's; the rest
run here, three at a time (one module-scoped run, one test per case)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_ROOT, make_repo, run_cli, snapshot


def _load() -> Any:
    spec = importlib.util.spec_from_file_location("bad_inputs", PROJECT_ROOT / "benchmarks" / "bad_inputs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bad_inputs"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bad = _load()
FAST = [case for case in bad.CASES if not case.slow]


def test_the_matrix_covers_every_command_with_enough_cases() -> None:
    commands = {case.command for case in bad.CASES}
    assert commands >= {"fix", "generate", "review", "refactor", "map", "commit-msg", "undo", "apply", "doctor"}
    assert len(FAST) >= 40


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("matrix")
    with ThreadPoolExecutor(max_workers=3) as pool:
        done = pool.map(lambda case: bad.run_case(case, base / case.name), FAST)
        return {o.case: o for o in done}


@pytest.mark.parametrize("name", [case.name for case in FAST])
def test_bad_input(name: str, outcomes: dict[str, Any]) -> None:
    outcome = outcomes[name]
    if outcome.skipped:
        pytest.skip(outcome.skipped)
    assert outcome.problems() == [], outcome.stderr[-2000:]


def test_an_internal_error_is_one_line_and_its_traceback_needs_debug(tmp_path: Path) -> None:
    # A bug of ours, planted: `undo` raises an exception no layer expects.
    repo = make_repo(tmp_path / "repo", {"a.py": "x = 1\n"})
    planted = ("import sys, codeloop.workspace.checkpoint as c\n"
               "def boom(root): raise AttributeError('planted bug')\n"
               "c.undo = boom\n"
               "from codeloop.cli.app import main\n"
               "sys.argv = ['codeloop', *sys.argv[1:]]; main()\n")
    before = snapshot(repo)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    plain = subprocess.run([sys.executable, "-c", planted, "undo"], cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert plain.returncode == 1
    assert "Traceback" not in plain.stderr and "planted bug" in plain.stderr
    assert plain.stderr.strip().count("\n") == 0 and "codeloop --debug" in plain.stderr
    debug = subprocess.run([sys.executable, "-c", planted, "--debug", "undo"], cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1].startswith("codeloop: internal error")
    assert snapshot(repo) == before


@pytest.mark.parametrize("damage", ["not json {", '{"files": 5}', '{"files": [{"path": "a.py"}]}',
                                    '{"files": [{"path": "../x.py", "before": "0.before", "after_sha256": "0"}]}',
                                    '{"files": [{"path": "a.py", "before": "9.before", "after_sha256": "0"}]}'])
def test_a_damaged_undo_checkpoint_is_bad_input_and_changes_nothing(tmp_path: Path, damage: str) -> None:
    repo = make_repo(tmp_path / "repo", {"a.py": "x = 1\n"})
    manifest = repo / ".codeloop" / "undo" / "0001" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(damage)
    (manifest.parent / "0.before").write_text("x = 0\n")
    before = snapshot(repo)
    result = run_cli("undo", cwd=repo)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "undo checkpoint .codeloop/undo/0001 is damaged" in result.stderr and "remove .codeloop/undo/0001" in result.stderr
    assert snapshot(repo) == before


def test_a_full_disk_is_bad_input_not_a_bug_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The Driver's mapping, without a tmpfs: an ENOSPC from any layer is one line, exit 2.
    import errno

    import typer

    from codeloop.cli.drive import Driver

    with pytest.raises(typer.Exit) as ended:
        with Driver("fix"):
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x"))
    assert ended.value.exit_code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"codeloop: no space left on device writing {tmp_path / 'x'}: free some space (or point TMPDIR at a disk with room) and rerun; nothing was changed"]
