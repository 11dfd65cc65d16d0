"""`codeloop refactor` as a user runs it: real git repos, the CLI as a subprocess."""

from __future__ import annotations

import json

from tests.conftest import make_repo, run_cli, snapshot

CALC = '''def total(items, tax):
    subtotal = 0
    for price in items:
        subtotal += price
    return subtotal * (1 + tax)


def report(values):
    print("values:", values)
    print("count:", len(values))
    return len(values)
'''
TESTS = "from calc import total\n\n\ndef test_total():\n    assert total([1, 2], 0.5) == 4.5\n"
PYPROJECT = '[tool.codeloop]\ntest-cmd = "python -m pytest -q -p no:cacheprovider"\n'


def _repo(tmp_path, tests=TESTS, pyproject=PYPROJECT):
    return make_repo(tmp_path / "r", {"calc.py": CALC, "test_calc.py": tests, "pyproject.toml": pyproject})


def test_extract_rewrites_runs_tests_and_undo_restores(tmp_path):
    repo = _repo(tmp_path)
    proc = run_cli("refactor", "extract-method", "calc.py", "--lines", "2-4", "--name", "subtotal_of", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    text = (repo / "calc.py").read_text()
    assert "    subtotal = subtotal_of(items)\n" in text
    assert "def subtotal_of(items):\n    subtotal = 0\n" in text
    assert "tests passed" in proc.stderr
    proc = run_cli("undo", "--json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"status": "restored", "files": ["calc.py"], "root": str(repo.resolve())}
    assert (repo / "calc.py").read_text() == CALC
    again = run_cli("undo", "--json", cwd=repo)  # nothing left to undo: refused, as JSON too
    assert again.returncode == 2 and json.loads(again.stdout)["message"].startswith("nothing to undo"), again.stdout


def test_dry_run_prints_diff_and_writes_nothing(tmp_path):
    repo = _repo(tmp_path)
    before = snapshot(repo)
    proc = run_cli("refactor", "extract-method", "calc.py", "--lines", "9-10", "--name", "show", "--dry-run", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "+def show(values):" in proc.stdout and "+    show(values)" in proc.stdout
    assert snapshot(repo) == before


def test_refusal_is_exit_1_one_line_and_file_untouched(tmp_path):
    repo = _repo(tmp_path)
    before = snapshot(repo)
    proc = run_cli("refactor", "extract-method", "calc.py", "--lines", "3-3", "--name", "x_loop", cwd=repo)
    assert proc.returncode == 1
    assert proc.stderr == (
        "codeloop: refused: line 3 starts a for block that ends at line 4, after the selection: extend the "
        "selection to line 4 or start it after line 3; calc.py is unchanged\n"
    )
    assert snapshot(repo) == before


def test_usage_errors_are_exit_2_and_change_nothing(tmp_path):
    repo = _repo(tmp_path)
    (repo / "notes.txt").write_text("hello\n")
    before = snapshot(repo)
    cases = [
        ["calc.py", "--lines", "two-three", "--name", "a_b"],
        ["calc.py", "--lines", "5-2", "--name", "a_b"],
        ["calc.py", "--lines", "2-99", "--name", "a_b"],
        ["calc.py", "--lines", "2-4", "--name", "total"],
        ["calc.py", "--lines", "2-4", "--name", "2fast"],
        ["missing.py", "--lines", "2-4", "--name", "a_b"],
        ["notes.txt", "--lines", "1-1", "--name", "a_b"],
    ]
    for args in cases:
        proc = run_cli("refactor", "extract-method", *args, cwd=repo)
        assert proc.returncode == 2, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert snapshot(repo) == before


def test_outside_git_is_exit_2(tmp_path):
    (tmp_path / "calc.py").write_text(CALC)
    proc = run_cli("refactor", "extract-method", "calc.py", "--lines", "2-4", "--name", "a_b", cwd=tmp_path)
    assert proc.returncode == 2 and "git" in proc.stderr


def test_json_success_and_refusal_are_one_object(tmp_path):
    repo = _repo(tmp_path, pyproject="")
    proc = run_cli("refactor", "extract-method", "calc.py", "--lines", "2-4", "--no-model", "--json", "--dry-run", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["status"] == "extracted" and payload["applied"] is False
    assert payload["name"] == "_compute_subtotal" and payload["name_source"] == "fallback"
    assert payload["params"] == ["items"] and payload["returns"] == ["subtotal"]
    # No test command configured: the project's pytest suite guards the change.
    assert payload["verified"] == {"parses": "yes", "tests": "passed", "tests_scope": "suite"}
    proc = run_cli("refactor", "extract-method", "calc.py", "--lines", "3-3", "--no-model", "--json", cwd=repo)
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["status"] == "error"


def test_failing_tests_after_the_change_mean_nothing_is_written(tmp_path):
    # A test that inspects the module's names notices the new function: exit 1, untouched.
    picky = TESTS + "\n\ndef test_no_new_names():\n    import calc\n    assert not hasattr(calc, 'subtotal_of')\n"
    repo = _repo(tmp_path, tests=picky)
    before = snapshot(repo)
    proc = run_cli("refactor", "extract-method", "calc.py", "--lines", "2-4", "--name", "subtotal_of", cwd=repo)
    assert proc.returncode == 1
    assert "fails after the extraction" in proc.stderr and "calc.py is unchanged" in proc.stderr
    assert snapshot(repo) == before


def test_tests_failing_before_the_change_are_reported_as_such(tmp_path):
    repo = _repo(tmp_path, tests="def test_broken():\n    assert False\n")
    proc = run_cli("refactor", "extract-method", "calc.py", "--lines", "2-4", "--name", "subtotal_of", cwd=repo)
    assert proc.returncode == 1
    assert "already fails without the change" in proc.stderr


def test_check_compares_old_and_new_on_generated_inputs(tmp_path):
    source = "def score(a: int, b: int):\n    d = a - b\n    s = d * d + a\n    return s if a > b else -s\n"
    repo = make_repo(tmp_path / "r", {"m.py": source})
    proc = run_cli("refactor", "extract-method", "m.py", "--lines", "2-3", "--name", "raw_score", "--check", "--json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["verified"]["check"] == "same outcomes on generated inputs"
    proc = run_cli("refactor", "extract-method", "calc.py", "--lines", "9-10", "--name", "show", "--check", cwd=_repo(tmp_path / "x"))
    assert proc.returncode == 1 and "--check runs only pure code" in proc.stderr


def test_suggest_lists_a_cohesive_block_in_a_long_function(tmp_path):
    body = "".join(f"    v{i} = x + {i}\n" for i in range(10))
    loop = "    total = 0\n    for i in range(x):\n        total += i\n        total *= 2\n"
    source = "def long_one(x):\n" + body + loop + "    return total + v9\n"
    repo = make_repo(tmp_path / "r", {"m.py": source})
    proc = run_cli("refactor", "suggest", "m.py", "--json", "--no-model", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)["suggestions"]
    assert found and found[0]["function"] == "long_one"
    first = found[0]
    assert first["lines"][0] >= 2 and first["name"].isidentifier()
    start, end = first["lines"]
    proc = run_cli("refactor", "extract-method", "m.py", "--lines", f"{start}-{end}", "--name", first["name"], cwd=repo)
    assert proc.returncode == 0, proc.stderr  # a suggestion is always one extract-method accepts
