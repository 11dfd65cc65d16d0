"""Capability refusal (core/fix/capabilities.py): what a candidate adds to the function it
replaces, read off the AST. Table-driven: each capability refused when new, and allowed
when the original already used it."""

import pytest

from codeloop.core.fix.capabilities import SIZE_FACTOR, SIZE_SLACK, refusal

ORIGINAL = '''import os
import math
from subprocess import run as _run


def add(a, b):
    """Sum of a and b."""
    return a - b


def where():
    return os.getcwd()


def _helper():
    return _run(["true"])


class Box:
    def size(self):
        return len(self.items) - 1
'''


def _add(body: str) -> str:
    """ORIGINAL with add's body replaced by ``body`` (4-space indented lines)."""
    return ORIGINAL.replace("    return a - b\n", "".join(f"    {line}\n" for line in body.split("\n")))


REFUSED = [
    # (what the new body of add does, the capability named in the refusal)
    ("import pytest\nreturn a + b", "import pytest"),
    ("from os import path\nreturn a + b", "import os"),
    ("m = __import__('os')\nreturn a + b", "dynamic import"),
    ("import importlib\nreturn a + b", "import importlib"),
    ("return eval('a + b')", "exec/eval/compile"),
    ("exec('x = 1')\nreturn a + b", "exec/eval/compile"),
    ("return compile('a', 'f', 'eval')", "exec/eval/compile"),
    ("os._exit(0)", "process exit"),
    ("exit(0)", "process exit"),
    ("quit()", "process exit"),
    ("raise SystemExit(0)", "process exit"),
    ("raise KeyboardInterrupt", "process exit"),
    ("return os.environ.get('OPENAI_API_KEY')", "os access"),
    ("_run(['sh', '-c', 'echo'])\nreturn a + b", "subprocess access"),
    ("return _helper() and a + b", "subprocess access"),  # through a module-level helper
    ("return open('/etc/passwd').read()", "file I/O"),
    ("return a + b if self.path.write_text('x') else 0", "file I/O"),
    ("return pytest.skip()", "pytest or the test modules"),
    ("return test_calc.EXPECTED", "pytest or the test modules"),
    ("return a + b if 'test_calc.py' else 0", "pytest or the test modules"),
    ("globals()['add'] = lambda a, b: a + b\nreturn a + b", "module globals"),
    ("global where\nwhere = None\nreturn a + b", "module globals"),
    ("setattr(math, 'pi', 3)\nreturn a + b", "module attribute change"),
    ("math.pi = 3\nreturn a + b", "module attribute change"),
    ("return __builtins__['len']([a, b])", "builtins access"),
    ("return ().__class__.__base__.__subclasses__()", "interpreter internals"),
    ("return getattr(add, '__globals__')", "interpreter internals"),
    ("return a + b + len(str(sys.argv))", "sys access"),
    ("import socket\nreturn a + b", "import socket"),
    ("return ctypes.CDLL(None)", "ctypes access"),
    ("return shutil.rmtree('/')", "shutil access"),
    ("signal.alarm(1)\nreturn a + b", "signal access"),
]


@pytest.mark.parametrize("body, capability", REFUSED, ids=[c for _, c in REFUSED])
def test_a_new_capability_is_refused(body, capability):
    refused = refusal(ORIGINAL, _add(body), test_modules=["test_calc"])
    assert refused is not None and refused.capability == capability, refused
    assert "in add" in str(refused)


ALLOWED = [
    # (the function's original text in ORIGINAL, its candidate): already used, or harmless
    ("    return os.getcwd()\n", "    return os.getcwd() or os.sep\n"),  # where() already used os
    ("    return _run([\"true\"])\n", "    return _run([\"false\"])\n"),  # _helper already ran processes
    ("    return len(self.items) - 1\n", "    return len(self.items)\n"),
    ("    return a - b\n", "    return a + b\n"),
    ("    return a - b\n", "    path = a\n    return path + b\n"),  # a local name, not os.path
    ("    return a - b\n", "    total = a\n    for x in [b]:\n        total += x\n    return total\n"),
    ("    return a - b\n", "    if not isinstance(a, int):\n        raise ValueError('a')\n    return a + b\n"),
    ("    return a - b\n", "    return math.fsum([a, b])\n"),  # a module the file imports, not a powerful one
    ("    return a - b\n", "    return a.replace('x', 'y') + b\n"),  # str.replace is not file I/O
]


@pytest.mark.parametrize("old, new", ALLOWED)
def test_what_the_original_already_did_or_harmless_code_is_allowed(old, new):
    assert refusal(ORIGINAL, ORIGINAL.replace(old, new), test_modules=["test_calc"]) is None


def test_a_function_that_used_os_may_not_start_exiting_the_process():
    after = ORIGINAL.replace("    return os.getcwd()\n", "    os._exit(0)\n")
    refused = refusal(ORIGINAL, after)
    assert refused is not None and refused.capability == "process exit" and "in where" in str(refused)


def test_an_import_at_module_level_is_refused_as_module_code():
    refused = refusal(ORIGINAL, ORIGINAL + "\nimport pytest\npytest.hookimpl = None\n")
    assert refused is not None and refused.capability == "import pytest" and "<module>" in str(refused)


