"""A conventional-commit message for a diff: the model picks words, facts fill the rest.

The header is schema-constrained (type from a fixed list, short scope and subject) and
checked after; the body ends with the changed files and their line counts, which are
facts a small model cannot get wrong. If the model's answer is unusable the message is
built from the facts alone, so the hook never leaves the user with nothing.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass

from codeloop.core.review.diffs import ChangedFile, parse_diff
from codeloop.models.base import Backend, CompletionRequest, Message

TYPES = ("feat", "fix", "refactor", "perf", "test", "docs", "style", "build", "ci", "chore")
HEADER_LIMIT = 72
SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": list(TYPES)},
        "scope": {"type": "string", "maxLength": 16},
        "subject": {"type": "string", "minLength": 8, "maxLength": 60},
        "body": {"type": "string", "maxLength": 240},
    },
    "required": ["type", "scope", "subject", "body"],
}


@dataclass(frozen=True)
class CommitMessage:
    type: str
    scope: str
    subject: str
    body: str
    from_model: bool

    @property
    def header(self) -> str:
        return f"{self.type}{f'({self.scope})' if self.scope else ''}: {self.subject}"

    def text(self) -> str:
        return self.header + ("\n\n" + self.body if self.body else "") + "\n"


def _stats(changes: list[ChangedFile]) -> list[str]:
    lines = []
    for c in changes:
        added = sum(len(h.added) for h in c.hunks)
        removed = sum(len(h.removed) for h in c.hunks)
        what = "deleted" if c.removed_file else "added" if c.old_path is None else f"+{added} -{removed}"
        lines.append(f"- {c.path} ({what})")
    return lines


def type_from_paths(paths: list[str]) -> str | None:
    """The type when the paths alone decide it (only tests, only docs, only CI)."""
    def is_test(p: str) -> bool:
        return bool(re.search(r"(^|/)(tests?/|test_[^/]*$|[^/]*_test\.py$|conftest\.py$)", p))

    if paths and all(is_test(p) for p in paths):
        return "test"
    if paths and all(p.endswith((".md", ".rst", ".txt")) or p.startswith("docs/") for p in paths):
        return "docs"
    if paths and all(p.startswith((".github/", ".ci/", ".gitlab")) for p in paths):
        return "ci"
    return None


def messages_for(diff: str, limit_chars: int = 3500) -> tuple[Message, ...]:
    shown = diff if len(diff) <= limit_chars else diff[:limit_chars] + "\n... (diff truncated)\n"
    user = (
        f"```diff\n{shown.rstrip()}\n```\n\nWrite the git commit message for this diff as JSON. "
        "The subject says what the diff changes, in the imperative, and names the changed function or file."
    )
    return (Message("system", "You write clear, accurate git commit messages."), Message("user", user))


def _clean_subject(subject: str) -> str:
    subject = " ".join(subject.split()).rstrip(".")
    return subject[:1].lower() + subject[1:] if subject[:2] != subject[:2].upper() else subject


def from_answer(text: str, changes: list[ChangedFile]) -> CommitMessage | None:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("type") not in TYPES:
        return None
    subject = _clean_subject(str(data.get("subject", "")))
    scope = re.sub(r"[^a-z0-9_-]", "", str(data.get("scope", "")).lower())[:16]
    if len(subject) < 8 or not _grounded(subject, changes):
        return None
    kind = type_from_paths([c.path for c in changes]) or str(data["type"])
    message = CommitMessage(kind, scope, subject, "", True)
    if len(message.header) > HEADER_LIMIT:
        message = CommitMessage(kind, "", subject[: HEADER_LIMIT - len(kind) - 2].rstrip(), "", True)
    why = textwrap.fill(" ".join(str(data.get("body", "")).split()), 72)
    return CommitMessage(message.type, message.scope, message.subject, _body(why, changes), True)


def _words(changes: list[ChangedFile]) -> set[str]:
    text = " ".join(c.path for c in changes) + " " + " ".join(h.text for c in changes for h in c.hunks)
    return {w.lower() for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]{2,}", text)}


def _grounded(subject: str, changes: list[ChangedFile]) -> bool:
    """A subject must name something in the diff (a word of it, or a file stem): echoes of the prompt do not."""
    stems = {c.path.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower() for c in changes}
    words = {w.lower() for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]{2,}", subject)}
    return bool(words & (_words(changes) | stems) - {"the", "and", "for", "with", "from", "this", "that", "def", "return"})


def _functions(changes: list[ChangedFile]) -> list[str]:
    names: dict[str, None] = {}
    for c in changes:
        for h in c.hunks:
            for m in re.finditer(r"(?:def|class|function|func|fn)\s+([A-Za-z_][A-Za-z0-9_]*)", h.text):
                names.setdefault(m.group(1), None)
    return list(names)


def _body(why: str, changes: list[ChangedFile]) -> str:
    return "\n\n".join(part for part in (why, "\n".join(_stats(changes))) if part)


def fallback(changes: list[ChangedFile]) -> CommitMessage:
    paths = [c.path for c in changes]
    kind = type_from_paths(paths) or "chore"
    names = ", ".join(p.rsplit("/", 1)[-1] for p in paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    functions = _functions(changes)
    what = f"{', '.join(functions[:2])} in {names}" if functions and len(paths) == 1 else names
    subject = f"update {what}"[: HEADER_LIMIT - len(kind) - 2]
    return CommitMessage(kind, "", subject, _body("", changes), False)


def write_message(diff: str, backend: Backend | None, seed: int = 0, kind: str | None = None, note: str = "") -> CommitMessage:
    """``kind``: the type when the caller knows it (``fix --commit`` commits a fix);
    ``note``: a fact to put first in the body (which failing tests it makes pass)."""
    changes = parse_diff(diff)
    message = fallback(changes)
    if backend is not None and changes:
        answer = backend.complete(CompletionRequest(messages_for(diff), max_tokens=120, json_schema=SCHEMA, seed=seed))
        message = (from_answer(answer.texts[0], changes) if answer.texts else None) or message
    if kind is not None and kind != message.type:
        message = CommitMessage(kind, message.scope, message.subject[: HEADER_LIMIT - len(kind) - 4 - len(message.scope)], message.body, message.from_model)
    if note:
        message = CommitMessage(message.type, message.scope, message.subject, textwrap.fill(note, 72) + "\n\n" + message.body, message.from_model)
    return message


def merge_into(existing: str, generated: str, source: str) -> str | None:
    """The new contents of git's message file, or None to leave it as it is.

    A message the user gave (-m, -F, amend, merge, squash) or a template they filled in
    is theirs: untouched. Otherwise ours goes on top and git's comment lines stay below.
    """
    if source in ("message", "commit", "merge", "squash"):
        return None
    content = [ln for ln in existing.splitlines() if ln.strip() and not ln.startswith("#")]
    if content:
        return None
    comments = existing.lstrip("\n")
    return generated.rstrip("\n") + "\n" + ("\n" + comments if comments else "")
