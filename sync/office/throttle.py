"""Wrong tokens, counted per source address: after `limit` wrong tokens within `window_s`, that
address is refused (429) until the window has passed, so nobody can try tokens at speed.

Only wrong tokens count: a hall with the right token is never slowed down, and a source that
stops guessing is free again after the window. Per process (each server worker keeps its own).
"""

from __future__ import annotations

import threading
import time
from collections import deque


class WrongTokenThrottle:
    def __init__(self, limit: int = 10, window_s: float = 60.0, max_sources: int = 10_000):
        self.limit = limit
        self.window_s = window_s
        self.max_sources = max_sources
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, source: str, now: float) -> deque[float]:
        seen = self._failures.get(source)
        if seen is None:
            return deque()
        while seen and seen[0] <= now - self.window_s:
            seen.popleft()
        if not seen:
            del self._failures[source]
        return seen

    def retry_after(self, source: str) -> int:
        """Seconds until `source` may try again; 0 = not throttled."""
        now = time.monotonic()
        with self._lock:
            seen = self._recent(source, now)
            if len(seen) < self.limit:
                return 0
            return max(1, int(seen[0] + self.window_s - now + 0.999))

    def failed(self, source: str) -> int:
        """Count one wrong token from `source`; returns how many it sent within the window."""
        now = time.monotonic()
        with self._lock:
            seen = self._recent(source, now)
            if source not in self._failures:
                if len(self._failures) >= self.max_sources:
                    # A flood of sources: forget the quietest half rather than grow without bound.
                    for key in sorted(self._failures, key=lambda k: self._failures[k][-1])[: self.max_sources // 2]:
                        del self._failures[key]
                self._failures[source] = seen
            seen.append(now)
            return len(seen)
