"""`codeloop generate`'s flow with a scripted model: which tests are visible, and how they judge."""

from codeloop.cli import generate_flow
from codeloop.core.lpw.loop import GenOptions

from tests.conftest import drain, make_repo, snapshot
from tests.fakes import ScriptedBackend

STUB = 'def add(a, b):\n    """Return the sum of a and b."""\n    ...\n\n\ndef untouched():\n    return 1\n'
TEST = "from mathx import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"


def test_scripted_project_tests_that_call_the_function_are_the_visible_tests(tmp_path):
    repo = make_repo(tmp_path / "r", {"mathx.py": STUB, "tests/test_mathx.py": TEST, "tests/test_other.py": "def test_x():\n    assert 1\n"})
    before = snapshot(repo)
    backend = ScriptedBackend(["    return a - b\n```", "    return a + b\n```"])
    outcome = generate_flow.run(f"{repo}/mathx.py::add", None, None, None, [], GenOptions(plan=False), lambda: backend, drain)
    assert outcome.target.test_files == ["tests/test_mathx.py"]
    assert outcome.status == "generated" and outcome.result.stats.programs == 2
    assert "Tests:\n```python\nfrom mathx import add" in backend.history[0].messages[-1].content
    diff = outcome.changes.diff()
    assert "+    return a + b" in diff and "untouched" not in diff.replace(" def untouched():", "")
    assert snapshot(repo) == before  # only the CLI applies, after this returns


def test_scripted_spec_mode_appends_to_a_new_file_with_the_description_as_docstring(tmp_path):
    repo = make_repo(tmp_path / "r", {"test_slug.py": "from slug import slugify\n\n\ndef test_slug():\n    assert slugify('A b') == 'a-b'\n"})
    backend = ScriptedBackend(["text: str) -> str:", "    return text.lower().replace(' ', '-')\n```"])
    outcome = generate_flow.run(None, "Lowercase the text and join words with dashes.", str(repo / "slug.py"), None,
                                [repo / "test_slug.py"], GenOptions(plan=False), lambda: backend, drain)
    assert outcome.status == "generated"
    change = outcome.changes.files[0]
    assert change.path == "slug.py" and change.before == ""
    assert change.after.startswith('def slugify(text: str) -> str:\n    """\n    Lowercase the text and join words with dashes.\n    """\n')
