"""Build real, small model-part wheels (zip + RECORD + one data file) for the pull tests."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def _hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_part_wheel(folder: Path, dist: str, version: str, data: bytes, recorded: bytes | None = None, stored: bool = False) -> Path:
    """A wheel like the model-part ones on PyPI: ``PKG/data/partNN.bin`` plus metadata.

    ``recorded``: the bytes RECORD describes for the data file (default: ``data``), so a
    test can make a wheel whose data contradicts its own RECORD. ``stored``: no
    compression, so a test can damage the data bytes in place and trip the zip CRC.
    """
    folder.mkdir(parents=True, exist_ok=True)
    package = dist.replace("-", "_")
    info = f"{package}-{version}.dist-info"
    files = {
        f"{package}/__init__.py": b"raise ImportError('a data wheel: never imported')\n",
        f"{package}/data/part{dist[-1]}.bin": data,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: codeloop-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    lines = []
    for name, content in files.items():
        described = recorded if recorded is not None and name.endswith(".bin") else content
        lines.append(f"{name},{_hash(described)},{len(described)}")
    lines.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(lines) + "\n").encode()
    path = folder / f"{package}-{version}-py3-none-any.whl"
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def damage_stored_data(wheel: Path, data: bytes) -> None:
    """Flip one byte of a stored (uncompressed) data file inside the wheel: its CRC no longer matches."""
    raw = bytearray(wheel.read_bytes())
    at = raw.index(data[:64]) + len(data) // 2
    raw[at] ^= 0xFF
    wheel.write_bytes(bytes(raw))
