"""Secret-looking values out of what is sent to a remote model, and back into its answers.

The policy (README, "Secrets"): codeloop never reads git-ignored files into a prompt (the
sandbox and the symbol index hold tracked and non-ignored files only), so an ``.env``
file or an ignored config never reaches a model. A *tracked* file may still hold a key
inside the very function being fixed; for a backend that talks HTTP (``--backend
openai``) every such value is replaced by a placeholder (``REDACTED_SECRET_1``) before
the request leaves, and the placeholder in the answer is put back, so a rewritten
function keeps the user's value without the server ever seeing it.

What counts as secret-looking: known token shapes (OpenAI, GitHub, AWS, Slack, Google,
Stripe, Hugging Face, JWTs, private key blocks) and any value of 8+ non-blank characters
assigned to a name that says secret, token, password, api key, access key or credential.
A false positive costs the model one literal it cannot read; a miss would send a key.
"""

from __future__ import annotations

import re

PLACEHOLDER = "REDACTED_SECRET_{}"

_TOKEN_SHAPES = [
    r"sk-(?:proj-|ant-|live-|test-|svcacct-)?[A-Za-z0-9_\-]{20,}",  # OpenAI, Anthropic
    r"(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})",  # GitHub
    r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",  # AWS access key id
    r"xox[abposr]-[A-Za-z0-9\-]{10,}",  # Slack
    r"AIza[0-9A-Za-z_\-]{35}",  # Google API key
    r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}",  # Stripe
    r"\bhf_[A-Za-z0-9]{30,}",  # Hugging Face
    r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",  # JWT
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
]
_NAME = r"[\w.\-]*(?:secret|token|passw(?:or)?d|passwd|api[_\-]?key|access[_\-]?key|private[_\-]?key|auth[_\-]?key|credential)s?[\w.\-]*"
_ASSIGNED = [
    # key = "value", "key": "value", key: 'value' (code, JSON, YAML)
    re.compile(rf"(?i)\b{_NAME}[\"']?\s*[:=]\s*[rbu]?([\"'])(?P<value>[^\"'\s]{{8,}})\1"),
    # KEY=value in an env or ini file (unquoted): letters and digits both, no brackets or
    # dots, so that code (``token = tokens[0]``, ``token_count = 12345678``) is not taken
    re.compile(rf"(?im)^\s*(?:export\s+)?{_NAME}\s*=\s*(?P<value>(?=[^\s]*[A-Za-z])(?=[^\s]*[0-9])[A-Za-z0-9_\-+/=!@$%^&*~]{{8,}})\s*$"),
]
_SHAPES = re.compile("|".join(f"(?:{shape})" for shape in _TOKEN_SHAPES))


def secrets_in(text: str) -> list[str]:
    """The secret-looking values in ``text``, longest first (a value may contain another)."""
    found = {m.group(0) for m in _SHAPES.finditer(text)}
    for pattern in _ASSIGNED:
        found.update(m.group("value") for m in pattern.finditer(text))
    found = {value for value in found if not value.startswith(PLACEHOLDER.format(""))}
    return sorted(found, key=lambda value: (-len(value), value))


class Redactor:
    """One placeholder per secret for the life of a backend: the same secret gets the
    same placeholder in every request (prompts stay identical, a server's cache works)."""

    def __init__(self) -> None:
        self._placeholder: dict[str, str] = {}  # secret -> placeholder

    def redact(self, text: str) -> str:
        for secret in secrets_in(text):
            if secret not in self._placeholder:
                self._placeholder[secret] = PLACEHOLDER.format(len(self._placeholder) + 1)
        for secret in sorted(self._placeholder, key=len, reverse=True):
            text = text.replace(secret, self._placeholder[secret])
        return text

    def restore(self, text: str) -> str:
        """The answer with every placeholder it kept turned back into its value."""
        if PLACEHOLDER.format("") not in text:
            return text
        # Longest placeholder first: REDACTED_SECRET_12 before REDACTED_SECRET_1.
        for secret, placeholder in sorted(self._placeholder.items(), key=lambda item: -len(item[1])):
            text = text.replace(placeholder, secret)
        return text

    @property
    def count(self) -> int:
        return len(self._placeholder)
