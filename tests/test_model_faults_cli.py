"""Every command survives a model that really crashes (the worker kills itself with
SIGILL through the test-only CODELOOP_FAULT_MODEL_WORKER), and refuses up front a model
that cannot work: one line on stderr, never a signal."""

import json
import socket

import pytest

from tests.conftest import git, make_repo, run_cli, snapshot
from tests.test_quickstart_example import shop_repo

pytestmark = pytest.mark.model

SIGILL = {"CODELOOP_FAULT_MODEL_WORKER": "SIGILL"}
ADD_BUG = {
    "calc.py": 'def add(a, b):\n    """Return the sum of a and b."""\n    return a - b\n',
    "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
}


def _model_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "SIGILL" in line]


def _assert_one_sigill_line(stderr: str) -> None:
    lines = _model_lines(stderr)
    assert len(lines) == 1, stderr[-3000:]
    assert "CMAKE_ARGS=" in lines[0] and "pip install --force-reinstall --no-cache-dir llama-cpp-python" in lines[0]


@pytest.mark.parametrize("fault", ["SIGILL", "SIGILL@load"])
def test_quickstart_fix_applies_the_cheap_fix_when_the_model_crashes(tmp_path, fault):
    repo = shop_repo(tmp_path)
    proc = run_cli("fix", str(repo), "--json", env={"CODELOOP_FAULT_MODEL_WORKER": fault})
    assert proc.returncode == 0, proc.stderr[-3000:]
    payload = json.loads(proc.stdout)
    assert payload["status"] == "fixed" and payload["applied"] is True and payload["stage"] == "cheap"
    assert "SIGILL" in payload["model_error"] and "CMAKE_ARGS=" in payload["model_error"]
    assert git(repo, "status", "--porcelain").strip() == "M shop/pricing.py"
    _assert_one_sigill_line(proc.stderr)


def test_fix_without_the_fault_reports_no_model_error(tmp_path):
    repo = make_repo(tmp_path / "r", ADD_BUG)
    proc = run_cli("fix", str(repo), "--json", "--tiers", "cheap")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout)["model_error"] is None


def test_model_tier_alone_ends_unfixed_with_the_line_when_the_model_crashes(tmp_path):
    repo = make_repo(tmp_path / "r", ADD_BUG)
    before = snapshot(repo)
    proc = run_cli("fix", str(repo), "--tiers", "model", "--json", "--time-budget", "60", env=SIGILL)
    assert proc.returncode == 1, proc.stderr[-3000:]
    payload = json.loads(proc.stdout)
    assert payload["status"] == "unfixed" and "SIGILL" in payload["model_error"]
    _assert_one_sigill_line(proc.stderr)
    assert snapshot(repo) == before


def test_generate_exits_1_with_one_line_when_the_model_crashes(tmp_path):
    repo = make_repo(tmp_path / "g", {"slug.py": 'def slug(text):\n    """Lowercase words joined by dashes.\n\n    >>> slug("Hello World")\n    \'hello-world\'\n    """\n'})
    before = snapshot(repo)
    proc = run_cli("generate", f"{repo}/slug.py::slug", "--json", "--time-budget", "60", cwd=repo, env=SIGILL)
    assert proc.returncode == 1, proc.stderr[-3000:]
    payload = json.loads(proc.stdout)
    assert payload["status"] == "error" and "SIGILL" in payload["model_error"]
    _assert_one_sigill_line(proc.stderr)
    assert snapshot(repo) == before


def test_review_keeps_its_facts_when_the_model_crashes(tmp_path):
    repo = make_repo(tmp_path / "r", {"calc.py": "def add(a, b):\n    return a + b\n"})
    (repo / "calc.py").write_text("def add(a, b):\n    total = a + b\n    return total * 1\n")
    git(repo, "add", "-A")
    proc = run_cli("review", "--format", "json", "--no-tests", cwd=repo, env=SIGILL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    payload = json.loads(proc.stdout)
    assert payload["status"] == "ok" and "SIGILL" in payload["model_error"]
    _assert_one_sigill_line(proc.stderr)


def test_commit_msg_falls_back_to_the_facts_when_the_model_crashes(tmp_path):
    repo = make_repo(tmp_path / "r", {"calc.py": "def add(a, b):\n    return a + b\n"})
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n")
    git(repo, "add", "-A")
    proc = run_cli("commit-msg", "--json", cwd=repo, env=SIGILL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    payload = json.loads(proc.stdout)
    assert payload["from_model"] is False and payload["header"] and "SIGILL" in payload["model_error"]
    _assert_one_sigill_line(proc.stderr)


def test_refactor_names_deterministically_when_the_model_crashes(tmp_path):
    source = "def total(items):\n    s = 0\n    for x in items:\n        s += x\n    return s\n"
    repo = make_repo(tmp_path / "r", {"m.py": source})
    proc = run_cli("refactor", "extract-method", str(repo / "m.py"), "--lines", "2-4", "--json", env=SIGILL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout)["name_source"] == "fallback"
    _assert_one_sigill_line(proc.stderr)


def test_fix_with_a_model_that_cannot_load_is_exit_2_before_any_test_runs(tmp_path):
    repo = make_repo(tmp_path / "r", ADD_BUG)
    bogus = tmp_path / "model.gguf"
    bogus.write_text("definitely not weights\n")
    before = snapshot(repo)
    proc = run_cli("fix", str(repo), "--model", str(bogus))
    assert proc.returncode == 2, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not a GGUF file" in lines[0] and "--no-model" in lines[0]
    assert "[tests]" not in proc.stderr and snapshot(repo) == before
    assert run_cli("fix", str(repo), "--model", str(bogus), "--no-model", "--json").returncode == 0  # --no-model skips the check


def test_generate_with_a_model_that_cannot_load_is_exit_2(tmp_path):
    repo = make_repo(tmp_path / "g", {"slug.py": 'def slug(text):\n    """>>> slug("A b")\n    \'a-b\'\n    """\n'})
    bogus = tmp_path / "model.gguf"
    bogus.write_bytes(b"GGUF" + b"\x00" * 64)
    proc = run_cli("generate", f"{repo}/slug.py::slug", "--model", str(bogus), cwd=repo)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "truncated, corrupt" in proc.stderr.strip().splitlines()[-1]


def test_fix_with_a_server_where_nothing_answers_is_exit_2_even_when_the_cheap_tier_would_fix(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    repo = make_repo(tmp_path / "r", ADD_BUG)
    before = snapshot(repo)
    proc = run_cli("fix", str(repo), "--backend", "openai", "--base-url", f"http://127.0.0.1:{port}/v1")
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "cannot reach the model server" in proc.stderr
    assert snapshot(repo) == before
