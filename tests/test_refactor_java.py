"""The codeloop-java plugin: registered through its entry point, golden extractions that compile."""

from __future__ import annotations

import re
import shutil
import subprocess
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from codeloop.core.refactor import RefactorRefused
from tests.conftest import make_repo, run_cli
from tests.golden_cases import Golden, cases, regen

JAVA = cases("extract_java")


def test_plugin_registers_through_the_codeloop_entry_point():
    from codeloop import plugins

    names = {ep.name: ep.value for ep in entry_points(group="codeloop")}
    assert names.get("java") == "codeloop_java.plugin"
    from codeloop.analysis.java_lang import JAVA

    assert type(plugins.extractors()["java"]).__module__ == "codeloop_java.extract"
    assert plugins.languages()["java"] is JAVA  # the built-in language record, not a second one


def _compiles(tmp: Path, source: str) -> str:
    cls = re.search(r"^class (\w+)", source, re.M)
    file = tmp / f"{cls.group(1) if cls else 'X'}.java"
    file.write_text(source)
    proc = subprocess.run(["javac", "-d", str(tmp / "out"), str(file)], capture_output=True, text=True)
    return proc.stderr


@pytest.mark.parametrize("case", JAVA, ids=[c.path.stem for c in JAVA])
def test_extract_java_golden(case: Golden, tmp_path: Path) -> None:
    from codeloop_java.extract import JavaExtractor

    try:
        result = JavaExtractor().extract(case.before, "X.java", case.start, case.end, case.name, None)
        after, refused = result.changes.files[0].after, None
    except RefactorRefused as exc:
        after, refused = None, str(exc)
    if regen():  # a developer's rewrite of the expectations, reviewed by hand before committing
        case.write(after, refused)
        return
    assert (after, refused) == (case.after, case.refused)
    if after is not None and not case.path.stem.startswith("r"):
        assert _compiles(tmp_path, after) == ""


def test_java_golden_suite_is_big_enough():
    assert len([c for c in JAVA if c.after is not None]) >= 15


def test_cli_extracts_java_only_when_javac_accepts(tmp_path):
    assert shutil.which("javac"), "the Java plugin's tests need a JDK (.ci/run installs one)"
    source = "class Calc {\n    int f(int a) {\n        int b = a + 1;\n        return b * 2;\n    }\n}\n"
    repo = make_repo(tmp_path / "r", {"Calc.java": source})
    proc = run_cli("refactor", "extract-method", "Calc.java", "--lines", "3-3", "--name", "inc", "--json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "private int inc(int a) {" in (repo / "Calc.java").read_text()
    # A body that javac rejects (a missing import) is refused and left alone.
    broken = "class Bad {\n    void f() {\n        int n = 1;\n        Missing.call(n);\n    }\n}\n"
    repo = make_repo(tmp_path / "b", {"Bad.java": broken})
    proc = run_cli("refactor", "extract-method", "Bad.java", "--lines", "4-4", "--name", "go", cwd=repo)
    assert proc.returncode == 1 and "does not build" in proc.stderr
    assert (repo / "Bad.java").read_text() == broken


def test_scripted_model_names_java_methods_in_camel_case():
    from codeloop_java.extract import JavaExtractor

    from tests.fakes import ScriptedBackend

    source = "class A {\n    int f(int a) {\n        int b = a + 1;\n        return b * 2;\n    }\n}\n"
    result = JavaExtractor().extract(source, "A.java", 3, 3, None, ScriptedBackend(["compute_next(", "compute_next("]))
    assert (result.name, result.name_source) == ("computeNext", "model")
    assert "private int computeNext(int a) {" in result.changes.files[0].after
