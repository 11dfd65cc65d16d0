"""Which server of a pool takes the next request: the scheduling, without any HTTP.

The openai backend asks ``pick`` for a server, reports how each attempt ended
(``finished``) and how each health check went (``checked``); this module only keeps
the books, so it is deterministic: the same sequence of calls and answers gives the
same choices. ``now`` is always passed in (a ``time.monotonic()`` value), never read.

- Bounded concurrency: at most ``slots`` requests in flight per server.
- Health: a server is checked before its first use, and again after a failure or
  after its time marked down, before it takes a request.
- Failover: ``pick(exclude=...)`` skips the servers a request already failed on.
- Marked down: ``fail_limit`` failures in a row take a server out for ``down_seconds``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass
class ServerState:
    url: str
    in_flight: int = 0
    served: int = 0  # requests answered (spreads load evenly among equals)
    failed: int = 0  # attempts and health checks that failed, in all
    failures: int = 0  # in a row; an answered request resets it
    healthy: bool = False  # a health check passed since the last failure
    down_until: float = 0.0


@dataclass(frozen=True)
class Pick:
    url: str
    check_first: bool  # health-check the server before sending it the request


class ServerPool:
    def __init__(self, urls: Iterable[str], slots: int = 1, fail_limit: int = 2, down_seconds: float = 30.0) -> None:
        self.servers = [ServerState(url) for url in dict.fromkeys(urls)]
        if not self.servers:
            raise ValueError("a server pool needs at least one URL")
        self.slots = max(1, slots)
        self.fail_limit = max(1, fail_limit)
        self.down_seconds = down_seconds

    @property
    def capacity(self) -> int:
        """Requests the pool can serve at once when every server is up."""
        return len(self.servers) * self.slots

    def _state(self, url: str) -> ServerState:
        return next(s for s in self.servers if s.url == url)

    def is_down(self, url: str, now: float) -> bool:
        return self._state(url).down_until > now

    def pick(self, now: float, exclude: Iterable[str] = ()) -> Pick | None:
        """A server with a free slot that is not down and not in ``exclude``: the least
        busy, then the one that served fewest, then the first listed. None: wait or fail
        over (see ``usable``)."""
        skip = set(exclude)
        free = [s for s in self.servers if s.url not in skip and s.down_until <= now and s.in_flight < self.slots]
        if not free:
            return None
        best = min(free, key=lambda s: (s.in_flight, s.served, self.servers.index(s)))
        best.in_flight += 1
        return Pick(best.url, check_first=not best.healthy)

    def usable(self, now: float, exclude: Iterable[str] = ()) -> list[str]:
        """Servers that could take the request now or once a slot frees (not down, not
        excluded): empty means waiting is pointless."""
        skip = set(exclude)
        return [s.url for s in self.servers if s.url not in skip and s.down_until <= now]

    def next_up(self) -> float:
        """When the first server marked down comes back (0.0: none is down)."""
        return min((s.down_until for s in self.servers if s.down_until > 0.0), default=0.0)

    def checked(self, url: str, ok: bool, now: float) -> None:
        """A health check's outcome; a failed one counts as a failure (the slot stays taken
        until ``finished`` or ``release``)."""
        state = self._state(url)
        state.healthy = ok
        if not ok:
            self._failed(state, now)

    def finished(self, url: str, ok: bool, now: float) -> None:
        """A request ended: answered (``ok``) or failed (refused, reset, 5xx, timeout)."""
        state = self._state(url)
        state.in_flight = max(0, state.in_flight - 1)
        if ok:
            state.served += 1
            state.failures = 0
            state.healthy = True
        else:
            state.healthy = False
            self._failed(state, now)

    def release(self, url: str) -> None:
        """Give the slot back without a verdict (the request never went out)."""
        state = self._state(url)
        state.in_flight = max(0, state.in_flight - 1)

    def _failed(self, state: ServerState, now: float) -> None:
        state.failed += 1
        state.failures += 1
        # A lone server is never marked down: there is nowhere else to go, and a run that
        # found it once should keep asking (its answers' failures end the model tier instead).
        if state.failures >= self.fail_limit and len(self.servers) > 1:
            state.down_until = now + self.down_seconds
            state.failures = 0  # back after the pause with a clean slate (and a check first)
            state.healthy = False

    def snapshot(self, now: float) -> list[dict[str, object]]:
        """Per-server counts, for --json and tests."""
        return [{"url": s.url, "answered": s.served, "failed": s.failed, "in_flight": s.in_flight, "down": s.down_until > now} for s in self.servers]


def split_urls(given: str | Iterable[str]) -> list[str]:
    """``a,b`` or a list of URLs, stripped of blanks and trailing slashes, in order, once each."""
    parts = given.split(",") if isinstance(given, str) else list(given)
    return list(dict.fromkeys(p.strip().rstrip("/") for p in parts if p.strip()))
