"""Sandbox copies: every candidate gets the snapshot back, and no write goes through a link."""

from __future__ import annotations

import os
from pathlib import Path

from codeloop.plugins import language_for_path
from codeloop.core.changes import ChangeSet, FileChange
from codeloop.core.fix.context import Candidate
from codeloop.core.fix.validate import Validator
from codeloop.runners.pytest_runner import PytestRunner
from codeloop.workspace.sandbox import SandboxPool

from tests.conftest import git, make_repo


def _tree(path: Path) -> dict[str, bytes | str]:
    found: dict[str, bytes | str] = {}
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path).as_posix()
        if p.is_symlink():
            found[rel] = "link:" + os.readlink(p)
        elif p.is_file():
            found[rel] = p.read_bytes()
        else:
            found[rel] = "dir"
    return found


def test_a_copy_is_back_to_the_snapshot_whatever_the_candidate_did(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"lib.py": "x = 1\n", "tests/test_lib.py": "def test():\n    pass\n", "data/a.txt": "a\n"})
    with SandboxPool(repo, size=1) as pool:
        with pool.sandbox() as box:
            clean = _tree(box.path)
            with box.applied({"lib.py": "x = 2\n"}):
                (box.path / "tests" / "test_lib.py").write_text("def test():\n    assert True  # rewritten\n")
                (box.path / "tests" / "new_test.py").write_text("x")
                (box.path / "new_dir" / "deep").mkdir(parents=True)
                (box.path / "new_dir" / "deep" / "f").write_text("x")
                (box.path / "data" / "a.txt").unlink()
                os.chmod(box.path / "lib.py", 0o600)
                os.utime(box.path / "tests" / "test_lib.py", ns=(0, 0))
        with pool.sandbox() as again:
            assert again.path == box.path  # the same copy is reused...
            assert _tree(again.path) == clean  # ...only once it is the snapshot again
            assert (again.path / "lib.py").stat().st_mode & 0o777 == (repo / "lib.py").stat().st_mode & 0o777


def test_a_test_run_that_writes_without_a_candidate_is_also_undone(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"lib.py": "x = 1\n"})
    with SandboxPool(repo, size=1) as pool:
        with pool.sandbox() as box:
            clean = _tree(box.path)
            (box.path / "lib.py").write_text("x = 666\n")  # same size, written in place
        with pool.sandbox() as box:
            assert _tree(box.path) == clean


def test_the_snapshot_is_taken_once_so_later_user_edits_do_not_leak_in(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"lib.py": "x = 1\n"})
    with SandboxPool(repo, size=2) as pool:
        (repo / "lib.py").write_text("x = 2  # the user keeps typing\n")
        with pool.sandbox() as first, pool.sandbox() as second:
            assert (first.path / "lib.py").read_text() == (second.path / "lib.py").read_text() == "x = 1\n"
        assert pool.read("lib.py") == "x = 1\n"


# A wrong candidate that rewrites the test file when imported, then a wrong candidate
# after it: in a reused copy that was not checked, the second would pass.
CHEATING = '''def add(a, b):
    import pathlib
    pathlib.Path(__file__).with_name("test_calc.py").write_text("def test_add():\\n    pass\\n")
    return a * b
'''


def test_a_wrong_answer_cannot_pass_on_tests_an_earlier_candidate_rewrote(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {
        "calc.py": "def add(a, b):\n    return a - b\n",
        "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
    })
    runner = PytestRunner("python -m pytest -q -p no:cacheprovider")
    with SandboxPool(repo, size=1) as pool:
        with pool.sandbox() as box:
            baseline = runner.run(box.path)
        assert not baseline.passed
        validate = Validator(pool, runner, baseline, language_for_path, deadline=float("inf"), full_timeout=60)

        def candidate(text: str) -> Candidate:
            return Candidate(ChangeSet((FileChange("calc.py", "def add(a, b):\n    return a - b\n", text),)), "test", "t")

        cheat = validate(candidate(CHEATING))
        wrong = validate(candidate("def add(a, b):\n    return a * b\n"))
        right = validate(candidate("def add(a, b):\n    return a + b\n"))
    assert not cheat.passed  # it rewrote the tests only during its own run, too late for itself
    assert not wrong.passed  # the copy had the real tests back
    assert right.passed


