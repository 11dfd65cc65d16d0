"""The pool's scheduling (pure: codeloop.models.pool), then the openai backend spreading
samples over a pair of scripted servers (the loop's own logic: a scripted model), one of
which fails or dies."""

import threading
import time

import pytest

from codeloop.errors import UsageError
from codeloop.models.base import CompletionRequest, Message
from codeloop.models.openai_compat import OpenAIBackend
from codeloop.models.pool import ServerPool, split_urls

from tests.fakes import ScriptedServer
from tests.test_openai_deadline import stalled_url  # noqa: F401 (a fixture)

A, B = "http://a/v1", "http://b/v1"


def test_split_urls_takes_commas_or_lists_once_each_in_order():
    assert split_urls(" http://a/v1/ , http://b/v1,,http://a/v1") == [A, B]
    assert split_urls([A, B, A]) == [A, B]


def test_pick_fills_the_least_busy_server_and_respects_the_slots():
    pool = ServerPool([A, B], slots=2)
    picks = [pool.pick(0.0) for _ in range(5)]
    assert [p.url if p else None for p in picks] == [A, B, A, B, None]  # 2 slots each, then full
    assert all(p.check_first for p in picks if p)  # never checked yet: check before use
    pool.finished(B, True, 1.0)
    again = pool.pick(1.0)
    assert again is not None and again.url == B and not again.check_first  # it answered: healthy


def test_failover_skips_the_failed_server_and_repeated_failures_mark_it_down():
    pool = ServerPool([A, B], slots=1, fail_limit=2, down_seconds=30.0)
    first = pool.pick(0.0)
    assert first is not None and first.url == A
    pool.finished(A, False, 0.0)
    other = pool.pick(0.0, exclude=[A])
    assert other is not None and other.url == B
    pool.finished(B, True, 0.0)
    retry = pool.pick(1.0)
    assert retry is not None and retry.url == A and retry.check_first  # after a failure: checked first
    pool.finished(A, False, 1.0)  # the second failure in a row
    assert pool.is_down(A, 2.0) and pool.usable(2.0) == [B] and pool.next_up() == 31.0
    assert [pool.pick(2.0).url for _ in range(1)] == [B]  # type: ignore[union-attr]
    assert pool.pick(2.0) is None  # B's one slot is taken and A is down
    pool.finished(B, True, 3.0)
    back = pool.pick(31.0, exclude=[B])
    assert back is not None and back.url == A and back.check_first  # back after the pause, checked first


def test_an_answer_resets_the_failures_in_a_row():
    pool = ServerPool([A], fail_limit=2)
    for now in (0.0, 1.0, 2.0):
        pool.pick(now)
        pool.finished(A, now == 1.0, now)  # fail, answer, fail: never two in a row
    assert not pool.is_down(A, 3.0)
    assert pool.snapshot(3.0)[0]["answered"] == 1 and pool.snapshot(3.0)[0]["failed"] == 2


def test_the_same_answers_give_the_same_choices():
    def run() -> list[str]:
        pool, chosen = ServerPool([A, B, "http://c/v1"], slots=1, fail_limit=1), []
        for step in range(12):
            pick = pool.pick(float(step))
            if pick is None:
                chosen.append("-")
                continue
            chosen.append(pick.url)
            pool.finished(pick.url, step % 4 != 1, float(step))
        return chosen

    assert run() == run()


def _request(n: int, seconds: float = 30.0) -> CompletionRequest:
    return CompletionRequest((Message("user", "hi"),), n=n, seed=7, deadline=time.monotonic() + seconds)


def test_scripted_pair_samples_in_parallel_and_spreads_the_load():
    servers = [ScriptedServer(lambda prompt: "ok", delay=0.3) for _ in range(2)]
    try:
        backend = OpenAIBackend(base_url=",".join(s.url for s in servers), server_slots=1)
        assert backend.parallelism == 2
        completion = backend.complete(_request(4))
        assert completion.texts == ["ok"] * 4 and completion.completion_tokens == 80
        assert [len(s.log.prompts) for s in servers] == [2, 2]
        assert [s.log.most_at_once for s in servers] == [1, 1]  # the per-server limit held
        (a, b) = (servers[0].log.spans, servers[1].log.spans)
        assert any(s1 < e2 and s2 < e1 for s1, e1 in a for s2, e2 in b)  # both answered at the same time
    finally:
        for s in servers:
            s.stop()


def test_scripted_pair_fails_over_from_a_server_answering_503_and_marks_it_down():
    bad = ScriptedServer(lambda prompt: "bad", status=lambda: 503)
    good = ScriptedServer(lambda prompt: "good")
    try:
        backend = OpenAIBackend(base_url=f"{bad.url},{good.url}", server_slots=1, retries=3)
        texts = [backend.complete(_request(1)).texts[0] for _ in range(4)]
        assert texts == ["good"] * 4
        books = {s["url"]: s for s in backend.servers()}
        assert books[bad.url]["failed"] == 2 and books[bad.url]["down"] is True
        assert books[good.url]["answered"] == 4 and len(good.log.prompts) == 4
    finally:
        bad.stop()
        good.stop()


