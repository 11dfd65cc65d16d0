"""Ask the project's interpreter, inside a copy, what the tests will import.

One short child process before any search: which Python it is, whether pytest and
coverage.py import there, and where each of the project's top-level packages is found.
A package found outside the copy means candidates would be tested against other code
(an editable install that wins over PYTHONPATH, a stray .pth): that is a set-up error,
not a failing test.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from codeloop.workspace.environment import ProjectEnvironment

_SCRIPT = r"""
import importlib.util, json, sys
names = json.loads(sys.argv[1])
def where(name):
    try:
        spec = importlib.util.find_spec(name)
    except Exception as exc:
        return "error: %s" % exc
    if spec is None:
        return None
    if spec.origin and spec.origin not in ("namespace", "built-in", "frozen"):
        return spec.origin
    return list(spec.submodule_search_locations or [])
def importable(name):
    try:
        __import__(name)
        return True
    except Exception as exc:
        return "%s: %s" % (type(exc).__name__, exc)
print(json.dumps({
    "version": "%d.%d.%d" % sys.version_info[:3],
    "executable": sys.executable,
    "pytest": where("pytest") is not None,
    "coverage": importable("coverage"),
    "modules": {n: where(n) for n in names},
}))
"""


@dataclass(frozen=True)
class Probe:
    version: str
    has_pytest: bool
    coverage: bool | str  # True, or why it does not import
    modules: dict[str, object] = field(default_factory=dict)  # name -> origin(s) or None

    def outside(self, copy_root: Path) -> dict[str, str]:
        """Project packages the interpreter would import from outside the copy."""
        root = os.path.realpath(copy_root) + os.sep
        found = {}
        for name, where in self.modules.items():
            paths = where if isinstance(where, list) else [where] if isinstance(where, str) else []
            for path in paths:
                if path.startswith("error:"):
                    continue
                if not os.path.realpath(path).startswith(root):
                    found[name] = path
                    break
        return found


class ProbeFailed(Exception):
    """The interpreter did not run (missing, broken, not Python)."""


def top_level_names(env: ProjectEnvironment, files: list[str]) -> list[str]:
    """The project's own importable top-level packages and modules (tests and tools left out)."""
    names: list[str] = []
    skip = {"setup", "conftest", "noxfile", "tasks", "fabfile", "manage", "docs", "tests", "test", "testing"}
    for root in env.import_roots:
        prefix = "" if root == "." else root + "/"
        for rel in files:
            if not rel.startswith(prefix) or not rel.endswith(".py"):
                continue
            parts = rel[len(prefix) :].split("/")
            if len(parts) == 1:
                name = parts[0][:-3]
            elif len(parts) == 2 and parts[1] == "__init__.py":
                name = parts[0]
            else:
                continue
            if name.isidentifier() and name not in skip and not name.startswith("test_"):
                names.append(name)
    return list(dict.fromkeys(names))


def package_files(env: ProjectEnvironment, files: list[str]) -> frozenset[str]:
    """The files that belong to the project's own top-level packages and modules."""
    names = set(top_level_names(env, files))
    found = set()
    for root in env.import_roots:
        prefix = "" if root == "." else root + "/"
        for rel in files:
            if rel.startswith(prefix):
                head = rel[len(prefix) :].split("/")[0]
                if head.removesuffix(".py") in names:
                    found.add(rel)
    return frozenset(found)


def probe(env: ProjectEnvironment, copy_root: Path, names: list[str], extra_path: tuple[str, ...] = (), timeout: float = 60.0) -> Probe:
    from codeloop.containment import session
    from codeloop.runners.base import run_contained

    # Contained and with the same environment as the test runs, so it sees what they see.
    with tempfile.TemporaryDirectory(prefix="probe-", dir=session.current().folder) as tmp:
        script = Path(tmp) / "probe.py"
        script.write_text(_SCRIPT, "utf-8")
        try:
            done = run_contained([env.python, str(script), json.dumps(names)], copy_root, timeout, env.run_env(copy_root, extra_path), merge_stderr=False)
        except OSError as exc:
            raise ProbeFailed(f"{env.python} did not run ({exc})") from None
    if done.exit_code != 0 or done.timed_out:
        raise ProbeFailed(f"{env.python} did not run (exit code {done.exit_code})")
    try:
        data = json.loads(done.output.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise ProbeFailed(f"{env.python} printed no answer; is it a Python interpreter?") from None
    return Probe(str(data["version"]), bool(data["pytest"]), data["coverage"], dict(data["modules"]))
