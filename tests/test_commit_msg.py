"""Commit messages: grounded model answers, the facts-only fallback, and git's message file."""

from __future__ import annotations

import json
from pathlib import Path

from codeloop.core.commit_msg import SCHEMA, merge_into, write_message
from tests.conftest import git, make_repo, run_cli
from tests.fakes import ScriptedBackend

DIFF = "--- a/shop.py\n+++ b/shop.py\n@@ -1,2 +1,2 @@\n def area(w, h):\n-    return w + h\n+    return w * h\n"


def test_scripted_grounded_answer_becomes_a_conventional_message() -> None:
    answer = {"type": "fix", "scope": "Shop!", "subject": "Restore multiplication in area.", "body": "area added the sides instead of multiplying them."}
    backend = ScriptedBackend([json.dumps(answer)])
    message = write_message(DIFF, backend)
    assert message.text() == (
        "fix(shop): restore multiplication in area\n\n"
        "area added the sides instead of multiplying them.\n\n- shop.py (+1 -1)\n"
    )
    assert backend.history[0].json_schema == SCHEMA and "return w * h" in backend.history[0].messages[-1].content


def test_scripted_answers_that_name_nothing_in_the_diff_fall_back_to_facts() -> None:
    for answer in ('{"type": "feat", "scope": "", "subject": "one short word", "body": ""}', "{cut off", '{"type": "wip"}'):
        message = write_message(DIFF, ScriptedBackend([answer]))
        assert message.header == "chore: update area in shop.py" and not message.from_model


def test_paths_decide_the_type_when_they_can() -> None:
    diff = DIFF.replace("shop.py", "tests/test_shop.py")
    answer = '{"type": "feat", "scope": "", "subject": "check area of squares", "body": ""}'
    assert write_message(diff, ScriptedBackend([answer])).header == "test: check area of squares"


def test_merge_keeps_the_users_message_and_gits_comments() -> None:
    comments = "\n# Please enter the commit message for your changes.\n#\n# On branch main\n"
    assert merge_into(comments, "fix: x\n", "") == "fix: x\n\n# Please enter the commit message for your changes.\n#\n# On branch main\n"
    assert merge_into("my own words\n" + comments, "fix: x\n", "") is None
    assert merge_into(comments, "fix: x\n", "message") is None
    assert merge_into("", "fix: x\n", "commit") is None
    assert merge_into("", "fix: x\n", "template") == "fix: x\n"


def test_cli_fills_gits_message_file_and_leaves_a_given_message(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"shop.py": "def area(w, h):\n    return w + h\n"})
    (repo / "shop.py").write_text("def area(w, h):\n    return w * h\n")
    git(repo, "add", "shop.py")
    msg = repo / ".git" / "COMMIT_EDITMSG"
    msg.write_text("\n# Please enter the commit message\n")
    proc = run_cli("commit-msg", "--no-model", str(msg), cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert msg.read_text() == "chore: update area in shop.py\n\n- shop.py (+1 -1)\n\n# Please enter the commit message\n"
    msg.write_text("wip\n")
    assert run_cli("commit-msg", "--no-model", str(msg), "message", cwd=repo).returncode == 0
    assert msg.read_text() == "wip\n"
    msg.write_text("\n# git's comments only, but the user passed -m (pre-commit says so in the environment)\n")
    before = msg.read_text()
    assert run_cli("commit-msg", "--no-model", str(msg), cwd=repo, env={"PRE_COMMIT_COMMIT_MSG_SOURCE": "message"}).returncode == 0
    assert msg.read_text() == before
    printed = run_cli("commit-msg", "--no-model", "--json", cwd=repo)
    assert json.loads(printed.stdout)["header"] == "chore: update area in shop.py"


def test_cli_nothing_staged(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.py": "x = 1\n"})
    proc = run_cli("commit-msg", "--no-model", cwd=repo)
    assert proc.returncode == 2 and "nothing is staged" in proc.stderr
    msg = tmp_path / "MSG"
    msg.write_text("# comment\n")
    assert run_cli("commit-msg", "--no-model", str(msg), cwd=repo).returncode == 0 and msg.read_text() == "# comment\n"
