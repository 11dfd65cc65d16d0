"""`codeloop generate` end to end with the real embedded model (SmolLM2-135M through llama.cpp).

The stubs are ones the model actually solves; LPW's planning steps are switched off
here because they do not pay for this model (see the benchmark in the README).
"""

import json
import subprocess
import sys

import pytest

from tests.conftest import git, make_repo, run_cli, snapshot

pytestmark = pytest.mark.model

STUB = 'def add(a, b):\n    """Return the sum of a and b.\n\n    >>> add(1, 2)\n    3\n    >>> add(5, 7)\n    12\n    """\n    ...\n'


def test_embedded_model_fills_a_stub_that_then_passes_its_doctests_and_undo_restores_it(tmp_path):
    repo = make_repo(tmp_path / "r", {"mathx.py": STUB})
    proc = run_cli("generate", f"{repo}/mathx.py::add", "--json", "--no-plan", "--candidates", "1", cwd=repo, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    payload = json.loads(proc.stdout)
    assert payload["status"] == "generated" and payload["applied"] is True
    assert payload["files"] == ["mathx.py"] and payload["completion_tokens"] > 0
    assert git(repo, "status", "--porcelain").strip() == "M mathx.py"
    doctests = subprocess.run([sys.executable, "-m", "doctest", "mathx.py"], cwd=repo, capture_output=True, text=True)
    assert doctests.returncode == 0, doctests.stdout
    assert run_cli("undo", str(repo)).returncode == 0
    assert git(repo, "status", "--porcelain").strip() == ""


def test_embedded_model_writes_a_described_function_checked_by_a_test_file_dry_run(tmp_path):
    test = "from sums import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n    assert add(-1, 1) == 0\n"
    repo = make_repo(tmp_path / "r", {"test_sums.py": test})
    before = snapshot(repo)
    proc = run_cli(
        "generate", "--spec", "Return the sum of a and b.", "--out", str(repo / "sums.py"), "--signature", "def add(a, b)",
        "--test", str(repo / "test_sums.py"), "--no-plan", "--candidates", "1", "--dry-run", cwd=repo, env={"NO_COLOR": "1"}, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "+++ b/sums.py" in proc.stdout and "+def add(a, b):" in proc.stdout
    assert "not applied (--dry-run)" in proc.stderr
    assert snapshot(repo) == before
