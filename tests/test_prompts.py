"""The model tier's prompt: what a developer looks at, read off real pytest output."""

from codeloop.core.fix.callees import signature_of
from codeloop.core.fix.localize import TestContext
from codeloop.core.fix.prompts import failure_facts, feedback_messages, problem_messages, refine_messages

# pytest's JUnit failure text for a HumanEvalFix-style check() (abridged, as pytest writes it).
ASSERTION_DETAILS = """def test_example():
>       check(has_close_elements)

test_solution.py:10: 
_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ 

has_close_elements = <function has_close_elements at 0x7ffa0edab380>

    def check(has_close_elements):
>       assert has_close_elements([1.0, 2.0, 3.0], 0.5) == False
E       assert True == False
E        +  where True = <function has_close_elements at 0x7ffa0edab380>([1.0, 2.0, 3.0], 0.5)

test_solution.py:5: AssertionError"""

RAISED_DETAILS = """def test_first():
>       assert first([]) is None

test_x.py:4: 
_ _ _ _ _ _ _ _ _ _

    def first(items):
>       return items[0]
E       IndexError: list index out of range

x.py:2: IndexError"""


def test_an_assertion_becomes_the_failing_line_and_what_the_call_returned():
    test = TestContext("test_solution.py::test_example", "assert True == False", (), ASSERTION_DETAILS)
    assert failure_facts(test) == (
        "`assert has_close_elements([1.0, 2.0, 3.0], 0.5) == False` failed: has_close_elements([1.0, 2.0, 3.0], 0.5) returned True."
    )


def test_an_exception_names_the_line_it_was_raised_at():
    test = TestContext("test_x.py::test_first", "IndexError: list index out of range", (), RAISED_DETAILS)
    assert failure_facts(test) == "`return items[0]` failed with IndexError: list index out of range"


def test_without_a_traceback_the_message_is_used():
    assert failure_facts(TestContext("t", "exit code 3", ())) == "exit code 3"


def test_long_tests_are_cut_around_the_failing_line_and_long_literals_shortened():
    body = "\n".join(f"    assert f({i}) == {i}" for i in range(30)) + "\n    assert f([" + "1, " * 100 + "]) == 0"
    source = "def check(f):\n" + body
    test = TestContext("t", "", (source,), ">       assert f(20) == 20\nE       assert 21 == 20")
    user = problem_messages([("m.py", "def f(x):\n    return x + 1\n")], [test])[-1].content
    assert "assert f(20) == 20" in user and "assert f(0) == 0" not in user
    assert all(len(line) <= 170 for line in user.splitlines())


def test_every_self_debug_step_extends_the_same_problem_prompt():
    problem = problem_messages([("m.py", "def f(x):\n    return x + 1\n")], [])
    feedback = feedback_messages(problem, "def f(x):\n    return x + 2\n", "`assert f(1) == 1` failed: f(1) returned 3.")
    refine = refine_messages(feedback, "It adds instead of returning x.")
    assert feedback[: len(problem)] == problem and refine[: len(feedback)] == feedback
    assert [m.role for m in refine[len(problem) :]] == ["assistant", "user", "assistant", "user"]


def test_a_signature_keeps_annotations_and_the_docstrings_first_line():
    source = 'def clamp(value: float,\n          low: float = 0.0) -> float:\n    """Keep value in range.\n\n    More."""\n    return value\n'
    assert signature_of(source) == 'def clamp(value: float,\n          low: float = 0.0) -> float: ...  # Keep value in range.'
    assert signature_of("x = 1\n") is None
