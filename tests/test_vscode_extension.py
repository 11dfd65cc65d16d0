"""The VS Code extension's pure half (vscode-extension/src): its node unit tests, and the real
CLI run with exactly the argv the extension builds (src/cli.js), its output read by the
extension's parsers (src/results.js, src/events.js). A change of the CLI's flags, JSON or
events breaks here. The extension in a real VS Code: vscode-extension/test/e2e/run.sh."""

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
CHEAP = {"noModel": True}


def node() -> str:
    found = shutil.which("node")
    assert found, "Node.js (>= 18) is needed for the VS Code extension's tests: apt-get install nodejs"
    return found


def _node_json(script: str, payload: dict[str, Any]) -> Any:
    done = subprocess.run([node(), str(EXTENSION / "test" / script)], input=json.dumps(payload), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def argv(invocation: str, settings: dict[str, Any], *params: Any) -> list[str]:
    """The args the extension passes to codeloop for this command (src/cli.js)."""
    args: list[str] = _node_json("argv.js", {"invocation": invocation, "settings": settings, "params": list(params)})
    return args


def parse(command: str, proc: subprocess.CompletedProcess[str], top: Path | None = None) -> Any:
    """What vscode-extension/src/results.js makes of one real CLI run."""
    outcome = {"code": proc.returncode, "signal": None, "stdout": proc.stdout, "stderr": proc.stderr}
    return _node_json("parse-outcome.js", {"command": command, "outcome": outcome, "top": str(top or "")})


def apply(payload: dict[str, Any], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`codeloop apply --json -` with the previewed result on stdin, as the Apply button runs it."""
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    args = argv("apply", {})
    return subprocess.run([sys.executable, "-m", "codeloop", *args], input=json.dumps(payload), cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_node_unit_tests_pass() -> None:
    proc = subprocess.run([node(), "--test", "vscode-extension/test/unit"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout


def test_real_fix_preview_writes_nothing_then_apply_writes_it_and_undo_restores(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", BUGGY)
    before = snapshot(repo)
    proc = run_cli(*argv("fix", CHEAP, str(repo)))
    result = parse("fix", proc)
    assert result["kind"] == "preview", (proc.stdout, proc.stderr[-2000:])
    assert result["message"].startswith("codeloop found a verified fix for calc.py: line 2: '-' -> '+' (cheap tier,")
    (change,) = result["patch"]["files"]
    assert change["file"] == str((repo / "calc.py").resolve()) and "    return a + b\n" in change["after"]
    assert snapshot(repo) == before  # a preview writes nothing
    events = [json.loads(line) for line in proc.stderr.splitlines()]  # --events jsonl: nothing else on stderr
    assert [e["event"] for e in events][-1] == "result" and "TierProgress" in {e["event"] for e in events}

    applied = parse("apply", apply(result["patch"]["payload"], repo))
    assert applied == {"ok": True, "files": ["calc.py"], "root": str(repo.resolve())}
    assert (repo / "calc.py").read_text() == change["after"]
    undone = parse("undo", run_cli(*argv("undo", {}, str(repo))))
    assert undone == {"ok": True, "message": "codeloop undo: restored calc.py."}
    assert (repo / "calc.py").read_text() == BUGGY["calc.py"]


def test_real_apply_is_refused_when_the_file_changed_since_the_preview(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", BUGGY)
    result = parse("fix", run_cli(*argv("fix", CHEAP, str(repo))))
    assert result["kind"] == "preview"
    edited = BUGGY["calc.py"].replace("def mul", "# edited meanwhile\ndef mul")
    (repo / "calc.py").write_text(edited)
    refused = parse("apply", apply(result["patch"]["payload"], repo))
    assert not refused["ok"] and "calc.py" in refused["message"], refused
    assert (repo / "calc.py").read_text() == edited


def test_real_unfixed_reads_as_no_verified_fix_and_nothing_changed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {**BUGGY, "calc.py": BUGGY["calc.py"].replace("a - b", "42 * a")})
    before = snapshot(repo)
    proc = run_cli(*argv("fix", {**CHEAP, "timeBudget": 30}, str(repo)))
    result = parse("fix", proc)
    assert result["kind"] == "unfixed", (proc.stdout, proc.stderr[-2000:])
    assert result["message"].startswith("codeloop found no verified fix") and result["message"].endswith("Nothing was changed.")
    assert snapshot(repo) == before


def test_real_fix_usage_error_reads_as_its_json_message(tmp_path: Path) -> None:
    args = argv("fix", {}, str(make_repo(tmp_path / "r", BUGGY)))
    proc = run_cli(*args[:-1], "--time-budget", "-1", args[-1])
    assert parse("fix", proc) == {"kind": "usage", "message": "--time-budget must be a positive number of seconds"}


def test_real_staged_review_findings_become_blocking_diagnostics_on_the_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {**BUGGY, "calc.py": BUGGY["calc.py"].replace("a - b", "a + b")})
    (repo / "calc.py").write_text(BUGGY["calc.py"].replace("a - b", "a + b + undefined_name"))
    git(repo, "add", "calc.py")
    proc = run_cli(*argv("review", CHEAP, {"staged": True}), cwd=repo)
    result = parse("review", proc, repo)
    assert result["ok"], proc.stderr[-2000:]
    assert "codeloop/undefined-name" in {d["code"] for d in result["diagnostics"]}
    for d in result["diagnostics"]:
        assert (d["file"], d["startLine"], d["endLine"], d["severity"]) == (str(repo / "calc.py"), 1, 1, "error")


def test_real_file_review_reads_the_saved_file_and_carries_the_quick_fix(tmp_path: Path) -> None:
    util = "def total(xs):\n    result = 0\n    for x in xs:\n        result += x\n    return result\n"
    repo = make_repo(tmp_path / "r", {**BUGGY, "calc.py": BUGGY["calc.py"].replace("a - b", "a + b"), "util.py": util})
    (repo / "util.py").write_text(util.replace("return result", "return reslt"))  # saved, not staged
    proc = run_cli(*argv("review", CHEAP, {"files": [str(repo / "util.py")]}), cwd=repo)
    result = parse("review", proc, repo)
    assert result["ok"], proc.stderr[-2000:]
    assert result["files"] == [str(repo / "util.py")]
    (finding,) = [d for d in result["diagnostics"] if d["code"] == "codeloop/undefined-name"]
    assert (finding["startLine"], finding["severity"], finding["suggestion"]) == (4, "error", "    return result")
    (repo / "util.py").write_text(util)  # the quick fix, saved: reviewed again, nothing left
    again = parse("review", run_cli(*argv("review", CHEAP, {"files": [str(repo / "util.py")]}), cwd=repo), repo)
    assert again["ok"] and again["diagnostics"] == [] and again["files"] == []


def test_real_extract_method_preview_name_rename_and_refusal(tmp_path: Path) -> None:
    # The suite passes (extract-method runs it by default and refuses on a failing one).
    repo = make_repo(tmp_path / "r", {k: v.replace("a - b", "a + b") for k, v in BUGGY.items()})
    before = snapshot(repo)
    calc = str(repo / "calc.py")
    refused = parse("extract", run_cli(*argv("extract", CHEAP, calc, {"start": 1, "end": 9}), cwd=repo))
    assert refused["kind"] == "error" and "def line of mul" in refused["message"]
    proposed = parse("extract", run_cli(*argv("extract", CHEAP, calc, {"start": 6, "end": 8}), cwd=repo))
    # Unnamed, a new module-level helper is private.
    assert proposed["kind"] == "preview" and (proposed["name"], proposed["nameSource"]) == ("_compute_r", "fallback"), proposed
    renamed = parse("extract", run_cli(*argv("extract", CHEAP, calc, {"start": 6, "end": 8}, "product"), cwd=repo))
    assert renamed["message"] == (
        "codeloop extracts lines 6-8 of mul into product(a, b) (checked: parses yes, tests passed, tests_scope suite). Apply it?"
    ), renamed
    assert snapshot(repo) == before
    assert parse("apply", apply(renamed["patch"]["payload"], repo))["ok"]
    assert "def product(a, b):\n" in (repo / "calc.py").read_text()


def test_real_generate_preview_of_a_stub_with_the_embedded_model(tmp_path: Path) -> None:
    stub = 'def add(a, b):\n    """Sum.\n\n    >>> add(1, 2)\n    3\n    """\n'
    repo = make_repo(tmp_path / "r", {"calc.py": stub, "pyproject.toml": ""})
    proc = run_cli(*argv("generate", {}, str(repo / "calc.py"), "add"), cwd=repo)
    result = parse("generate", proc)
    assert result["kind"] == "preview", (proc.stdout, proc.stderr[-3000:])
    assert result["message"].startswith("codeloop wrote calc.py::add and it passes the visible tests (")
    assert (repo / "calc.py").read_text() == stub
    assert "CandidatesSampled" in {json.loads(line)["event"] for line in proc.stderr.splitlines()}


def test_real_model_list_names_the_default_for_the_status_bar(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", BUGGY)
    status = parse("model", run_cli(*argv("modelList", {}), cwd=repo))
    assert status["ok"] and status["text"] == "codeloop: smollm2-135m", status
    assert "from the built-in default" in status["tooltip"]


def test_real_map_json_renders_focused_file_first(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", BUGGY)
    result = parse("map", run_cli(*argv("map", {}, str(repo), "calc.py"), cwd=repo))
    assert result["ok"]
    lines = result["text"].splitlines()
    assert lines[1].startswith("# focus: calc.py;")
    assert lines[3:6] == ["calc.py:", "      1  def add(a, b):", "      5  def mul(a, b):"]


def test_cancel_interrupts_the_real_fix_which_exits_130_and_changes_nothing(tmp_path: Path) -> None:
    slow_test = "import time\nfrom calc import add\n\n\ndef test_add():\n    time.sleep(3)\n    assert add(2, 3) == 5\n"
    repo = make_repo(tmp_path / "r", {**BUGGY, "test_calc.py": slow_test})
    before = snapshot(repo)
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    args = argv("fix", CHEAP, str(repo))
    cmd = [node(), str(EXTENSION / "test" / "run-and-cancel.js"), str(repo), "StageStarted", sys.executable, "-m", "codeloop", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    outcome = json.loads(done.stdout)
    assert outcome["code"] == 130, outcome["stderr"][-2000:]
    assert outcome["events"][-1]["event"] == "result" and outcome["events"][-1]["status"] == "interrupted"
    assert snapshot(repo) == before
    assert parse("fix", subprocess.CompletedProcess([], outcome["code"], outcome["stdout"], outcome["stderr"]))["kind"] == "cancelled"
