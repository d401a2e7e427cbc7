"""Injected faults and rate limit accounting."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Fault:
    """What to do to one call.

    KIND is "status" (respond with STATUS, BODY and HEADERS instead of
    running the call), "delay" (wait SECONDS, then run the call) or "drop"
    (close the connection without a response).
    """

    kind: str
    status: int = 500
    body: Any = None
    headers: dict[str, str] | None = None
    seconds: float = 0.0


class FaultSchedule:
    """Faults keyed by call number, counted from the moment each fault is added.

    Calls are numbered in the order the server reads their request lines.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls_seen = 0
        self._pending: dict[int, list[Fault]] = {}

    def add(self, nth: int, fault: Fault) -> None:
        """Apply FAULT to the NTH next call (1 is the very next one)."""
        if nth < 1:
            raise ValueError(f"call number must be 1 or more, got {nth}")
        with self._lock:
            self._pending.setdefault(self._calls_seen + nth, []).append(fault)

    def next_call(self) -> list[Fault]:
        """Count one more call and return the faults scheduled for it, delays first."""
        with self._lock:
            self._calls_seen += 1
            faults = self._pending.pop(self._calls_seen, [])
        return sorted(faults, key=lambda fault: fault.kind != "delay")

    def clear(self) -> None:
        """Forget every fault that has not fired yet."""
        with self._lock:
            self._pending.clear()


@dataclass(frozen=True)
class RateLimitStatus:
    """The numbers sent in the ``X-RateLimit-*`` headers; EXCEEDED means the call gets a 403."""

    limit: int
    remaining: int
    used: int
    reset: int
    exceeded: bool = False

    def headers(self) -> dict[str, str]:
        """Return GitHub's rate limit headers for this status."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
            "X-RateLimit-Used": str(self.used),
            "X-RateLimit-Resource": "core",
        }


class RateLimiter:
    """Counts calls per caller in a fixed one-hour window, as GitHub's core limit does.

    Limits are GitHub's documented defaults: 5000 calls an hour for a token,
    60 for anonymous callers. Reaching them does not block calls; only
    ``force()`` does, so a test decides when the limit bites.
    """

    AUTHENTICATED_LIMIT = 5000
    ANONYMOUS_LIMIT = 60
    WINDOW_SECONDS = 3600

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: dict[str, int] = {}
        self._reset = int(time.time()) + self.WINDOW_SECONDS
        self._forced_remaining: int | None = None
        self._forced_reset: int | None = None

    def force(self, remaining: int, reset: int | None) -> None:
        """Let REMAINING more calls through, then respond to every call with 403 until ``clear()``.

        RESET is the epoch second reported in ``X-RateLimit-Reset``; None
        keeps the current window end.
        """
        with self._lock:
            self._forced_remaining = remaining
            self._forced_reset = reset

    def clear(self) -> None:
        """Stop forcing the limit; calls are counted normally again."""
        with self._lock:
            self._forced_remaining = None
            self._forced_reset = None

    def consume(self, caller: str, authenticated: bool) -> RateLimitStatus:
        """Count one call by CALLER and return the status to report for it."""
        with self._lock:
            self._roll_window()
            limit = self.AUTHENTICATED_LIMIT if authenticated else self.ANONYMOUS_LIMIT

            if self._forced_remaining is not None:
                reset = self._forced_reset if self._forced_reset is not None else self._reset
                if self._forced_remaining <= 0:
                    return RateLimitStatus(limit, 0, limit, reset, exceeded=True)
                self._forced_remaining -= 1
                return RateLimitStatus(limit, self._forced_remaining, limit - self._forced_remaining, reset)

            used = self._used.get(caller, 0) + 1
            self._used[caller] = used
            return RateLimitStatus(limit, max(limit - used, 0), used, self._reset)

    def peek(self, caller: str, authenticated: bool) -> RateLimitStatus:
        """Return the status of CALLER without counting a call, for ``GET /rate_limit``."""
        with self._lock:
            self._roll_window()
            limit = self.AUTHENTICATED_LIMIT if authenticated else self.ANONYMOUS_LIMIT
            if self._forced_remaining is not None:
                reset = self._forced_reset if self._forced_reset is not None else self._reset
                remaining = max(self._forced_remaining, 0)
                return RateLimitStatus(limit, remaining, limit - remaining, reset)
            used = self._used.get(caller, 0)
            return RateLimitStatus(limit, max(limit - used, 0), used, self._reset)

    def _roll_window(self) -> None:
        now = int(time.time())
        if now >= self._reset:
            self._used.clear()
            self._reset = now + self.WINDOW_SECONDS
