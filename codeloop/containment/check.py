"""What a test run under codeloop is kept from here (for `codeloop doctor`).

The launcher falls back quietly where the OS forbids namespaces (containers with a
seccomp profile, unprivileged user namespaces disabled): test runs then keep the network
and may write anywhere the user can. This runs one real contained command, exactly as
fix starts its test runs, and asks it what it can reach.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from codeloop.containment.session import FILESYSTEM_OPT_OUT, NETWORK_OPT_OUT, current, remove_tree

# Runs inside the contained command: may it write outside the run folder, which network
# interfaces does it see (socket.if_nameindex asks the kernel for its own namespace's)?
_PROBE = """
import errno, json, os, socket, sys
try:
    with open(os.path.join(sys.argv[1], "probe"), "w") as handle:
        handle.write("x")
    files = "writable"
except OSError as exc:
    files = "read-only" if exc.errno == errno.EROFS else "error: " + os.strerror(exc.errno or 0)
names = sorted(name for _, name in socket.if_nameindex())
print(json.dumps({"files": files, "interfaces": names}))
"""


def containment() -> dict[str, str]:
    """``network``: "isolated" or why not; ``files``: "read-only outside the run" or why not."""
    session = current()
    outside = Path(tempfile.mkdtemp(prefix="codeloop-doctor-"))
    try:
        with session.scratch() as scratch:
            proc = session.start([sys.executable, "-I", "-c", _PROBE, str(outside)], cwd=scratch, scratch=scratch, timeout=30)
            try:
                out, _ = proc.communicate(timeout=60)
            finally:
                session.finished(proc)
        seen = json.loads(out.decode("utf-8", "replace").strip().splitlines()[-1])
    except (OSError, ValueError, IndexError) as exc:
        return {"network": f"unknown ({exc})", "files": f"unknown ({exc})"}
    finally:
        remove_tree(outside)
    return {"network": _network(seen["interfaces"]), "files": _files(seen["files"])}


def _network(interfaces: list[str]) -> str:
    if set(interfaces) <= {"lo"}:
        return "isolated (loopback only)"
    if os.environ.get(NETWORK_OPT_OUT) == "1":
        return f"shared ({NETWORK_OPT_OUT}=1)"
    return "shared: the OS forbids network namespaces here (tests can reach the network)"


def _files(state: str) -> str:
    if state == "read-only":
        return "read-only outside the run folder"
    if os.environ.get(FILESYSTEM_OPT_OUT) == "1":
        return f"writable ({FILESYSTEM_OPT_OUT}=1)"
    if state == "writable":
        return "writable: the OS forbids mount namespaces here (tests can write anywhere you can)"
    return state