def test_a_new_helper_may_do_what_the_code_it_replaces_did_but_no_more():
    keeps = ORIGINAL.replace("def where():\n    return os.getcwd()\n", "def where():\n    return _cwd()\n\n\ndef _cwd():\n    return os.getcwd()\n")
    assert refusal(ORIGINAL, keeps) is None
    more = keeps.replace("    return os.getcwd()\n", "    return os.system('id')\n").replace("def where():\n    return _cwd()", "def where():\n    return _cwd() + open('x').read()")
    refused = refusal(ORIGINAL, more)
    assert refused is not None and refused.capability == "file I/O"


def test_the_size_bound_is_three_times_plus_a_kilobyte():
    original_size = len('def add(a, b):\n    """Sum of a and b."""\n    return a - b\n'.encode())
    room = SIZE_FACTOR * original_size + SIZE_SLACK - len('def add(a, b):\n    """Sum of a and b."""\n    return a + b  # \n'.encode())
    assert refusal(ORIGINAL, _add("return a + b  # " + "x" * (room - 1))) is None  # a comment: not a capability
    refused = refusal(ORIGINAL, _add("return a + b  # " + "x" * (room + 1)))
    assert refused is not None and refused.capability == "size"
    huge = refusal(ORIGINAL, _add("s = '" + "A" * (4 << 20) + "'\nreturn a + b"))
    assert huge is not None and huge.capability == "size" and "far larger" in str(huge)


def test_syntax_errors_are_refused_and_an_unparsable_original_passes_through():
    assert refusal(ORIGINAL, _add("return (a +")).capability == "syntax"  # type: ignore[union-attr]
    assert refusal("def f(:\n", "import os\n") is None


def test_formatting_and_comments_change_nothing():
    assert refusal(ORIGINAL, ORIGINAL.replace("    return a - b\n", "    return (a - b)  # why\n")) is None


def test_the_validator_check_covers_python_only_and_names_the_file():
    from codeloop.core.changes import ChangeSet, FileChange
    from codeloop.core.fix.context import Candidate
    from codeloop.core.fix.validate import capability_refusal, test_module_names
    from codeloop.plugins import language_for_path

    def candidate(path: str, before: str, after: str) -> Candidate:
        return Candidate(ChangeSet((FileChange(path, before, after),)), "model", "scripted")

    tests = test_module_names(["calc.py", "tests/test_calc.py", "tests/__init__.py", "conftest.py"], language_for_path)
    assert "test_calc" in tests and "__init__" not in tests
    refused = capability_refusal(candidate("calc.py", ORIGINAL, _add("return test_calc.EXPECTED")), language_for_path, tests)
    assert refused is not None and refused[0] == "pytest or the test modules" and refused[1].startswith("calc.py: adds ")
    js = "function add(a, b) {\n  return a - b;\n}\n"
    assert capability_refusal(candidate("calc.js", js, js.replace("return a - b;", "process.exit(0);")), language_for_path, tests) is None


def test_scripted_loop_counts_refused_candidates_by_reason(tmp_path):
    from codeloop.core.events import CandidateChecked
    from codeloop.core.fix.context import FixOptions
    from codeloop.core.fix.model_tier import ModelTier

    from tests.conftest import make_repo, run_repair
    from tests.fakes import ScriptedBackend

    repo = make_repo(tmp_path / "r", {
        "calc.py": "import sys\n\n\ndef add(a, b):\n    return a - b\n",
        "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
    })
    backend = ScriptedBackend(["    sys.exit(0)\n```", "    import pytest\n    pytest.skip()\n```", "    return a + b\n```"])
    options = FixOptions(samples=3, max_rounds=1, time_budget=120, line_samples=0, forms=("function",))
    result, events = run_repair(repo, [ModelTier(lambda: backend)], options)
    assert result.status == "fixed" and result.stats.candidates == 1
    checked = [(e.outcome, e.detail) for e in events if isinstance(e, CandidateChecked)]
    assert [o for o, _ in checked] == ["forbidden", "forbidden", "passed"]
    assert "process exit" in checked[0][1] and "import pytest" in checked[1][1]
    payload = result.to_dict()
    assert payload["forbidden"] == 2 and payload["forbidden_by"] == {"process exit": 1, "import pytest": 1}


def test_reaching_into_other_modules_through_sys_modules_is_new_even_where_sys_was_used():
    # The original calls sys.exit in a branch; the candidate empties the tests' data at
    # import through sys.modules (a default argument): the tests then pass vacuously.
    old = "import sys\n\n\ndef add(a, b):\n    if a is None:\n        sys.exit(2)\n    return a - b\n"
    new = "import sys\n\n\ndef add(a, b, _=sys.modules['testdata'].CASES.clear()):\n    if a is None:\n        sys.exit(2)\n    return a + b\n"
    found = refusal(old, new)
    assert found is not None and found.capability == "other modules' objects", found
    assert refusal(new, new.replace("a + b", "a * b")) is None  # already used: allowed
