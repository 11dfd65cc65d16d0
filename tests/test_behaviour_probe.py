"""SandboxProbe: the original and each patch run side by side in the project's interpreter
(real child processes on a real src-layout project in tmp_path)."""

import sys

import pytest

from codeloop.core.changes import ChangeSet, FileChange
from codeloop.workspace.behaviour_probe import ProbeUnavailable, SandboxProbe, module_name
from codeloop.workspace.environment import resolve_environment
from codeloop.workspace.sandbox import SandboxPool
from tests.conftest import make_repo

SOURCE = "def clamp(x, low, high):\n    if x < low:\n        return low\n    return x\n"


def test_module_name_follows_the_import_roots():
    assert module_name("src/pkg/mod.py", ("src", ".")) == "pkg.mod"
    assert module_name("src/pkg/__init__.py", ("src", ".")) == "pkg"
    assert module_name("tools/run.py", ("src", ".")) == "tools.run"
    with pytest.raises(ProbeUnavailable):
        module_name("scripts/my-tool.py", (".",))


def test_original_and_patches_run_side_by_side_in_the_projects_interpreter(tmp_path):
    repo = make_repo(tmp_path / "r", {
        "pyproject.toml": "[project]\nname = 'pkg'\n",
        "src/pkg/__init__.py": "",
        "src/pkg/mathx.py": SOURCE,
        "tests/test_mathx.py": "from pkg.mathx import clamp\n\ndef test_clamp():\n    assert clamp(5, 0, 3) == 3\n",
    })
    env = resolve_environment(repo, python=sys.executable)
    right = SOURCE.replace("    return x\n", "    return min(x, high)\n")
    looping = SOURCE.replace("    return x\n", "    while True:\n        pass\n")
    patches = [ChangeSet((FileChange("src/pkg/mathx.py", SOURCE, text),)) for text in (right, looping)]
    calls = ["clamp(5, 0, 3)", "clamp(-1, 0, 3)", "clamp(1, 'a', 3)"]
    with SandboxPool(repo, size=2) as pool:
        rows = SandboxProbe(pool, env, pool.scratch, call_timeout=0.5)([None, *patches], "src/pkg/mathx.py", calls)
    assert rows[0] == ["5", "0", "raises TypeError: '<' not supported between instances of 'int' and 'str'"]
    assert rows[1][:2] == ["3", "0"]
    assert rows[2][0] == "raises TimeoutError: the call ran too long" and rows[2][1] == "0"
    assert (repo / "src/pkg/mathx.py").read_text() == SOURCE  # only copies were patched
