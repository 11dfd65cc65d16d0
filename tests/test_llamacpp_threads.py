"""How many llama.cpp threads the default backend uses: idle cores, never oversubscribed."""

import os

from codeloop.models import llamacpp


def test_threads_follow_idle_cores(monkeypatch):
    monkeypatch.delenv("CODELOOP_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.2, 0.0, 0.0))
    assert llamacpp.default_threads() == 8
    monkeypatch.setattr(os, "getloadavg", lambda: (5.6, 0.0, 0.0))
    assert llamacpp.default_threads() == 2
    monkeypatch.setattr(os, "getloadavg", lambda: (40.0, 0.0, 0.0))
    assert llamacpp.default_threads() == 1


def test_threads_env_override(monkeypatch):
    monkeypatch.setenv("CODELOOP_THREADS", "3")
    assert llamacpp.default_threads() == 3
    monkeypatch.setenv("CODELOOP_THREADS", "zero")
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert llamacpp.default_threads() == 2
