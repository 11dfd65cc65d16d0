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
