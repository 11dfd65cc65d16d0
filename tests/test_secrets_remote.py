"""Secrets never leave the machine with a remote backend: a local capturing server
(127.0.0.1, real HTTP) keeps every request body of `fix` and `generate --backend openai`.
Git-ignored files (.env, an ignored config) are never read into a prompt; a secret-looking
literal in a tracked file goes out as a placeholder and comes back as itself. (The server
is scripted: the tests are about what codeloop sends, not about model quality.)"""

import json
import re

import pytest

from codeloop.core.redact import Redactor, secrets_in
from codeloop.models.base import CompletionRequest, Message
from codeloop.models.openai_compat import OpenAIBackend

from tests.conftest import make_repo, run_cli
from tests.fakes import Reply, chat_reply, recording_openai_server

OPENAI_KEY = "sk-proj-A1b2C3d4E5f6G7h8I9j0K1l2M3n4"
GITHUB_TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
AWS_ID, AWS_SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DB_PASSWORD = "hunter2hunter2"
TRACKED_TOKEN = "ghp_ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210"
ENV_KEY = "sk-live-envvarEnvvarEnvvarEnvvar0001"  # OPENAI_API_KEY: the Authorization header only
CANARY = "canary-from-an-ignored-file"

IGNORED = {
    ".gitignore": ".env\nsecrets.ini\nlocal_settings.py\n",
    ".env": f"OPENAI_API_KEY={OPENAI_KEY}\nDATABASE_PASSWORD={DB_PASSWORD}\nCOLOUR={CANARY}\n",
    "secrets.ini": f"[github]\ntoken = {GITHUB_TOKEN}\n[aws]\naws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}\n",
    "local_settings.py": f'SECRET_KEY = "{AWS_SECRET}"\nGITHUB = "{GITHUB_TOKEN}"\nNOTE = "{CANARY}"\n\n\ndef add(a, b):\n    return a + b\n',
}
# Nothing secret-looking, so redaction would not hide it: proof that ignored files are never read.
NEVER_SENT = [OPENAI_KEY, GITHUB_TOKEN, AWS_ID, AWS_SECRET, DB_PASSWORD, TRACKED_TOKEN, ENV_KEY, CANARY]

SHAPES = [
    (f'client = OpenAI(api_key="{OPENAI_KEY}")', OPENAI_KEY),
    (f"GH = '{GITHUB_TOKEN}'", GITHUB_TOKEN),
    (f"id = {AWS_ID}", AWS_ID),
    (f'aws_secret_access_key = "{AWS_SECRET}"', AWS_SECRET),
    (f"DATABASE_PASSWORD={DB_PASSWORD}", DB_PASSWORD),
    ('{"auth_token": "abc123def456ghi"}', "abc123def456ghi"),
    ("slack = 'xoxb-1234567890-abcdefghij'", "xoxb-1234567890-abcdefghij"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"),
]


@pytest.mark.parametrize("text, secret", SHAPES)
def test_secret_shapes_are_found(text, secret):
    assert secret in secrets_in(text)


@pytest.mark.parametrize("text", ["password_error = 'too short, try again'", "sha = 'da39a3ee5e6b4b0d3255bfef95601890afd80709'", "token_count = 12345678", "def tokenize(text):"])
def test_ordinary_code_is_not_a_secret(text):
    assert secrets_in(text) == []


def test_redaction_round_trips_and_is_stable():
    redactor = Redactor()
    text = f'key = "{OPENAI_KEY}"\ngh = "{GITHUB_TOKEN}"\n'
    once = redactor.redact(text)
    assert OPENAI_KEY not in once and GITHUB_TOKEN not in once and redactor.count == 2
    assert redactor.redact(text) == once  # the same placeholders every time
    assert redactor.restore(once) == text


def test_the_backend_sends_placeholders_without_the_grammar_and_restores_the_answer():
    def reply(body: dict) -> Reply:
        placeholder = re.search(r"REDACTED_SECRET_\d+", body["messages"][-1]["content"]).group(0)  # type: ignore[union-attr]
        return chat_reply(f'    return "{placeholder}"\n```')

    with recording_openai_server(reply) as (url, bodies):
        backend = OpenAIBackend(base_url=url)
        request = CompletionRequest((Message("user", f'def key():\n    return "{OPENAI_KEY}" + 1\n'),), grammar='root ::= "x"', prefill="```python\ndef key():\n")
        completion = backend.complete(request)
    assert completion.texts == [f'    return "{OPENAI_KEY}"\n```']
    sent = bodies[0].decode()
    assert OPENAI_KEY not in sent and "REDACTED_SECRET_1" in sent and "grammar" not in json.loads(sent)


CALC = f'def add(a, b):\n    """Sum of a and b."""\n    token = "{TRACKED_TOKEN}"\n    return a - b\n'
TEST = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"


def _answer_with_the_placeholder(body: dict) -> Reply:
    found = re.search(r"REDACTED_SECRET_\d+", body["messages"][-1]["content"])
    token = found.group(0) if found else "missing"
    return chat_reply(f'```python\ndef add(a, b):\n    """Sum of a and b."""\n    token = "{token}"\n    return a + b\n```')


def _assert_nothing_secret(bodies: list[bytes]) -> None:
    assert bodies
    for raw in bodies:
        text = raw.decode("utf-8")
        for secret in NEVER_SENT:
            assert secret not in text and secret.replace("/", "\\/") not in text, secret


def test_scripted_fix_over_openai_sends_no_secret_and_keeps_the_users_value(tmp_path):
    repo = make_repo(tmp_path / "r", {"calc.py": CALC, "test_calc.py": TEST, **IGNORED})
    with recording_openai_server(_answer_with_the_placeholder) as (url, bodies):
        proc = run_cli("fix", str(repo), "--backend", "openai", "--base-url", url, "--tiers", "model", "--samples", "2",
                       "--max-rounds", "1", "--no-compare", "--json", "--time-budget", "300", env={"OPENAI_API_KEY": ENV_KEY}, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout)["status"] == "fixed"
    _assert_nothing_secret(bodies)
    assert any(b"REDACTED_SECRET_1" in raw for raw in bodies)  # the function was sent, its key was not
    assert (repo / "calc.py").read_text() == CALC.replace("return a - b", "return a + b")  # the user's token kept


STUB = f'TOKEN = "{TRACKED_TOKEN}"\n\n\ndef add(a, b):\n    """Return the sum.\n\n    >>> add(1, 2)\n    3\n    """\n    ...\n'


def test_scripted_generate_over_openai_sends_no_secret(tmp_path):
    repo = make_repo(tmp_path / "g", {"mathx.py": STUB, **IGNORED})
    with recording_openai_server(lambda body: chat_reply("```python\ndef add(a, b):\n    return a + b\n```")) as (url, bodies):
        proc = run_cli("generate", f"{repo}/mathx.py::add", "--backend", "openai", "--base-url", url, "--json", "--candidates", "1",
                       cwd=repo, env={"OPENAI_API_KEY": ENV_KEY})
    assert proc.returncode == 0, proc.stderr[-3000:]
    _assert_nothing_secret(bodies)
    assert f'TOKEN = "{TRACKED_TOKEN}"' in (repo / "mathx.py").read_text()
