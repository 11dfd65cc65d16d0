"""Python extract-method beyond the goldens: line endings, plans, suggestions, the --check script."""

from __future__ import annotations

import subprocess
import sys

import pytest

from codeloop.core.refactor import RefactorRefused
from codeloop.core.refactor.differential import check_script
from codeloop.core.refactor.extract import extract_method, name_suggestions
from codeloop.core.errors import InvalidInput


def test_crlf_files_keep_crlf():
    source = "def f(a):\r\n    b = a + 1\r\n    return b\r\n"
    after = extract_method(source, "m.py", 2, 2, name="inc").changes.files[0].after
    assert after == "def f(a):\r\n    b = inc(a)\r\n    return b\r\n\r\n\r\ndef inc(a):\r\n    b = a + 1\r\n    return b\r\n"


def test_refused_is_a_refused_error_and_lines_past_the_end_are_usage():
    from codeloop.errors import RefusedError

    assert issubclass(RefactorRefused, RefusedError)
    with pytest.raises(InvalidInput, match="past the end of the file") as bad:
        extract_method("def f():\n    return 1\n", "m.py", 2, 9, name="g")
    assert bad.value.what == "lines" and "--lines" not in str(bad.value)  # the CLI names its flag
    with pytest.raises(RefactorRefused, match="does not parse as Python"):
        extract_method("def f(:\n    return 1\n", "m.py", 2, 2, name="g")


def test_async_method_extracts_to_awaited_async_method():
    source = (
        "class Client:\n"
        "    async def get(self, key):\n"
        "        raw = await self.fetch(key)\n"
        "        value = raw.decode()\n"
        "        return value\n"
    )
    result = extract_method(source, "m.py", 3, 4, name="load")
    after = result.changes.files[0].after
    assert "        value = await self.load(key)\n" in after
    assert "    async def load(self, key):\n" in after
    assert result.to_dict()["async"] is True and result.to_dict()["kind"] == "method"


def test_suggestions_are_all_extractable():
    body = "".join(f"    x{i} = n * {i}\n" for i in range(8))
    source = "def long(n):\n" + body + "    acc = 0\n    for i in range(n):\n        acc += i\n    return acc + x7\n"
    found = name_suggestions(source, 3, None)
    assert found
    for s in found:
        extract_method(source, "m.py", s.start, s.end, name="extracted_piece")


def test_check_script_catches_a_behaviour_change(tmp_path):
    before = tmp_path / "before.py"
    after = tmp_path / "after.py"
    before.write_text("def f(a: int):\n    return a + 1\n")
    after.write_text("def f(a: int):\n    return a + 2\n")
    script = tmp_path / "check.py"
    script.write_text(check_script(str(before), str(after), "f", ["int"], examples=20))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode != 0
    after.write_text("def f(a: int):\n    b = a\n    return b + 1\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0 and "same outcomes" in proc.stdout
