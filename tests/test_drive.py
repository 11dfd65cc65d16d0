"""The one driver (cli/drive.py): questions sent back into generators, answers read from
stdin, the envelope, and how each mode ends."""

from __future__ import annotations

import io
import json
from collections.abc import Generator

import pytest
import typer

from codeloop.cli.drive import Driver, stdin_answers
from codeloop.core.events import Event, Note, Option, Question

QUESTION = Question(1, "What should f(3) return?", [Option("1", "4", "2 programs"), Option("2", "5", "1 program")], default="1")


def asking() -> Generator[Event, str | None, str]:
    """A scripted core loop: one note, one question, returns what it made of the answer."""
    yield Note("before")
    value, answered = QUESTION.resolve((yield QUESTION))
    yield Note("after")
    return f"{value} ({'answered' if answered else 'default'})"


def test_question_resolution_by_id_text_or_default() -> None:
    assert QUESTION.resolve("2") == ("5", True)
    assert QUESTION.resolve(" 7 ") == ("7", True)  # free text: the value itself
    assert QUESTION.resolve("") == ("4", False) and QUESTION.resolve(None) == ("4", False)
    closed = Question(2, "?", list(QUESTION.options), default="2", free_text=False)
    assert closed.resolve("9") == ("5", False)


def test_the_driver_sends_the_answer_back_into_the_generator(capsys: pytest.CaptureFixture[str]) -> None:
    driver = Driver("generate")
    asked: list[Question] = []
    driver.answers = lambda q: asked.append(q) or "2"  # type: ignore[func-returns-value]
    with driver:
        assert driver.drive(asking()) == "5 (answered)"
    assert asked == [QUESTION]
    plain = Driver("generate")  # no answer channel: the question's default
    with plain:
        assert plain.drive(asking()) == "4 (default)"
    assert "note: after" in capsys.readouterr().err


def test_stdin_answers_skip_what_is_not_an_answer_to_this_question(capsys: pytest.CaptureFixture[str]) -> None:
    driver = Driver("generate", events="jsonl")
    stream = io.StringIO('\nnot json\n{"answer": "1", "question": 7}\n["x"]\n{"answer": "2", "question": 1}\n')
    with driver:
        assert stdin_answers(driver, stream)(QUESTION) == "2"
        assert stdin_answers(driver, io.StringIO(""))(QUESTION) is None  # end of input: default
    notes = [json.loads(line)["message"] for line in capsys.readouterr().err.splitlines()]
    assert len(notes) == 3 and "question 7" in notes[1]


def test_jsonl_envelope_and_endings(capsys: pytest.CaptureFixture[str]) -> None:
    clock = iter([10.0, 10.5, 12.25, 13.0]).__next__
    driver = Driver("fix", json_out=True, events="jsonl", clock=clock)
    with pytest.raises(typer.Exit) as ended, driver:
        driver.note("hello")
        driver.finish({"status": "fixed", "diff": ""}, 0)
    assert ended.value.exit_code == 0
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in err.splitlines()]
    assert lines == [
        {"v": 1, "command": "fix", "event": "Note", "t": 0.5, "message": "hello"},
        {"v": 1, "command": "fix", "event": "result", "t": 2.25, "status": "fixed", "diff": ""},
    ]
    assert json.loads(out) == {"status": "fixed", "diff": ""}


def test_exceptions_end_the_run_in_every_mode(capsys: pytest.CaptureFixture[str]) -> None:
    from codeloop.core.errors import InvalidInput
    from codeloop.errors import RefusedError

    cases = [(InvalidInput("lines", "5-2 is not a range"), 2, "--lines 5-2 is not a range"), (RefusedError("no"), 1, "no"),
             (KeyboardInterrupt(), 130, "interrupted; your working tree is unchanged"), (ZeroDivisionError("x"), 1, "internal error (ZeroDivisionError: x); nothing was changed (rerun with codeloop --debug for the traceback)")]
    for exc, code, message in cases:
        driver = Driver("refactor extract-method", events="jsonl")
        with pytest.raises(typer.Exit) as ended, driver:
            raise exc
        assert ended.value.exit_code == code
        lines = capsys.readouterr().err.splitlines()
        result = json.loads(lines[-2] if code == 2 else lines[-1])
        assert result["event"] == "result" and result["message"] == message
        assert (lines[-1] == f"codeloop: {message}") == (code == 2)


def test_a_warning_or_log_line_in_jsonl_mode_is_a_note(capsys: pytest.CaptureFixture[str]) -> None:
    import logging
    import warnings

    driver = Driver("map", events="jsonl")
    with driver:
        warnings.warn("old thing", UserWarning, stacklevel=1)
        logging.getLogger("somelib").warning("disk %s", "full")
    first, second = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert first["event"] == "Note" and "UserWarning: old thing" in first["message"]
    assert second["message"] == "warning: disk full (somelib)"


class _Terminated(BaseException):
    """What a SIGTERM handler raises (cli/signals.py's shape): exit code and message."""

    exit_code = 143

    def message(self) -> str:
        return "codeloop: interrupted (SIGTERM); your working tree is unchanged"


def test_a_signal_exception_ends_like_ctrl_c_with_its_code(capsys: pytest.CaptureFixture[str]) -> None:
    driver = Driver("fix", events="jsonl")
    with pytest.raises(typer.Exit) as ended, driver:
        raise _Terminated()
    assert ended.value.exit_code == 143
    (line,) = capsys.readouterr().err.splitlines()
    assert json.loads(line) == {**json.loads(line), "event": "result", "status": "interrupted", "message": "interrupted (SIGTERM); your working tree is unchanged"}
