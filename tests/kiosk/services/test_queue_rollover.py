"""Day rollover: tickets of an earlier day still open are closed as "expired" once, with an event
and an outbox entry each, the first time the queue sees the new day; no screen shows them as
waiting or at a window afterwards, and neither does the office's status page."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from kiosk.services import queue as queue_module
from kiosk.services.queue import OPEN, QueueError
from kiosk.services.queue_db import EARLIER_OPEN
from sync import wire
from sync.cache.models import Outbox, Ticket, TicketEvent
from tests.kiosk.services.queue_world import TZ, Clock, Recorder, make_queue, seed_hall


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 25, 16, 0, tzinfo=TZ))


def yesterday_left_open(q, clock) -> dict[str, str]:
    """Tickets of 2026-11-25 in every open state at the end of the day: label -> state."""
    for business in ("labor", "labor", "labor", "labor", "civil", "civil", "health"):
        q.issue_ticket(business)
    q.call_next(1)  # A001 called
    q.skip(1)  # A001 skipped
    q.call_next(1)  # A002 called
    q.hold(1)  # A002 held at window 1
    q.call_next(1)  # A003 called, stays called
    q.call_next(2)  # B001 called
    q.transfer(2, to_window=3)  # B001 waiting for window 3
    q.call_next(3)  # B001 (sent to window 3) called ...
    q.finish(3)  # ... and served: closed already
    q.call_next(4)  # nobody for window 4
    q.cancel("C001")  # closed already
    clock.advance(hours=7, minutes=59)  # 23:59 local
    with q.cache.sessions() as s:
        states = dict(s.execute(select(Ticket.label, Ticket.state)).all())
    assert states == {"A001": "skipped", "A002": "held", "A003": "called", "A004": "waiting", "B001": "served",
                      "B002": "waiting", "C001": "cancelled"}
    return states


def events(cache, kind: str) -> list[tuple[str, dict]]:
    with cache.sessions() as s:
        return [(label, detail) for label, detail in s.execute(
            select(Ticket.label, TicketEvent.detail).join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(TicketEvent.kind == kind).order_by(TicketEvent.id))]


def test_first_action_after_midnight_expires_yesterdays_open_tickets_once(q, cache, clock):
    before = yesterday_left_open(q, clock)
    rec = Recorder(q.events)
    clock.advance(minutes=2)  # 00:01 on the 26th (16:01 UTC, still the 25th in UTC)
    new = q.issue_ticket("labor")
    assert new.label == "A001" and new.people_ahead == 0  # yesterday's A004 is not ahead of anyone

    open_before = {label for label, state in before.items() if state in OPEN}
    expired = events(cache, "expired")
    assert {label for label, _ in expired} == open_before and len(expired) == len(open_before)
    assert {label: d["from_state"] for label, d in expired} == {k: before[k] for k in open_before}
    with cache.sessions() as s:
        rows = {t.label: t for t in s.scalars(select(Ticket).where(Ticket.service_day == date_of("2026-11-25")))}
    assert {label: t.state for label, t in rows.items()} == {
        label: ("expired" if state in OPEN else state) for label, state in before.items()}
    midnight = datetime(2026, 11, 26, tzinfo=TZ)
    assert all(rows[label].finished_at == midnight for label in open_before)  # the end of their day
    assert rows["A002"].window_id is not None  # which window it was held at stays on record

    # announced after the commit, one event per ticket, before the new ticket
    assert rec.topics() == ["ticket.expired"] * len(open_before) + ["ticket.issued"]

    # once: later actions, views and a second service (another console, a restart) add nothing
    q.call_next(1)
    q.window_state(1)
    other, _ = make_queue(cache, clock)
    other.board_view()
    assert other.expire_earlier_days() == 0
    clock.advance(hours=5)
    q.issue_ticket("civil")
    assert len(events(cache, "expired")) == len(open_before)


def date_of(text: str):
    return datetime.fromisoformat(text).date()


def test_every_expiry_has_its_outbox_entry_in_the_wire_format(q, cache, clock):
    before = yesterday_left_open(q, clock)
    clock.advance(minutes=2)
    q.businesses()  # a view is enough to close the day
    with cache.sessions() as s:
        expired = s.scalars(select(TicketEvent).where(TicketEvent.kind == "expired")).all()
        outbox = {o.uid: o for o in s.scalars(select(Outbox))}
    assert len(expired) == sum(state in OPEN for state in before.values())
    for event in expired:
        entry = outbox[event.uid]
        wire.TicketEventEntry.model_validate({"id": entry.uid, "seq": entry.id, "kind": entry.kind,
                                              "payload": entry.payload})
        ticket, ev = entry.payload["ticket"], entry.payload["event"]
        assert ticket["state"] == "expired" and ticket["service_day"] == "2026-11-25"
        assert datetime.fromisoformat(ticket["finished_at"]) == datetime(2026, 11, 25, 16, tzinfo=UTC)  # local midnight
        assert ev["kind"] == "expired" and ev["window_number"] is None
        assert ev["detail"]["from_state"] == before[ticket["label"]]
        assert event.window_id is None  # not a window's action: no window counts it


def test_screens_do_not_show_yesterday_after_midnight(q, cache, clock):
    yesterday_left_open(q, clock)
    clock.advance(minutes=2)
    # the console's first look at the new day, before anyone acts
    state = q.window_state(1)
    assert state.current is None and state.held == [] and state.skipped == []
    assert state.waiting == [] and state.waiting_total == 0
    board = q.board_view()
    assert [c for c in board.calls if not c.paused] == [] and board.recent == []
    assert set(board.waiting.values()) == {0}
    assert {b.code: b.waiting for b in q.businesses()} == {"labor": 0, "civil": 0, "health": 0, "disability": 0}
    # yesterday's called ticket is not "finished" by today's first call: it expired
    q.issue_ticket("labor")
    assert q.call_next(1).label == "A001"
    assert [label for label, _ in events(cache, "served")] == ["B001"]  # yesterday's only served ticket
    with pytest.raises(QueueError, match="找不到号码"):
        q.bring_back(1, "A002")  # labels are today's: yesterday's A002 is gone from the counter


def test_a_restart_on_a_later_day_closes_the_earlier_days(cache, clock):
    seed_hall(cache)
    q, _ = make_queue(cache, clock)
    for _ in range(3):
        q.issue_ticket("health")
    q.call_next(3)
    clock.advance(days=3)  # the hall was closed for the weekend
    restarted, _ = make_queue(cache, clock)
    assert restarted.today_summary() == {}
    with cache.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Ticket).where(Ticket.state == "expired")) == 3


def test_expiry_goes_in_chunks_and_leaves_today_alone(cache, clock, monkeypatch):
    seed_hall(cache)
    q, _ = make_queue(cache, clock)
    monkeypatch.setattr(queue_module, "EXPIRE_CHUNK", 4)
    for i in range(11):
        q.issue_ticket(("labor", "civil")[i % 2])
    units = []
    real_unit = q._unit

    def counting_unit():
        units.append(1)
        return real_unit()

    monkeypatch.setattr(q, "_unit", counting_unit)
    clock.advance(days=1)
    assert q.issue_ticket("labor").label == "A001"
    assert len(units) == 3 + 1  # 11 tickets in transactions of 4, then the new ticket
    with cache.sessions() as s:
        states = Counter(s.scalars(select(Ticket.state)))
    assert states == {"expired": 11, "waiting": 1}


def test_the_sweep_is_index_seeks(q, cache, clock):
    yesterday_left_open(q, clock)
    conn = sqlite3.connect(cache.path)
    try:
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + EARLIER_OPEN,
                                               ("2026-11-26", "2026-11-26", "2026-11-26", 10))]
    finally:
        conn.close()
    assert not [p for p in plan if p.startswith("SCAN")], plan
    assert [p.split(" INDEX ")[1].split()[0] for p in plan if p.startswith("SEARCH")] == [
        "ix_ticket_waiting", "ix_ticket_skipped", "ix_ticket_window"], plan


def test_the_office_status_page_shows_an_expired_ticket_as_expired(q, cache, clock, tmp_path):
    from sync.office import store
    from sync.office.db import OfficeDB
    from sync.office.ticket_page import live_ticket, ticket_page

    yesterday_left_open(q, clock)
    clock.advance(minutes=2)
    q.issue_ticket("labor")
    office = OfficeDB(f"sqlite:///{tmp_path / 'office.sqlite3'}")
    try:
        with office.sessions.begin() as s:
            hall, _token = store.add_hall(s, "幸福社区", "xingfu")
            caller = store.Caller("hall", hall.id, hall.code, hall.name)
        with cache.sessions() as s:
            rows = s.scalars(select(Outbox).order_by(Outbox.id)).all()
        batch = wire.PushBatch(entries=[{"id": o.uid, "seq": o.id, "kind": o.kind, "payload": o.payload}
                                        for o in rows])
        with office.sessions.begin() as s:
            assert {r.status for r in store.push(s, caller, batch).results} == {"stored"}
        with cache.sessions() as s:
            a004 = s.scalar(select(Ticket.uid).where(Ticket.label == "A004"))
        with office.sessions() as s:
            status = store.ticket_status(s, a004)
        assert status.state == "expired" and status.people_ahead is None
        live = live_ticket(status, rated=False, now=clock(), tz=ZoneInfo("Asia/Shanghai"), near_ahead=3,
                           offline_after_s=90)
        html = ticket_page(a004, live, poll_url=f"/t/{a004}/live")
        assert "已过期" in html and "等候中" not in html
    finally:
        office.close()
