"""Spectra of unchanged trees, kept under .codeloop/cache/ so SBFL is not redone."""

from __future__ import annotations

import json
from pathlib import Path

from codeloop.core.fix.sbfl import Spectrum
from codeloop.workspace.checkpoint import _state_dir, _write_atomic

_KEEP = 8  # spectra kept; older ones are removed (a tree rarely goes back to an old state)


class SpectrumFiles:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _folder(self) -> Path:
        folder = _state_dir(self.root) / "cache" / "sbfl"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def get(self, key: str) -> Spectrum | None:
        path = self.root / ".codeloop" / "cache" / "sbfl" / f"{key}.json"
        try:
            return Spectrum.from_dict(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None  # missing or damaged: collect it again

    def put(self, key: str, spectrum: Spectrum) -> None:
        folder = self._folder()
        target = folder / f"{key}.json"
        _write_atomic(target, json.dumps(spectrum.to_dict()).encode("utf-8"))
        old = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)[:-_KEEP]
        for path in old:
            path.unlink(missing_ok=True)
