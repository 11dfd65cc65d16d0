"""Whether a test command's program exists, asked before anything runs: a typo in
--test-cmd is bad input (exit 2, one line), not a failing test to report or refuse on."""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from codeloop.errors import UsageError

if TYPE_CHECKING:
    from codeloop.workspace.environment import ProjectEnvironment

_SHELL_WORDS = {"cd", "exec", "env", "export", "set", "test", "[", "true", "false", ":", "if", "for", "while", "case", "{", "("}


def missing_program(command: str, project: Path, path: str | None = None) -> str | None:
    """The command's program when it is found nowhere (PATH, or relative to ``project``);
    None when it is found or the command is shell syntax this check does not judge."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if not words or "=" in words[0] or words[0] in _SHELL_WORDS or any(c in words[0] for c in "$`;|&<>*?"):
        return None
    program = words[0]
    if "/" in program:
        full = Path(program) if os.path.isabs(program) else project / program
        return None if full.exists() else program
    return None if shutil.which(program, path=path) is not None else program


def ensure_runnable(command: str, project: Path, path: str | None = None, flag: str = "--test-cmd") -> None:
    program = missing_program(command, project, path)
    if program is not None:
        raise UsageError(
            f"the test command's program {program!r} is not found ({command}): fix {flag} or [tool.codeloop] test-cmd"
        )


def ensure_test_command_runs(environment: ProjectEnvironment) -> None:
    """ensure_runnable for the project's test command, searched as its runs search it
    (the venv's bin first)."""
    path = environment.run_env(environment.project).get("PATH") or environment.base_env.get("PATH") or os.environ.get("PATH")
    ensure_runnable(environment.test_command, environment.project, path)
