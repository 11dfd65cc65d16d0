"""The environment a contained test run gets: an allow-list, never codeloop's own.

Candidates are untrusted code, so API keys, tokens, cloud and SSH credentials in the
user's shell must not reach them. What real test suites need does pass: PATH, the
locale, the terminal, the active virtualenv/conda, the interpreter's own PYTHON*
settings, toolchain homes. HOME and TMPDIR point into the run's scratch folder, so
what a test writes "at home" or in /tmp is removed with the run. ``CODELOOP_PASS_ENV``
(comma-separated names) lets a user pass more variables on purpose.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from codeloop.containment.procs import MARKER

PASSED = frozenset({
    "PATH", "LANG", "LANGUAGE", "TERM", "TZ", "COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "CI",
    "USER", "LOGNAME", "SHELL", "SOURCE_DATE_EPOCH",
    "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "PYENV_VERSION",
    "JAVA_HOME", "GOROOT", "GOFLAGS", "NODE_PATH", "LD_LIBRARY_PATH", "PKG_CONFIG_PATH",
})
PREFIXES = ("LC_", "PYTHON")
# A PYTHON*/LC_* name that looks like a secret is still dropped.
SECRET = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|PRIVATE", re.I)
# Toolchains that find themselves under HOME by default: keep pointing them at the real
# ones (when they exist), or a fresh HOME would make offline builds fail.
TOOL_HOMES = {
    "PYTHONUSERBASE": ".local",  # pip install --user packages
    "PYENV_ROOT": ".pyenv",  # pyenv shims on PATH
    "CARGO_HOME": ".cargo",
    "RUSTUP_HOME": ".rustup",
    "GOPATH": "go",
    "GOMODCACHE": "go/pkg/mod",
    "ASDF_DATA_DIR": ".asdf",
}
# Never passed, even through CODELOOP_PASS_ENV: it would change every pytest run.
DROPPED = frozenset({"PYTEST_ADDOPTS"})


def _allowed(name: str, extra: frozenset[str]) -> bool:
    if name in DROPPED:
        return False
    if name in PASSED or name in extra:
        return True
    return name.startswith(PREFIXES) and not SECRET.search(name)


def child_env(
    source: Mapping[str, str], home: str, tmp: str, run_id: str, extra_env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The allow-listed environment for one run; ``extra_env`` (codeloop's own values) wins."""
    extra = frozenset(n.strip() for n in source.get("CODELOOP_PASS_ENV", "").split(",") if n.strip())
    env = {name: value for name, value in source.items() if _allowed(name, extra)}
    real_home = source.get("HOME") or os.path.expanduser("~")
    for name, folder in TOOL_HOMES.items():
        if name not in env and os.path.isdir(os.path.join(real_home, folder)):
            env[name] = os.path.join(real_home, folder)
    env.setdefault("PATH", os.defpath)
    env.update({"HOME": home, "TMPDIR": tmp, "TMP": tmp, "TEMP": tmp, MARKER: run_id})
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # stale .pyc from same-second rewrites would lie to us
    env.update(extra_env or {})
    return env
