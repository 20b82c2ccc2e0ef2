"""The live ticket pages' long polls wait for their hall's next change (`/t/{uid}/live`).

They ride on the office's one wake-up mechanism (sync/office/wakeups.py), as the halls' waiting
pulls do: a push from a hall, or a phone's rating, notes topic "hall-tickets" with the hall's
id in the same transaction as the ticket events, so every server process hears of it once,
and only if, the push commits. A page whose poll landed on any process answers promptly.

Each hall has a generation (wake-ups heard for it, plus those for "everything"); a read made
at one generation is current until the next (sync/office/live_snapshot.py shares one read per
generation among all pages of a hall). A page waits "for a generation after the one it read",
so a wake-up between its read and its wait is not lost. Everything here runs on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict

from sync.office.wakeups import TICKETS, Keys, Wakeups

Generation = tuple[int, int, int]


class LivePages:
    def __init__(self, wakeups: Wakeups):
        self.wakeups = wakeups
        self._woken_all = 0
        self._woken_hall: dict[int, int] = defaultdict(int)
        self._waiters: dict[int, set[asyncio.Future[None]]] = defaultdict(set)
        wakeups.subscribe(TICKETS, self._woken)

    async def start(self) -> None:
        """Before the first read: wake-ups reach this process from then on (idempotent)."""
        await self.wakeups.start()

    def generation(self, hall_id: int) -> Generation:
        # (the epoch: a listener that reconnected may have missed wake-ups; reads before it are stale)
        return (self.wakeups.epoch, self._woken_all, self._woken_hall.get(hall_id, 0))

    async def wait(self, hall_id: int, seen: Generation | None, timeout_s: float) -> bool:
        """Until the hall's generation moves past `seen` (True) or the timeout (False); at once
        if it already has (or `seen` is None: not known)."""
        if self.generation(hall_id) != seen:
            return True
        if timeout_s <= 0:
            return False
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[hall_id].add(future)
        try:
            await asyncio.wait_for(future, timeout_s)
            return True
        except TimeoutError:
            return self.generation(hall_id) != seen
        finally:
            waiting = self._waiters.get(hall_id)
            if waiting is not None:
                waiting.discard(future)
                if not waiting:
                    del self._waiters[hall_id]

    def _woken(self, keys: Keys) -> None:
        if keys is None:
            self._woken_all += 1
            halls = list(self._waiters)
        else:
            halls = []
            for k in keys:
                with contextlib.suppress(ValueError):
                    hall_id = int(k)
                    self._woken_hall[hall_id] += 1
                    halls.append(hall_id)
        for hall_id in halls:
            for future in self._waiters.pop(hall_id, ()):
                if not future.done():
                    future.set_result(None)
