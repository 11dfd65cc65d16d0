"""Deterministic review checks on real diffs: parse errors, undefined names, stale callers."""

from __future__ import annotations

import difflib

from codeloop.analysis.python_lang import PYTHON
from codeloop.core.review.diffs import parse_diff
from codeloop.core.review.engine import ReviewInput, ReviewOptions, review

OLD = "def area(w, h):\n    return w * h\n\n\ndef helper():\n    return 1\n"


def _diff(old: str, new: str, path: str = "shop.py") -> str:
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}"))


def _run(old: dict[str, str], new: dict[str, str]):  # type: ignore[no-untyped-def]
    diff = "".join(_diff(old.get(p, ""), new[p], p) for p in new if old.get(p) != new[p])
    inp = ReviewInput(diff, new.get, old.get, lambda: dict(new))
    loop = review(inp, None, None, lambda p: PYTHON if p.endswith(".py") else None, ReviewOptions(run_tests=False, use_model=False))
    try:
        while True:
            next(loop)
    except StopIteration as stop:
        return stop.value


def test_parse_diff_gives_added_lines_and_deletion_points() -> None:
    new = "def area(w, h):\n    return w + h\n\n\n"
    (change,) = parse_diff(_diff(OLD, new))
    assert change.path == "shop.py" and change.old_path == "shop.py"
    assert change.added_lines == {2}
    assert change.touches(2, 2) and not change.touches(1, 1)


def test_syntax_error_is_blocking_on_the_changed_line() -> None:
    new = OLD.replace("return w * h", "return (w * h")
    result = _run({"shop.py": OLD}, {"shop.py": new})
    (finding,) = result.findings
    assert (finding.rule, finding.blocking, finding.label) == ("codeloop/syntax-error", True, "issue")
    assert finding.start_line == 2 and "SyntaxError" in finding.message


def test_syntax_error_that_was_there_before_is_not_this_changes_fault() -> None:
    broken = OLD + "def bad(:\n"
    assert _run({"shop.py": broken}, {"shop.py": broken + "x = 1\n"}).findings == []


def test_misspelled_name_on_an_added_line_gets_a_suggested_replacement() -> None:
    new = OLD + "\n\ndef total():\n    return aera(1, 2) + len([])\n"
    (finding,) = _run({"shop.py": OLD}, {"shop.py": new}).findings
    assert finding.rule == "codeloop/undefined-name" and finding.start_line == 10
    assert "`aera`" in finding.message and "did you mean `area`" in finding.message
    assert finding.suggestion == "    return area(1, 2) + len([])"


def test_unchanged_reads_of_a_name_the_change_removed_are_reported() -> None:
    old = OLD + "\n\ndef total():\n    return helper()\n"
    new = old.replace("def helper():\n    return 1\n", "")
    result = _run({"shop.py": old}, {"shop.py": new})
    assert [(f.rule, f.start_line) for f in result.findings] == [("codeloop/undefined-name", 8)]
    assert "no longer defined" in result.findings[0].message


def test_locals_params_imports_and_builtins_are_not_undefined() -> None:
    new = (
        "import os.path\nfrom x import y as z\n\n\ndef f(a, *rest, k=1, **kw):\n"
        "    for i, j in enumerate(rest):\n        pass\n    with open(a) as fh:\n        pass\n"
        "    total = [w for w in rest]\n    return os.path, z, total, i, j, fh, kw, k, len\n"
    )
    assert _run({}, {"m.py": new}).findings == []


def test_caller_in_another_file_not_updated_for_a_new_parameter() -> None:
    app = "from shop import area\n\nprint(area(2, 3))\nprint(area(2, 3, 'cm'))\n"
    new = OLD.replace("def area(w, h):", "def area(w, h, unit):")
    result = _run({"shop.py": OLD, "app.py": app}, {"shop.py": new, "app.py": app})
    assert [(f.path, f.start_line, f.rule) for f in result.findings] == [("app.py", 3, "codeloop/stale-caller")]
    assert "area(w, h, unit)" in result.findings[0].message and "TypeError" in result.findings[0].message


def test_a_default_for_the_new_parameter_keeps_callers_valid() -> None:
    app = "from shop import area\n\nprint(area(2, 3))\n"
    new = OLD.replace("def area(w, h):", "def area(w, h, unit='m'):")
    assert _run({"shop.py": OLD, "app.py": app}, {"shop.py": new, "app.py": app}).findings == []


def test_method_callers_and_removed_imports() -> None:
    old = "class Cart:\n    def add(self, item):\n        return item\n\n\ndef use():\n    return Cart().add(1)\n\n\ndef gone():\n    return 0\n"
    new = old.replace("def add(self, item):", "def add(self, item, qty):").replace("def gone():\n    return 0\n", "")
    other = "from cart import gone\n"
    result = _run({"cart.py": old, "other.py": other}, {"cart.py": new, "other.py": other})
    assert sorted((f.path, f.start_line, f.rule) for f in result.findings) == [
        ("cart.py", 7, "codeloop/stale-caller"),
        ("other.py", 1, "codeloop/removed-name"),
    ]


def test_signature_accepts() -> None:
    from codeloop.analysis.functions import parse
    from codeloop.core.review.signatures import signature_of

    tree = parse(PYTHON, b"def f(a, b=1, *, k, m=2):\n    pass\n")
    sig = signature_of(tree.root_node.children[0], is_method=False)
    assert sig.accepts(1, frozenset({"k"})) and sig.accepts(2, frozenset({"k", "m"}))
    assert not sig.accepts(1, frozenset()) and not sig.accepts(3, frozenset({"k"})) and not sig.accepts(1, frozenset({"k", "a"}))
    assert sig.render("f") == "f(a, b=..., *, k, m=...)"