def test_scripted_pair_finishes_on_the_survivor_after_one_dies():
    served = threading.Event()

    def first_answer(prompt: str) -> str:
        served.set()
        return "a"

    doomed = ScriptedServer(first_answer, delay=0.2)
    survivor = ScriptedServer(lambda prompt: "b", delay=0.2)
    try:
        backend = OpenAIBackend(base_url=f"{doomed.url},{survivor.url}", server_slots=1)
        assert backend.complete(_request(2)).texts == ["a", "b"]
        doomed.stop()
        before = len(survivor.log.prompts)
        completion = backend.complete(_request(4))
        assert completion.texts == ["b"] * 4  # every sample, all from the survivor
        assert len(survivor.log.prompts) - before == 4
    finally:
        doomed.stop()
        survivor.stop()


def test_a_pool_with_every_server_dead_is_the_clear_usage_error():
    dead = [ScriptedServer(lambda prompt: "") for _ in range(2)]
    for s in dead:
        s.stop()
    backend = OpenAIBackend(base_url=",".join(s.url for s in dead), retries=3, timeout=2)
    started = time.monotonic()
    with pytest.raises(UsageError, match="cannot reach the model server"):
        backend.complete(_request(1))
    assert time.monotonic() - started < 5


def test_submit_runs_requests_beside_each_other_on_a_pool():
    servers = [ScriptedServer(lambda prompt: prompt, delay=0.3) for _ in range(2)]
    try:
        backend = OpenAIBackend(base_url=",".join(s.url for s in servers))
        futures = [backend.submit(CompletionRequest((Message("user", f"q{i}"),), deadline=time.monotonic() + 30)) for i in range(2)]
        assert [f.result(timeout=10).texts for f in futures] == [["q0"], ["q1"]]
        assert sorted(p for s in servers for p in s.log.prompts) == ["q0", "q1"]
        assert all(s.log.prompts for s in servers)  # one each
    finally:
        for s in servers:
            s.stop()


@pytest.mark.slow  # a whole fix run: 75 s on the shared 2-core machine at load 15
def test_scripted_fix_over_a_configured_pool_with_one_dead_server(tmp_path):
    """`[tool.codeloop] base-url` as a list, its first server dead from the start: the
    model tier's samples go to the live one and --json says so per server."""
    import json

    from tests.conftest import make_repo, run_cli

    dead = ScriptedServer(lambda prompt: "")
    dead.stop()
    live = ScriptedServer(lambda prompt: "```python\ndef add(a, b):\n    return a + b\n```")
    try:
        repo = make_repo(tmp_path / "r", {
            "calc.py": "def add(a, b):\n    return a - b\n",
            "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
            "pyproject.toml": f'[tool.codeloop]\nbase-url = ["{dead.url}", "{live.url}"]\n',
        })
        proc = run_cli("fix", str(repo), "--backend", "openai", "--tiers", "model", "--json", "--samples", "2",
                       "--max-rounds", "1", "--no-compare", "--time-budget", "120")
    finally:
        live.stop()
    assert proc.returncode == 0, proc.stderr[-2000:]
    payload = json.loads(proc.stdout)
    assert payload["status"] == "fixed" and "return a + b" in (repo / "calc.py").read_text()
    books = {s["url"]: s for s in payload["servers"]}
    assert books[dead.url]["answered"] == 0 and books[dead.url]["failed"] >= 1
    assert books[live.url]["answered"] == len(live.log.prompts) >= 1


def test_a_base_url_setting_that_is_not_urls_is_exit_2(tmp_path):
    from tests.conftest import make_repo, run_cli

    repo = make_repo(tmp_path / "r", {"calc.py": "x = 1\n", "test_calc.py": "def test_x():\n    assert False\n",
                                      "pyproject.toml": "[tool.codeloop]\nbase-url = [1, 2]\n"})
    proc = run_cli("fix", str(repo), "--backend", "openai", "--tiers", "model")
    assert proc.returncode == 2 and "base-url" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_probe_passes_a_pool_with_one_live_server_and_names_the_dead_ones():
    from codeloop.models.factory import probe_server

    dead, live = ScriptedServer(lambda prompt: ""), ScriptedServer(lambda prompt: "")
    dead.stop()
    try:
        assert probe_server(f"{dead.url},{live.url}") == [dead.url]
        with pytest.raises(UsageError, match="cannot reach the model server"):
            probe_server(dead.url)
    finally:
        live.stop()


def test_a_request_cut_by_its_own_deadline_is_no_failure_of_the_server(stalled_url):  # noqa: F811
    from codeloop.models.base import DeadlinePassed

    backend = OpenAIBackend(base_url=stalled_url, timeout=120)
    with pytest.raises(DeadlinePassed):
        backend.complete(_request(1, seconds=1.0))
    assert backend.servers()[0]["failed"] == 0 and backend.servers()[0]["in_flight"] == 0
