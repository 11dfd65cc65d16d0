"""Deterministic refactorings that compute a ChangeSet (rope's shape: compute, then apply).

Every refusal is one exception type, :class:`RefactorRefused`, whose message says what
the user can change to make the refactoring possible.
"""

from __future__ import annotations

from codeloop.errors import RefusedError


class RefactorRefused(RefusedError):
    """The selection cannot be extracted faithfully; the message says why and what to do."""


__all__ = ["RefactorRefused"]
