"""The openai backend against a real OpenAI-compatible server: llama-cpp-python's own
``python -m llama_cpp.server`` on 127.0.0.1, serving the embedded GGUF."""

import json
import socket
import subprocess
import sys
import time

import httpx
import pytest

from codeloop.errors import UsageError
from codeloop.models.base import CompletionRequest, Message
from codeloop.models.llamacpp import default_model_path
from codeloop.models.openai_compat import OpenAIBackend

from tests.conftest import make_repo, run_cli

pytestmark = pytest.mark.model


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server_url():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()), "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            raise RuntimeError("llama_cpp.server did not start within 120 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_grammar_constrains_the_server_answer(server_url):
    backend = OpenAIBackend(base_url=server_url, model_name="smollm2", timeout=120)
    request = CompletionRequest(
        messages=(Message("user", "Pick a colour."),),
        n=2,
        max_tokens=8,
        temperature=0.8,
        grammar='root ::= "red" | "green" | "blue"',
    )
    completion = backend.complete(request)
    assert len(completion.texts) == 2 and all(t in ("red", "green", "blue") for t in completion.texts)
    assert completion.prompt_tokens > 0 and completion.completion_tokens > 0


def test_unreachable_server_is_a_clear_usage_error():
    backend = OpenAIBackend(base_url=f"http://127.0.0.1:{free_port()}/v1", retries=1, timeout=2)
    with pytest.raises(UsageError, match="cannot reach the model server"):
        backend.complete(CompletionRequest(messages=(Message("user", "hi"),)))


def test_fix_runs_the_model_tier_through_the_server(server_url, tmp_path):
    repo = make_repo(tmp_path / "r", {
        "calc.py": 'def add(a, b):\n    """Return the sum of a and b."""\n    return a - b\n',
        "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
    })
    proc = run_cli("fix", str(repo), "--backend", "openai", "--base-url", server_url, "--tiers", "model", "--json",
                   "--samples", "2", "--max-rounds", "1", "--time-budget", "240", timeout=600)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    payload = json.loads(proc.stdout)
    assert payload["status"] in ("fixed", "unfixed") and payload["stage"] in ("model", "")
    assert payload["llm_calls"] >= 1 and payload["completion_tokens"] > 0  # real answers came back


def test_fix_with_a_dead_server_exits_2_and_changes_nothing(tmp_path):
    repo = make_repo(tmp_path / "r", {"calc.py": "def f():\n    return 1\n", "test_calc.py": "from calc import f\n\n\ndef test_f():\n    assert f() == 2\n"})
    proc = run_cli("fix", str(repo), "--backend", "openai", "--base-url", f"http://127.0.0.1:{free_port()}/v1", "--tiers", "model", "--time-budget", "60")
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "cannot reach the model server" in proc.stderr.strip().splitlines()[-1]
    assert (repo / "calc.py").read_text() == "def f():\n    return 1\n"
