"""A pool of two real ``python -m llama_cpp.server`` processes on 127.0.0.1 serving the
embedded GGUF; ``codeloop fix --base-url URL1,URL2`` runs the model tier, one server is
killed as the first round starts (a request is in flight on it), and the run finishes on
the other. The fix itself may or may not be found by a 135M model: the test is about
the run completing and the survivor taking over."""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from codeloop.models.llamacpp import default_model_path

from tests.conftest import make_repo
from tests.test_openai_backend import free_port

pytestmark = [pytest.mark.model, pytest.mark.slow]

_ANSWERED = re.compile(r'"POST /v1/chat/completions HTTP/1\.1" 200')


class LlamaServer:
    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()), "--host", "127.0.0.1",
             "--port", str(self.port), "--n_ctx", "2048", "--n_threads", "1"],
            stdout=log.open("w"), stderr=subprocess.STDOUT,
        )

    def wait_up(self, seconds: float = 180) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-2000:]
            try:
                if httpx.get(f"{self.url}/models", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.5)
        raise RuntimeError(f"llama_cpp.server did not start within {seconds} s")

    def answered(self) -> int:
        """Chat requests it answered, from uvicorn's access log."""
        return len(_ANSWERED.findall(self.log.read_text(errors="replace")))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)


def test_fix_finishes_on_the_survivor_when_one_server_of_the_pool_is_killed(tmp_path):
    doomed, survivor = LlamaServer(tmp_path / "doomed.log"), LlamaServer(tmp_path / "survivor.log")
    try:
        doomed.wait_up()
        survivor.wait_up()
        repo = make_repo(tmp_path / "r", {
            "calc.py": 'def add(a, b):\n    """Return the sum of a and b."""\n    return a - b\n',
            "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
        })
        run = subprocess.Popen(
            [sys.executable, "-m", "codeloop", "fix", str(repo), "--backend", "openai", "--base-url", f"{doomed.url},{survivor.url}",
             "--tiers", "model", "--samples", "3", "--max-rounds", "1", "--no-explain", "--no-compare", "--time-budget", "400",
             "--json", "--events", "jsonl"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert run.stderr is not None
        events = []
        survivor_before = -1
        for line in run.stderr:
            event = json.loads(line) if line.startswith("{") else {"event": "text", "line": line}
            events.append(event)
            if event["event"] == "RoundStarted" and survivor_before < 0:
                time.sleep(1.0)  # the round's first samples are sent: one is in flight on each server
                doomed.stop()
                survivor_before = survivor.answered()
        out, _ = run.communicate(timeout=600)
        assert survivor_before >= 0, events[-5:]
        assert run.returncode in (0, 1), events[-5:]
        payload = json.loads(out)
        assert payload["status"] in ("fixed", "unfixed"), payload
        sampled = [e for e in events if e["event"] == "CandidatesSampled"]
        assert payload["llm_calls"] >= len(sampled) >= 1 and payload["completion_tokens"] > 0
        assert survivor.answered() > survivor_before  # requests reached the survivor after the kill
        books = {s["url"]: s for s in payload["servers"]}
        assert books[doomed.url]["failed"] >= 1  # the request cut by the kill (then it was marked down)
        assert 1 <= books[survivor.url]["answered"] <= survivor.answered()
        assert events[-1]["event"] == "result"
    finally:
        doomed.stop()
        survivor.stop()
