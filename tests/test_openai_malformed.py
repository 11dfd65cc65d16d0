"""Model answers are untrusted input: every malformed answer from an OpenAI-compatible
server (a local fault-injecting server on 127.0.0.1, real HTTP) is a MalformedAnswer,
never another exception; in `codeloop fix` it is a logged, skipped sample and the run
goes on (the scripted server stands in for the model: names say "scripted")."""

import json

import pytest

from codeloop.models.base import CompletionRequest, MalformedAnswer, Message, ModelError
from codeloop.models.openai_compat import OpenAIBackend

from tests.conftest import git, make_repo, run_cli
from tests.fakes import Reply, chat_reply, recording_openai_server

_FULL = {"choices": [{"message": {"content": "x"}, "finish_reason": "stop"}]}
FAULTS: dict[str, Reply] = {
    "non-utf8 body": (200, "application/json", b'{"choices": [{"message": {"content": "\xff\xfe\xfa"}}]}'),
    "lone surrogate": (200, "application/json", b'{"choices": [{"message": {"content": "return a \\ud800 b"}}]}'),
    "http 500": (500, "application/json", b'{"error": "boom"}'),
    "http 429": (429, "application/json", b'{"error": {"message": "slow down"}}'),
    "html body": (200, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
    "empty choices": (200, "application/json", b'{"choices": []}'),
    "truncated json": (200, "application/json", json.dumps(_FULL).encode()[:25]),
    "json list": (200, "application/json", b"[1, 2, 3]"),
    "no message": (200, "application/json", b'{"choices": [{"text": "legacy"}]}'),
    "content not text": (200, "application/json", b'{"choices": [{"message": {"content": {"code": 1}}}]}'),
    "error object": (200, "application/json", b'{"error": {"message": "model not loaded"}}'),
    "http 401": (401, "application/json", b'{"error": "bad key"}'),
    "empty body": (200, "application/json", b""),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_malformed_answer_is_a_malformed_answer_error(fault):
    with recording_openai_server(lambda body: FAULTS[fault]) as (url, bodies):
        backend = OpenAIBackend(base_url=url, retries=1, timeout=10)
        with pytest.raises(MalformedAnswer) as caught:
            backend.complete(CompletionRequest((Message("user", "fix it"),)))
    assert isinstance(caught.value, ModelError)  # commands that can do without the model go on
    message = str(caught.value)
    assert "\n" not in message and len(message) < 300
    retried = fault in ("http 500", "http 429")
    assert len(bodies) == (2 if retried else 1)
    if fault == "http 429":
        assert "rate-limiting" in message


def test_odd_usage_counts_do_not_break_a_good_answer():
    data = {"choices": [{"message": {"content": "ok"}, "finish_reason": None}], "usage": {"prompt_tokens": "many", "completion_tokens": 1e300}}
    with recording_openai_server(lambda body: (200, "application/json", json.dumps(data).encode())) as (url, _):
        completion = OpenAIBackend(base_url=url).complete(CompletionRequest((Message("user", "hi"),)))
    assert completion.texts == ["ok"] and completion.completion_tokens == 0 and completion.finish_reasons == [""]


BUGGY = {
    "calc.py": "def add(a, b):\n    return a - b\n",
    "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
}


def _events(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_scripted_fix_skips_each_malformed_answer_and_the_model_fix_still_applies(tmp_path):
    # Faults and usable (if empty) answers alternate, so the run keeps the model; then
    # whole-function draws get the right answer: every fault is a Note, none a traceback.
    faults = [FAULTS[f] for f in ("non-utf8 body", "lone surrogate", "html body", "empty choices", "truncated json", "http 500", "http 429")]
    tries = 4  # the backend's default: 3 retries of a 429 or 500 (the fault holds on each)
    queue = [reply for fault in faults for reply in [fault] * (tries if fault[0] >= 429 else 1) + [chat_reply("")]]

    def reply(body: dict) -> Reply:
        if queue:
            return queue.pop(0)
        if str(body.get("grammar", "")).startswith("root ::= first"):  # a whole-function draw
            return chat_reply("```python\ndef add(a, b):\n    return a + b\n```")
        return chat_reply("")

    repo = make_repo(tmp_path / "r", BUGGY)
    with recording_openai_server(reply) as (url, _):
        proc = run_cli("fix", str(repo), "--backend", "openai", "--base-url", url, "--tiers", "model", "--samples", "16",
                       "--max-rounds", "1", "--no-compare", "--json", "--events", "jsonl", "--time-budget", "300", timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["status"] == "fixed" and payload["applied"] is True and payload["model_error"] is None
    assert payload["wasted_by"]["malformed answer"] == 7
    skipped = [e["message"] for e in _events(proc.stderr) if e["event"] == "Note" and "answer skipped" in e["message"]]
    assert len(skipped) == 7, skipped
    assert any("not UTF-8" in s for s in skipped) and any("surrogate" in s for s in skipped) and any("HTTP 429" in s for s in skipped)
    assert (repo / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"


def test_scripted_a_broken_server_ends_the_model_tier_and_the_cheap_fix_applies(tmp_path):
    repo = make_repo(tmp_path / "r", BUGGY)
    with recording_openai_server(lambda body: FAULTS["html body"]) as (url, bodies):
        proc = run_cli("fix", str(repo), "--backend", "openai", "--base-url", url, "--tiers", "model,cheap", "--no-compare",
                       "--json", "--time-budget", "300", timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["status"] == "fixed" and payload["stage"] == "cheap" and payload["applied"] is True
    assert "3 unusable answers in a row" in payload["model_error"] and "not JSON" in payload["model_error"]
    assert len(bodies) == 3  # the model tier gave up; the cheap tier did not wait on it
    assert git(repo, "status", "--porcelain").strip() == "M calc.py"


STUB = 'def add(a, b):\n    """Return the sum.\n\n    >>> add(1, 2)\n    3\n    """\n    ...\n'


def test_scripted_generate_skips_a_malformed_answer_and_fails_cleanly_on_a_broken_server(tmp_path):
    answers = [FAULTS["truncated json"], chat_reply("```python\ndef add(a, b):\n    return a + b\n```")]
    repo = make_repo(tmp_path / "g", {"mathx.py": STUB})
    with recording_openai_server(lambda body: answers.pop(0) if len(answers) > 1 else answers[0]) as (url, _):
        proc = run_cli("generate", f"{repo}/mathx.py::add", "--backend", "openai", "--base-url", url, "--json", "--no-plan", cwd=repo)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout)["status"] == "generated" and "return a + b" in (repo / "mathx.py").read_text()

    broken = make_repo(tmp_path / "b", {"mathx.py": STUB})
    with recording_openai_server(lambda body: FAULTS["empty choices"]) as (url, _):
        proc = run_cli("generate", f"{broken}/mathx.py::add", "--backend", "openai", "--base-url", url, "--json", "--no-plan", cwd=broken)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert "unusable answers in a row" in json.loads(proc.stdout)["model_error"]
    assert git(broken, "status", "--porcelain") == ""
