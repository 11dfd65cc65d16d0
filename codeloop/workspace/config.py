"""``[tool.codeloop]`` from a project's pyproject.toml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codeloop.errors import UsageError


def project_config(root: Path) -> dict[str, Any]:
    """``[tool.codeloop]`` from the project's pyproject.toml ({} when absent)."""
    data = read_pyproject(root)
    section = data.get("tool", {}).get("codeloop", {})
    return section if isinstance(section, dict) else {}


def read_pyproject(root: Path) -> dict[str, Any]:
    """The whole pyproject.toml of ``root`` ({} when there is none)."""
    import tomllib

    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    try:
        return tomllib.loads(pyproject.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{pyproject} is not valid TOML ({exc}); fix it or pass --test-cmd") from None


def config_string(root: Path, key: str) -> str | None:
    """A string setting of ``[tool.codeloop]`` (None when unset; exit 2 when not a string)."""
    value = project_config(root).get(key)
    if value is not None and not isinstance(value, str):
        raise UsageError(f"[tool.codeloop] {key} in {root / 'pyproject.toml'} must be a string")
    return value or None
