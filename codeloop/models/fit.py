"""Whether a GGUF can fit in this machine's memory at all, asked before llama.cpp tries.

llama.cpp maps the whole file and touches every weight it uses, so a model larger than
the memory available (free RAM plus free swap, or the address-space limit of this
process, whichever is smaller) can only end in the out-of-memory killer or a failed
allocation deep inside the load. Said up front instead, as bad input (exit 2)."""

from __future__ import annotations

import resource
from pathlib import Path

from codeloop.errors import UsageError

_GIB = 1 << 30


def available_bytes() -> int | None:
    """Memory a model could use now: MemAvailable + SwapFree (Linux), capped by RLIMIT_AS."""
    found: int | None = None
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line)
        found = (int(fields["MemAvailable"].split()[0]) + int(fields.get("SwapFree", "0 kB").split()[0])) * 1024
    except (OSError, KeyError, ValueError):
        pass
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        found = soft if found is None else min(found, soft)
    return found


def check_fits(model: Path) -> None:
    """UsageError when the GGUF file alone is larger than the memory available."""
    try:
        size = model.stat().st_size
    except OSError:
        return
    available = available_bytes()
    if available is not None and size > available:
        raise UsageError(
            f"{model.name} needs at least {size / _GIB:.1f} GiB of memory and {available / _GIB:.1f} GiB are available: "
            "pick a smaller model (codeloop model list), free memory, or pass --no-model"
        )
