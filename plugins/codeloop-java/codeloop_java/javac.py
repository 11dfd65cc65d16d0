"""Compile one Java file with javac, in the sandbox copy, with its source root on the sourcepath."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path


def source_root(workdir: Path, path: str) -> Path:
    """The folder the file's package starts in (``src/main/java`` for ``package a.b;`` in src/main/java/a/b)."""
    file = workdir / path
    match = re.search(r"^\s*package\s+([\w.]+)\s*;", file.read_text("utf-8", "replace"), re.M)
    folder = file.parent
    for _ in match.group(1).split(".") if match else []:
        folder = folder.parent
    return folder


def compile_problem(workdir: Path, path: str) -> str | None:
    """None when ``path`` compiles; else javac's first error line."""
    javac = shutil.which("javac")
    if javac is None:
        return "javac is not on PATH: install a JDK (e.g. apt-get install default-jdk-headless) to verify Java refactorings"
    with tempfile.TemporaryDirectory(prefix="codeloop-javac-") as out:
        proc = subprocess.run(
            [javac, "-d", out, "-proc:none", "-nowarn", "-sourcepath", str(source_root(workdir, path)), str(workdir / path)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    if proc.returncode == 0:
        return None
    errors = [line for line in proc.stderr.splitlines() if "error:" in line]
    return (errors[0] if errors else proc.stderr.strip()[:300]).replace(str(workdir) + "/", "")