def test_writes_into_a_copy_replace_a_link_and_never_follow_it(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("precious = 1\n")
    repo = make_repo(tmp_path / "r", {"real.py": "x = 1\n"})
    os.symlink(outside, repo / "linked.py")
    with SandboxPool(repo, size=1) as pool:
        assert pool.links == {"linked.py"}
        with pool.sandbox() as box, box.applied({"linked.py": "precious = 2\n"}):
            assert (box.path / "linked.py").read_text() == "precious = 2\n"
            assert not (box.path / "linked.py").is_symlink()
        with pool.sandbox() as box:
            # Back as the snapshot has it: the outside file's text, never a link to it.
            assert (box.path / "linked.py").read_text() == "precious = 1\n"
            assert not (box.path / "linked.py").is_symlink()
    assert outside.read_text() == "precious = 1\n"


def test_a_candidate_that_edits_a_symlinked_file_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("def f():\n    return 1\n")
    repo = make_repo(tmp_path / "r", {"test_x.py": "from linked import f\n\n\ndef test_f():\n    assert f() == 2\n"})
    os.symlink(outside, repo / "linked.py")
    runner = PytestRunner("python -m pytest -q -p no:cacheprovider")
    with SandboxPool(repo, size=1) as pool:
        with pool.sandbox() as box:
            baseline = runner.run(box.path)
        validate = Validator(pool, runner, baseline, language_for_path, deadline=float("inf"), full_timeout=60)
        change = ChangeSet((FileChange("linked.py", "def f():\n    return 1\n", "def f():\n    return 2\n"),))
        verdict = validate(Candidate(change, "test", "t"))
    assert not verdict.passed and verdict.outcome == "forbidden" and verdict.detail == "edits linked.py, a symbolic link"
    assert outside.read_text() == "def f():\n    return 1\n"


def test_a_test_run_that_writes_through_a_tracked_link_never_reaches_outside_the_copy(tmp_path: Path) -> None:
    # Copied as they are, an absolute link (to a file elsewhere, or to a file of the tree)
    # still leads to the user's file; the snapshot holds a copy of the outside file and a
    # relative link inside the copy instead (found by benchmarks/faults.py hostile).
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    repo = make_repo(tmp_path / "r", {"data.txt": "mine\n", "test_x.py": (
        "def test_writes_through_links():\n"
        "    assert open('linked.txt').read() == 'precious\\n'\n"
        "    assert open('alias.txt').read() == 'mine\\n'\n"
        "    open('linked.txt', 'w').write('overwritten\\n')\n"
        "    open('alias.txt', 'w').write('overwritten\\n')\n"
    )})
    os.symlink(outside, repo / "linked.txt")
    os.symlink(repo / "data.txt", repo / "alias.txt")  # absolute, into the tree
    os.symlink(tmp_path / "nowhere.txt", repo / "dangling.txt")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "links")
    runner = PytestRunner("python -m pytest -q -p no:cacheprovider")
    with SandboxPool(repo, size=1) as pool:
        with pool.sandbox() as box:
            report = runner.run(box.path)
            assert (box.path / "alias.txt").is_symlink() and not os.path.isabs(os.readlink(box.path / "alias.txt"))
            assert not os.path.lexists(box.path / "dangling.txt")
    assert report.passed_ids == ["test_x.py::test_writes_through_links"]
    assert outside.read_text() == "precious\n"
    assert (repo / "data.txt").read_text() == "mine\n"
    assert not (tmp_path / "nowhere.txt").exists()
