"""A sliding-window rate limit per key (a counter's window, a phone's address): at most
`limit` events in any `period_s` seconds. In memory: a restart forgets it, which is harmless
because a ticket can be rated once anyway; the limit only stops a flood."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimit:
    def __init__(self, limit: int, period_s: float, *, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000):
        self.limit = limit
        self.period_s = period_s
        self._clock = clock
        self._max_keys = max_keys
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Count one event for `key` if it is within the limit; False (not counted) if over."""
        now = self._clock()
        with self._lock:
            if len(self._seen) > self._max_keys:  # a flood of distinct keys: start over
                self._seen.clear()
            times = self._seen.setdefault(key, deque())
            while times and times[0] <= now - self.period_s:
                times.popleft()
            if len(times) >= self.limit:
                return False
            times.append(now)
            return True

    def retry_after_s(self, key: str) -> float:
        with self._lock:
            times = self._seen.get(key)
            if not times or len(times) < self.limit:
                return 0.0
            return max(0.0, times[0] + self.period_s - self._clock())
