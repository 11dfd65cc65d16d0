import sys

from codeloop.runners.base import TestFailure
from codeloop.runners.pytest_runner import PytestRunner, parse_frames, parse_junit

from tests.conftest import make_repo


def test_parse_frames_long_and_native():
    long_tb = "tests/test_a.py:5: in test_x\n    assert f(1)\nsrc/mod.py:3: in f\n    raise ValueError\nE   ValueError\nsrc/mod.py:3: ValueError"
    frames = parse_frames(long_tb)
    assert [(f.path, f.line) for f in frames] == [("tests/test_a.py", 5), ("src/mod.py", 3)]
    native = 'Traceback:\n  File "/tmp/x/mod.py", line 7, in go\n    1/0'
    assert [(f.path, f.line, f.function) for f in parse_frames(native)] == [("/tmp/x/mod.py", 7, "go")]


def test_parse_junit_node_ids_with_classes():
    xml = """<testsuites><testsuite>
    <testcase classname="tests.test_a.TestMath" name="test_add" file="tests/test_a.py" line="3"/>
    <testcase classname="tests.test_a" name="test_fail[1]" file="tests/test_a.py" line="9">
      <failure message="assert 1 == 2">tests/test_a.py:10: AssertionError</failure>
    </testcase></testsuite></testsuites>"""
    failures, passed, _skipped = parse_junit(xml)
    assert passed == ["tests/test_a.py::TestMath::test_add"]
    assert failures[0].test_id == "tests/test_a.py::test_fail[1]"
    assert failures[0].line == 10 and failures[0].message == "assert 1 == 2"


def test_real_pytest_run_reports_structured_failures(tmp_path):
    repo = make_repo(tmp_path / "r", {
        "mod.py": "def double(x):\n    return x + x\n\ndef half(x):\n    return x * 2\n",
        "test_mod.py": "from mod import double, half\n\ndef test_double():\n    assert double(2) == 4\n\ndef test_half():\n    assert half(4) == 2\n",
    })
    runner = PytestRunner("python -m pytest -q")
    report = runner.run(repo)
    assert not report.passed and report.structured
    assert report.failed_ids == ["test_mod.py::test_half"]
    assert report.passed_ids == ["test_mod.py::test_double"]
    assert "assert 8 == 2" in report.failures[0].message
    only = runner.run(repo, ["test_mod.py::test_double"])
    assert only.passed and only.passed_ids == ["test_mod.py::test_double"]
    assert not (repo / ".pytest_cache").exists()


def test_collection_error_is_a_failure(tmp_path):
    repo = make_repo(tmp_path / "r", {"test_bad.py": "def test_x(:\n    pass\n"})
    report = PytestRunner().run(repo)
    assert not report.passed and report.failures
    assert isinstance(report.failures[0], TestFailure)


def test_timeout_kills_the_run(tmp_path):
    repo = make_repo(tmp_path / "r", {"test_slow.py": "import time\n\ndef test_s():\n    time.sleep(30)\n"})
    report = PytestRunner().run(repo, timeout=3)
    assert report.timed_out and not report.passed and report.seconds < 15


def test_inherited_tests_keep_ids_that_run_again(tmp_path):
    # A test method defined on a base class in tests/__init__.py (cachetools does this):
    # JUnit's file is the base's, which selects nothing; the report's ids must select it.
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("class Base:\n    def test_shared(self):\n        assert self.value == 1\n")
    (tmp_path / "tests" / "test_one.py").write_text("from tests import Base\n\n\nclass TestOne(Base):\n    value = 2\n")
    runner = PytestRunner(f"{sys.executable} -m pytest -q")
    report = runner.run(tmp_path)
    assert report.failed_ids == ["tests/test_one.py::TestOne::test_shared"]
    again = runner.run(tmp_path, report.failed_ids)
    assert again.failed_ids == ["tests/test_one.py::TestOne::test_shared"] and again.collected == 1


def test_a_module_that_fails_to_import_is_reported_under_its_file(tmp_path):
    (tmp_path / "test_broken.py").write_text("import not_installed_anywhere_xyz\n\n\ndef test_x():\n    pass\n")
    (tmp_path / "test_fine.py").write_text("def test_y():\n    pass\n")
    report = PytestRunner(f"{sys.executable} -m pytest -q").run(tmp_path)
    assert report.failed_ids == ["test_broken.py"]
    assert "not_installed_anywhere_xyz" in report.failures[0].details
