"""The VS Code extension's pure half (vscode-extension/src): its node unit tests, and its
parsers fed with what the real CLI prints, so a change of the JSON contract breaks here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import PROJECT_ROOT, git, make_repo, run_cli, snapshot

EXTENSION = PROJECT_ROOT / "vscode-extension"
BUGGY = {
    "calc.py": "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    x = a\n    y = b\n    r = x * y\n    return r\n",
    "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
}


def node() -> str:
    found = shutil.which("node")
    assert found, "Node.js (>= 18) is needed for the VS Code extension's tests: apt-get install nodejs"
    return found


def parse(command: str, proc: subprocess.CompletedProcess[str], top: Path | None = None) -> Any:
    """What vscode-extension/src/results.js makes of one real CLI run."""
    outcome = {"code": proc.returncode, "signal": None, "stdout": proc.stdout, "stderr": proc.stderr}
    payload = json.dumps({"command": command, "outcome": outcome, "top": str(top or "")})
    done = subprocess.run([node(), str(EXTENSION / "test" / "parse-outcome.js")], input=payload, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_node_unit_tests_pass() -> None:
    proc = subprocess.run([node(), "--test", "vscode-extension/test/unit"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout


def test_real_fix_json_reads_as_an_applied_fix_naming_file_and_edit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", BUGGY)
    proc = run_cli("fix", "--json", "--no-model", str(repo))
    result = parse("fix", proc)
    assert result["kind"] == "fixed", (proc.stdout, proc.stderr[-2000:])
    assert result["files"] == ["calc.py"]
    assert "codeloop fixed calc.py: line 2: '-' -> '+' (cheap tier," in result["message"]
    assert "+    return a + b" in result["diff"]
    assert "return a + b" in (repo / "calc.py").read_text()


def test_real_unfixed_json_reads_as_no_verified_fix_and_nothing_changed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {**BUGGY, "calc.py": BUGGY["calc.py"].replace("a - b", "42 * a")})
    before = snapshot(repo)
    proc = run_cli("fix", "--json", "--no-model", "--time-budget", "5", str(repo))
    result = parse("fix", proc)
    assert result["kind"] == "unfixed", (proc.stdout, proc.stderr[-2000:])
    assert result["message"].startswith("codeloop found no verified fix") and result["message"].endswith("Nothing was changed.")
    assert snapshot(repo) == before


def test_real_fix_usage_error_reads_as_the_one_stderr_line(tmp_path: Path) -> None:
    proc = run_cli("fix", "--json", "--time-budget", "-1", str(make_repo(tmp_path / "r", BUGGY)))
    assert parse("fix", proc) == {"kind": "usage", "message": "--time-budget must be a positive number of seconds"}


def test_real_review_findings_become_blocking_diagnostics_on_the_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {**BUGGY, "calc.py": BUGGY["calc.py"].replace("a - b", "a + b")})
    (repo / "calc.py").write_text(BUGGY["calc.py"].replace("a - b", "a + b + undefined_name"))
    git(repo, "add", "calc.py")
    proc = run_cli("review", "--staged", "--format", "json", "--no-model", cwd=repo)
    result = parse("review", proc, repo)
    assert result["ok"], proc.stderr[-2000:]
    rules = {d["code"] for d in result["diagnostics"]}
    assert "codeloop/undefined-name" in rules
    for d in result["diagnostics"]:
        assert (d["file"], d["startLine"], d["endLine"], d["severity"]) == (str(repo / "calc.py"), 1, 1, "error")


def test_real_extract_method_success_and_refusal(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", BUGGY)
    refused = parse("extract", run_cli("refactor", "extract-method", str(repo / "calc.py"), "--lines", "1-9", "--json", "--no-model", cwd=repo))
    assert not refused["ok"] and "def line of mul" in refused["message"]
    done = parse("extract", run_cli("refactor", "extract-method", str(repo / "calc.py"), "--lines", "6-8", "--json", "--no-model", cwd=repo))
    assert done["ok"] and done["message"].startswith("codeloop extracted lines 6-8 of mul into "), done
    assert "(a, b)" in done["message"]


def test_real_map_json_renders_focused_file_first(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", BUGGY)
    result = parse("map", run_cli("map", "--json", "--focus", "calc.py", str(repo), cwd=repo))
    assert result["ok"]
    lines = result["text"].splitlines()
    assert lines[1].startswith("# focus: calc.py;")
    assert lines[3:6] == ["calc.py:", "      1  def add(a, b):", "      5  def mul(a, b):"]


def test_cancel_interrupts_the_real_fix_which_exits_130_and_changes_nothing(tmp_path: Path) -> None:
    slow_test = "import time\nfrom calc import add\n\n\ndef test_add():\n    time.sleep(3)\n    assert add(2, 3) == 5\n"
    repo = make_repo(tmp_path / "r", {**BUGGY, "test_calc.py": slow_test})
    before = snapshot(repo)
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    cmd = [node(), str(EXTENSION / "test" / "run-and-cancel.js"), str(repo), "[tests]", sys.executable, "-m", "codeloop", "fix", "--json", "--no-model", str(repo)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    outcome = json.loads(done.stdout)
    assert outcome["code"] == 130, outcome["stderr"][-2000:]
    assert "working tree is unchanged" in outcome["stderr"]
    assert snapshot(repo) == before
    assert parse("fix", subprocess.CompletedProcess([], outcome["code"], outcome["stdout"], outcome["stderr"]))["kind"] == "cancelled"
