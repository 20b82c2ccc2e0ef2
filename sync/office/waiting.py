"""Halls' waiting pulls: `GET /api/v1/pull?cursor=C&wait_s=60` answers at once if the hall's
feed has something after C, else when a commit adds to its feed, else empty after wait_s.

A waiting hall is a future in a dict (a socket and a little memory, no thread, no query). A
wake-up for its feed (sync/office/wakeups.py, from this process or another) marks it; marked
halls are answered together: ONE feed query for all of them however many there are (a
publish to all halls), run in the thread pool. A hall woken but with nothing readable yet (a
transaction that began earlier is still running, so the new rows are not yet readable under
the late-commit-safe cursor) is looked at again a few times shortly after.

Renewals cost no query: the office remembers, per hall, the cursor up to which it last found
the feed settled (nothing readable or about to be after it) and the wake-up count then. A hall
that comes back with that cursor, with no wake-up for it since, waits at once. Halls' "last
seen" times are written for all waiting halls together, every TOUCH_EVERY_S.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fastapi.concurrency import run_in_threadpool

from sync import wire
from sync.office import store
from sync.office.db import OfficeDB
from sync.office.store import Caller
from sync.office.wakeups import FEED, Keys

log = logging.getLogger(__name__)

# After a wake-up that found nothing readable yet (a transaction that began earlier still runs:
# on a busy office, pushes keep one open most of the time): about a minute of looks, batched.
# Densely at first: a recheck is ONE query for every hall due then (a publish to all: all of
# them), and any write transaction of the PostgreSQL cluster (other databases' too) holds the
# horizon back for as long as it runs.
RECHECK_S = (0.05, 0.1, 0.1, 0.15, 0.2, 0.2, 0.2) + (0.25,) * 8 + (0.5,) * 8 + (1.0,) * 10 + (2.0,) * 5 + (5.0,) * 6
BATCH = 2000  # halls per feed query
# Halls answered per turn of the event loop. Each answer resumes a held request (its page
# serialised and sent): a publish to all wakes thousands, and a push or any other request that
# arrives meanwhile should wait for one such turn, not for all of them.
ANSWER_EACH_TURN = 16
TOUCH_EVERY_S = 30.0
SETTLED_FOR_S = 600.0


@dataclass(eq=False)
class Waiter:
    hall_id: int
    cursor: str
    limit: int
    future: asyncio.Future[wire.PullPage]
    rechecks: int = field(default=0)

    @property
    def want(self) -> tuple[int, str, int]:
        return (self.hall_id, self.cursor, self.limit)


class PullWaiters:
    def __init__(self, db: OfficeDB):
        self.db = db
        self.waiting: dict[int, set[Waiter]] = defaultdict(set)
        self._marked: set[Waiter] = set()
        self._flushing = False
        self.queries = 0  # batched feed queries run (tests, bench)
        self.looks = 0  # single halls' first looks (renewals that could not be trusted)
        # Wake-up counts: for one hall, and for all at once ("*"); a stamp is both.
        self._woken_all = 0
        self._woken_hall: dict[int, int] = defaultdict(int)
        # hall -> (cursor, stamp, when noted): nothing is trusted for longer than SETTLED_FOR_S,
        # counted per hall (a shared clock boundary made every waiting hall look at once)
        self.settled: dict[int, tuple[str, tuple[int, ...], float]] = {}
        self._touch: set[int] = set()
        self._toucher: asyncio.Task[None] | None = None
        db.wakeups.subscribe(FEED, self._woken)

    def _stamp(self, hall_id: int) -> tuple[int, int, int]:
        return (self.db.wakeups.epoch, self._woken_all, self._woken_hall.get(hall_id, 0))

    def _note_settled(self, hall_id: int, cursor: str, stamp: tuple[int, ...]) -> None:
        # Only where every writer announces its commits: PostgreSQL (any process, the command
        # line too). On SQLite the command line's publishes wake nobody: renewals look.
        if not self.db.wakeups.postgres:
            return
        if len(self.settled) > 200_000:
            self.settled.clear()
        self.settled[hall_id] = (cursor, stamp, time.monotonic())

    def _trusted(self, hall_id: int, cursor: str) -> bool:
        """Nothing new for this hall after `cursor` since we last looked, and not long ago."""
        noted = self.settled.get(hall_id)
        return (noted is not None and noted[:2] == (cursor, self._stamp(hall_id))
                and time.monotonic() - noted[2] < SETTLED_FOR_S)

    def __len__(self) -> int:
        return sum(len(ws) for ws in self.waiting.values())

    async def pull(self, who: Caller, cursor: str, limit: int, wait_s: float) -> wire.PullPage:
        """The hall's next page; if there is none yet, wait up to `wait_s` for one."""
        await self.db.wakeups.start()
        loop = asyncio.get_running_loop()
        if self._toucher is None:
            self._toucher = loop.create_task(self._touch_loop())
        self._touch.add(who.id)
        waiter = Waiter(who.id, cursor, limit, loop.create_future())
        # Registered BEFORE the first look: a commit between the look and the wait still wakes it.
        self.waiting[who.id].add(waiter)
        timer = loop.call_later(wait_s, self._time_out, waiter)
        try:
            if not self._trusted(who.id, cursor or store.make_cursor(0, 0)):
                # A first look, batched with the other halls' (a restarted process: thousands).
                self.looks += 1
                self._mark([waiter])
            # else nothing since we last looked for this hall: no query, just wait.
            return await waiter.future
        finally:
            timer.cancel()
            self._forget(waiter)

    def _time_out(self, waiter: Waiter) -> None:
        if not waiter.future.done():
            waiter.future.set_result(wire.PullPage(changes=[], cursor=waiter.cursor or store.make_cursor(0, 0),
                                                   more=False, office_time=store.utcnow()))

    async def _touch_loop(self) -> None:
        while True:
            await asyncio.sleep(TOUCH_EVERY_S)
            halls, self._touch = self._touch, set(self.waiting)
            halls |= self._touch
            try:
                await run_in_threadpool(self._touch_halls, sorted(halls))
            except Exception:  # noqa: BLE001 - "last seen" can wait for the next round
                log.exception("could not note %d waiting halls as seen", len(halls))

    def _touch_halls(self, hall_ids: list[int]) -> None:
        with self.db.sessions.begin() as s:
            store.touch_halls(s, hall_ids)

    def _forget(self, waiter: Waiter) -> None:
        ws = self.waiting.get(waiter.hall_id)
        if ws is not None:
            ws.discard(waiter)
            if not ws:
                del self.waiting[waiter.hall_id]
        self._marked.discard(waiter)

    def release_all(self) -> None:
        """Answer every waiting hall with an empty page now (the server is shutting down)."""
        for ws in list(self.waiting.values()):
            for w in ws:
                if not w.future.done():
                    w.future.set_result(wire.PullPage(changes=[], cursor=w.cursor or store.make_cursor(0, 0),
                                                      more=False, office_time=store.utcnow()))

    # --- wake-ups ------------------------------------------------------------------------------

    def _woken(self, keys: Keys) -> None:
        if keys is None:
            self._woken_all += 1
            for ws in self.waiting.values():
                self._marked.update(ws)
        else:
            for k in keys:
                try:
                    hall_id = int(k)
                except ValueError:
                    continue
                self._woken_hall[hall_id] += 1
                self._marked.update(self.waiting.get(hall_id, ()))
        self._kick()

    def _mark(self, waiters: Iterable[Waiter]) -> None:
        self._marked.update(waiters)
        self._kick()

    def _kick(self) -> None:
        if self._marked and not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        try:
            await asyncio.sleep(0)  # gather what arrives in the same loop turn
            while self._marked:
                batch = [w for w in list(self._marked)[:BATCH] if not w.future.done()]
                self._marked.difference_update(batch)
                self._marked = {w for w in self._marked if not w.future.done()}
                if not batch:
                    continue
                wants = list({w.want for w in batch})
                stamps = {w.hall_id: self._stamp(w.hall_id) for w in batch}
                try:
                    pages = await run_in_threadpool(self._look_many, wants)
                except Exception:  # noqa: BLE001 - the waiters stay and are looked at again (or time out)
                    log.exception("could not read the feed of %d waiting halls", len(wants))
                    self._marked.update(batch)
                    await asyncio.sleep(0.5)
                    continue
                answered = 0
                for w in batch:
                    page, settled = pages.get(w.want, (None, False))
                    if page is not None and settled and not page.more:
                        self._note_settled(w.hall_id, page.cursor, stamps[w.hall_id])
                    if w.future.done() or page is None:
                        continue
                    if page.changes:
                        w.future.set_result(page)
                        answered += 1
                        if answered % ANSWER_EACH_TURN == 0:
                            await asyncio.sleep(0)  # these answers go out; requests that came in are read
                    elif w.rechecks < len(RECHECK_S):
                        delay = RECHECK_S[w.rechecks]
                        w.rechecks += 1
                        asyncio.get_running_loop().call_later(delay, self._recheck, w)
        finally:
            self._flushing = False

    def _recheck(self, waiter: Waiter) -> None:
        if waiter.future.done() or waiter not in self.waiting.get(waiter.hall_id, ()):
            return
        self._mark([waiter])

    def _look_many(self, wants: list[tuple[int, str, int]]) -> dict[tuple[int, str, int], Any]:
        self.queries += 1
        with self.db.reading() as s:
            return store.pull_many(s, wants)
