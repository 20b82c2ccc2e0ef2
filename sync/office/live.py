"""In-process wake-ups for the live ticket pages: a push from a hall wakes the pages of that
hall's tickets that are waiting for news (long polls), instead of each page asking every few
seconds. One process only: with several server workers, a page whose poll landed on another
worker still learns of the change at its poll's timeout. (A later merge can swap this for the
office's shared wake-up module; the interface is `notify(hall_id)` and `await wait(...)`.)
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict


class HallWakeups:
    def __init__(self) -> None:
        self._waiters: dict[int, set[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]] = defaultdict(set)
        self._generations: dict[int, int] = defaultdict(int)  # changes seen per hall
        self._lock = threading.Lock()

    def notify(self, hall_id: int) -> int:
        """Something of this hall changed (callable from any thread); returns the waiters woken."""
        with self._lock:
            self._generations[hall_id] += 1
            waiters = self._waiters.pop(hall_id, set())
        for loop, future in waiters:
            loop.call_soon_threadsafe(_settle, future)
        return len(waiters)

    async def wait(self, hall_id: int, timeout_s: float) -> bool:
        """Until the hall's next change (True) or the timeout (False)."""
        if timeout_s <= 0:
            return False
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        item = (loop, future)
        with self._lock:
            self._waiters[hall_id].add(item)
        try:
            await asyncio.wait_for(future, timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                waiting = self._waiters.get(hall_id)
                if waiting is not None:
                    waiting.discard(item)
                    if not waiting:
                        self._waiters.pop(hall_id, None)

    def generation(self, hall_id: int) -> int:
        """How many changes of this hall were notified: a read made at one generation is current
        until the next notify."""
        with self._lock:
            return self._generations[hall_id]

    def waiting(self) -> int:
        with self._lock:
            return sum(len(w) for w in self._waiters.values())


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
