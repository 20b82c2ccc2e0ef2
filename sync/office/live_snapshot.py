"""One read of a hall's open tickets per push, shared by all its open ticket pages.

A push wakes every long-polling page of that hall in every server process (sync/office/live.py).
Each page asking the database for its own ticket and the people ahead of it would be a thousand
queries per push with a thousand residents waiting; instead the first page to wake reads the
hall's open tickets of today and yesterday once (the queue order as
sync/office/store.ticket_status counts it) and every page of that hall takes its own state from
that read. Pages of closed tickets (served,
cancelled, expired) are not in it and read their own ticket, as before.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.office.models import Hall, Ticket, utcnow
from sync.office.store import TicketStatus, business_names

OPEN_STATES = ("waiting", "called", "serving", "skipped", "held")


@dataclass
class HallSnapshot:
    generation: Any  # the hall's wake-up generation when read (sync/office/live.py)
    statuses: dict[str, TicketStatus]  # the hall's open tickets by uid
    made_at: float = 0.0  # time.monotonic()


def read_hall(session: Session, hall_id: int, generation: Any, today: date) -> HallSnapshot:
    hall = session.get(Hall, hall_id)
    names = business_names(session, hall_id)  # (as ticket_status names them: this hall's own)
    rows = session.execute(
        select(Ticket.uid, Ticket.label, Ticket.business_code, Ticket.state, Ticket.window_number, Ticket.priority,
               Ticket.issued_at, Ticket.service_day)
        .where(Ticket.hall_id == hall_id, Ticket.service_day >= today - timedelta(days=1),
               Ticket.state.in_(OPEN_STATES))).all()
    # the waiting order of store.ticket_status: priority tickets first, then by issue time
    queues: dict[tuple[date, str], list[Any]] = defaultdict(list)
    for r in rows:
        if r.state == "waiting":
            queues[(r.service_day, r.business_code)].append(r)
    ahead: dict[str, int] = {}
    for queue in queues.values():
        queue.sort(key=lambda r: (not r.priority, r.issued_at))
        for i, r in enumerate(queue):
            ahead[r.uid] = i
    statuses = {
        r.uid: TicketStatus(r.label, r.business_code, names.get(r.business_code, r.business_code), r.state,
                            r.window_number, ahead.get(r.uid), r.issued_at, hall.name if hall else "",
                            hall.last_seen_at if hall else None)
        for r in rows
    }
    return HallSnapshot(generation, statuses, time.monotonic())


class HallSnapshots:
    """The latest read per hall, made once per push however many pages ask (single flight), and
    again after `max_age_s` (the hall's last contact moves on without a push: "大厅离线")."""

    def __init__(self, db: Any, pages: Any, tz: Any, max_age_s: float = 10.0):
        self.db = db
        self.max_age_s = max_age_s
        self.pages = pages
        self.tz = tz
        self._reads: dict[int, tuple[Any, asyncio.Task[HallSnapshot]]] = {}

    async def get(self, hall_id: int) -> HallSnapshot:
        generation = self.pages.generation(hall_id)
        held = self._reads.get(hall_id)
        if held is None or held[0] != generation or self._expired(held[1]):
            task = asyncio.ensure_future(run_in_threadpool(self._read, hall_id, generation))
            self._reads[hall_id] = (generation, task)
            held = (generation, task)
        return await asyncio.shield(held[1])

    def _expired(self, task: asyncio.Task[HallSnapshot]) -> bool:
        if not task.done():
            return False  # being read: wait for it
        if task.cancelled() or task.exception() is not None:
            return True  # (the error went to the pages that waited for it; try again)
        return time.monotonic() - task.result().made_at > self.max_age_s

    def _read(self, hall_id: int, generation: Any) -> HallSnapshot:
        with self.db.reading() as s:
            return read_hall(s, hall_id, generation, utcnow().astimezone(self.tz).date())


