"""Which GGUF a command loads: --model, then [tool.codeloop] model, then the user config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codeloop.cli.common import chosen_model
from codeloop.errors import UsageError
from codeloop.models.catalog import CATALOG
from codeloop.models.store import cached_file, installed_path, is_embedded, resolve

QWEN = CATALOG["qwen2.5-coder-0.5b"]


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    cache, config = tmp_path / "cache", tmp_path / "config"
    monkeypatch.setenv("CODELOOP_CACHE_DIR", str(cache))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    return cache, config / "codeloop"


def _as_pulled(cache: Path) -> Path:
    """A file where pull puts the model, of its size (sparse: the bytes do not matter here)."""
    path = cached_file(QWEN, cache)
    path.parent.mkdir(parents=True)
    path.touch()
    os.truncate(path, QWEN.size)
    return path


def test_a_catalog_name_resolves_to_its_cached_file_once_pulled(dirs):
    cache, _ = dirs
    with pytest.raises(UsageError, match="run `codeloop model pull qwen2.5-coder-0.5b`"):
        resolve("qwen2.5-coder-0.5b", Path.cwd())
    path = _as_pulled(cache)
    assert resolve("Qwen2.5-Coder-0.5B", Path.cwd()) == path


def test_a_cached_file_of_the_wrong_size_is_not_installed(dirs):
    cache, _ = dirs
    path = _as_pulled(cache)
    os.truncate(path, QWEN.size - 1)  # cut short since it was verified
    assert installed_path(QWEN, cache) is None


def test_paths_resolve_against_their_base_and_must_exist(tmp_path, dirs):
    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    assert resolve("m.gguf", tmp_path) == tmp_path / "m.gguf"
    with pytest.raises(UsageError, match="model file not found: nope.gguf .*qwen2.5-coder-1.5b"):
        resolve("nope.gguf", tmp_path)


def test_precedence_is_flag_then_project_then_user_config(tmp_path, dirs):
    cache, user_dir = dirs
    project = tmp_path / "proj"
    project.mkdir()
    assert chosen_model(None, project) is None  # nothing configured: the embedded default

    user_dir.mkdir(parents=True)
    (user_dir / "user.gguf").write_bytes(b"GGUF")
    (user_dir / "config.toml").write_text('model = "user.gguf"\n')  # relative to the config folder
    assert chosen_model(None, project) == user_dir / "user.gguf"
    assert chosen_model(None, None) == user_dir / "user.gguf"

    pulled = _as_pulled(cache)
    (project / "pyproject.toml").write_text('[tool.codeloop]\nmodel = "qwen2.5-coder-0.5b"\n')
    assert chosen_model(None, project) == pulled

    (tmp_path / "flag.gguf").write_bytes(b"GGUF")
    assert chosen_model(str(tmp_path / "flag.gguf"), project) == tmp_path / "flag.gguf"


def test_bad_configuration_is_a_usage_error_naming_where(tmp_path, dirs):
    _, user_dir = dirs
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.codeloop]\nmodel = 3\n")
    with pytest.raises(UsageError, match=r"\[tool.codeloop\] model in pyproject.toml must be"):
        chosen_model(None, project)
    user_dir.mkdir(parents=True)
    (user_dir / "config.toml").write_text("model = \n")
    with pytest.raises(UsageError, match="config.toml is not valid TOML"):
        chosen_model(None, None)
    with pytest.raises(UsageError, match="--model is empty"):
        chosen_model(" ", None)


def test_the_embedded_model_is_recognised_by_name_or_by_path(dirs):
    embedded = resolve("smollm2-135m", Path.cwd())
    assert is_embedded(None) and is_embedded(embedded)
    assert not is_embedded(_as_pulled(dirs[0]))


def test_only_a_code_model_is_asked_to_confirm_an_earlier_tiers_fix(tmp_path):
    from codeloop.cli.fix import _gives_second_opinions
    from codeloop.models.llamacpp import default_model_path

    assert not _gives_second_opinions("llamacpp", None)  # the embedded default
    assert not _gives_second_opinions("llamacpp", default_model_path())  # named explicitly
    assert _gives_second_opinions("llamacpp", tmp_path / "coder.gguf")
    assert _gives_second_opinions("openai", None)  # a server's model
