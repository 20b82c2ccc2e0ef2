"""Every kind of outbox row the hall writes (each ticket action, a content edit, a rating) is
what the office's wire schema accepts: the sync worker sends the rows as stored, so a row the
schema refuses would be set aside instead of reaching the office."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kiosk.services.auth import AuthService
from kiosk.services.editor import EditorService
from kiosk.services.ratings import RatingService
from sync import wire
from sync.cache.models import Outbox, Staff
from sync.content import derive_uid
from tests.kiosk.services.queue_world import Clock, add_clerks, make_queue, seed_hall

ENTRY = {"ticket_event": wire.TicketEventEntry, "content": wire.ContentEntry, "rating": wire.RatingEntry}
# every event kind the queue writes (kiosk/services/queue.py)
TICKET_KINDS = {"issued", "called", "recalled", "skipped", "returned", "transferred", "held", "served",
                "cancelled", "expired"}


def rows(cache) -> list[Outbox]:
    with cache.reading() as s:
        return list(s.scalars(select(Outbox).order_by(Outbox.id)))


def validate(row: Outbox) -> wire.BaseModel:
    return ENTRY[row.kind].model_validate({"id": row.uid, "seq": row.id, "kind": row.kind, "payload": row.payload})


def test_every_outbox_row_of_the_queue_and_the_rating_pad_is_a_valid_wire_entry(cache):
    clock = Clock()
    seed_hall(cache)
    add_clerks(cache)
    q, bus = make_queue(cache, clock)
    with cache.reading() as s:
        clerk = s.scalar(select(Staff.id).where(Staff.name == "王芳"))
    stale = q.issue_ticket("civil")  # left waiting: expired the next day
    q.issue_ticket("labor", priority=True)
    q.call_next(1, staff_id=clerk)
    q.recall(1, staff_id=clerk)
    q.skip(1, staff_id=clerk)
    q.return_skipped("A001", staff_id=clerk)
    q.call_next(1, staff_id=clerk)
    q.hold(1, staff_id=clerk)
    q.bring_back(1, "A001", staff_id=clerk)
    q.transfer(1, business_code="health", staff_id=clerk)
    q.issue_ticket("labor")
    q.call_ticket(1, "A002", reason="急事", staff_id=clerk)
    clock.advance(minutes=5)
    finished = q.finish(1, staff_id=clerk)
    RatingService(cache, clock=clock, events=bus).rate(1, finished.uid, "dissatisfied", ["long_wait"], "太慢")
    q.cancel(q.issue_ticket("health").label, reason="重复取号")
    clock.advance(days=1)
    assert q.expire_earlier_days() >= 1

    written = rows(cache)
    entries = [validate(r) for r in written]  # raises, naming the field, on a row the office would refuse
    kinds = {e.payload.event.kind for e in entries if isinstance(e, wire.TicketEventEntry)}
    assert kinds == TICKET_KINDS
    assert {r.kind for r in written} == {"ticket_event", "rating"}
    expired = next(e.payload for e in entries
                   if isinstance(e, wire.TicketEventEntry) and e.payload.ticket.uid == stale.uid
                   and e.payload.event.kind == "expired")
    assert expired.ticket.state == "expired" and expired.event.clerk is None
    called = next(e.payload for e in entries if isinstance(e, wire.TicketEventEntry) and e.payload.event.kind == "called")
    assert called.event.clerk == "王芳" and called.ticket.called_at is not None
    rating = next(e.payload for e in entries if isinstance(e, wire.RatingEntry))
    assert (rating.ticket_uid, rating.level, rating.clerk) == (finished.uid, "dissatisfied", "王芳")


@pytest.fixture
def sample_hall(hall_config):
    from kiosk.hall import Hall

    hall = Hall(hall_config)
    yield hall
    hall.close()


def test_a_content_edit_outbox_row_is_a_valid_wire_entry(sample_hall):
    auth = AuthService(sample_hall.cache)
    auth.add_staff("王芳", "editor", "2468")
    editor = EditorService.for_hall(sample_hall)
    state = editor.load("guide", derive_uid("guide", "MZ-001"))
    state.data["materials"].append({"name": "银行卡复印件", "copies": 2, "form": "copy", "notes": "用于发放保障金"})
    editor.publish(auth.login("王芳", "2468"), state)

    (row,) = [r for r in rows(sample_hall.cache) if r.kind == "content"]
    entry = validate(row)
    assert (entry.payload.kind, entry.payload.base_version, entry.payload.version, entry.payload.author) == (
        "guide", 1, 2, "王芳")
    assert entry.payload.data["materials"][-1]["name"] == "银行卡复印件"
