"""Run the original code and each plausible patch on the same calls: the BehaviourProbe
that core/fix/behaviour.py compares patches with.

Each variant runs in a sandbox copy with the patch applied, in a child process of the
project's own interpreter with the copy first on PYTHONPATH (``ProjectEnvironment.run_env``),
so the module imports exactly as the tests import it: src layouts, editable installs and
the project's dependencies included. The child is ``runners/call_harness.py`` (stdlib
only), copied alone into a scratch folder so nothing of codeloop's can shadow the
project's modules; each call has its own time limit and the child is killed whole past
its own. PYTHONHASHSEED is fixed so that sets and dicts of strings print alike in every
child.
"""

from __future__ import annotations

import json
import shlex
import shutil
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from codeloop.core.changes import ChangeSet
from codeloop.runners import call_harness
from codeloop.runners.base import run_shell
from codeloop.workspace.environment import ProjectEnvironment
from codeloop.workspace.sandbox import SandboxPool


class ProbeUnavailable(Exception):
    """The file cannot be imported as a module (a script, a path that is no package)."""


def module_name(path: str, import_roots: Sequence[str]) -> str:
    """``src/pkg/mod.py`` -> ``pkg.mod`` for the import root ``src`` (roots in order)."""
    if not path.endswith(".py"):
        raise ProbeUnavailable(f"{path} is not a Python module")
    for root in import_roots:
        prefix = "" if root == "." else root.rstrip("/") + "/"
        if not path.startswith(prefix):
            continue
        parts = path[len(prefix) : -3].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and all(p.isidentifier() for p in parts):
            return ".".join(parts)
    raise ProbeUnavailable(f"{path} is not importable from the project's import roots")


class SandboxProbe:
    def __init__(self, pool: SandboxPool, env: ProjectEnvironment, scratch: Path, timeout: float = 20.0, call_timeout: float = 1.0) -> None:
        self.pool = pool
        self.env = env
        self.folder = scratch / "probe"
        self.timeout = timeout
        self.call_timeout = call_timeout
        self._count = 0
        self._lock = threading.Lock()

    def _harness(self) -> Path:
        target = self.folder / "call_harness.py"
        with self._lock:
            if not target.exists():
                self.folder.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(call_harness.__file__, target)
        return target

    def __call__(self, variants: Sequence[ChangeSet | None], path: str, calls: Sequence[str]) -> list[list[str]]:
        module = module_name(path, self.env.import_roots)
        harness = self._harness()
        with self._lock:
            self._count += 1
            payload = self.folder / f"calls-{self._count}.json"
        payload.write_text(json.dumps({"module": module, "calls": list(calls), "call_timeout": self.call_timeout}))
        command = shlex.join([self.env.python, str(harness), str(payload)])
        with ThreadPoolExecutor(max_workers=self.pool.size) as workers:
            return list(workers.map(lambda v: self._run(v, command, len(calls)), variants))

    def _run(self, variant: ChangeSet | None, command: str, width: int) -> list[str]:
        files = variant.new_texts() if variant is not None else {}
        with self.pool.sandbox() as box, box.applied(files):
            root = Path(str(box.path))
            env = {**self.env.run_env(root), "PYTHONHASHSEED": "0"}
            run = run_shell(command, root, self.timeout, env)
        if run.timed_out:
            return ["raises TimeoutError: the probe ran too long"] * width
        for line in reversed(run.output.splitlines()):
            if line.startswith('{"outputs"'):
                rows = json.loads(line)["outputs"]
                return [str(o) for o in rows[0]]
        return [f"raises SystemExit: the probe exited ({run.exit_code})"] * width
