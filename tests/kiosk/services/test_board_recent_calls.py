"""The LED board's "recent calls": today's calls only, newest first, and found by index seeks
whose work does not grow with the event history (months of it in a real hall), also right
after midnight or in a quiet hall, when today has fewer calls than the board lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, insert, select

from kiosk.services.queue import RECENT_CALLS
from sync.cache.models import BusinessType, Ticket, TicketEvent, Window
from tests.kiosk.services.queue_world import TZ, Clock


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 25, 9, 0, tzinfo=TZ))


def add_history(cache, first_day, days: int, per_day: int = 100) -> None:
    """`days` finished days from `first_day` on: every ticket called at window 1, then served."""
    with cache.transaction() as s:
        business = s.scalar(select(BusinessType.id).where(BusinessType.code == "labor"))
        window = s.scalar(select(Window.id).where(Window.number == 1))
        start = s.scalar(select(Ticket.id).order_by(Ticket.id.desc()).limit(1)) or 0
        tickets, events = [], []
        for d in range(days):
            day = first_day + timedelta(days=d)
            opened = datetime(day.year, day.month, day.day, 9, 0, tzinfo=TZ).astimezone(UTC)
            for n in range(1, per_day + 1):
                start += 1
                at = opened + timedelta(minutes=2 * n)
                tickets.append(dict(id=start, service_day=day, prefix="A", number=n, label=f"A{n:03d}",
                                    business_type_id=business, state="served", window_id=window,
                                    queue_key=at.timestamp(), issued_at=at, called_at=at,
                                    finished_at=at + timedelta(minutes=1), call_count=1))
                for kind, when in (("called", at), ("served", at + timedelta(minutes=1))):
                    events.append(dict(ticket_id=start, kind=kind, at=when, window_id=window,
                                       business_type_id=business, detail={}))
        s.execute(insert(Ticket), tickets)
        s.execute(insert(TicketEvent), events)


class Work:
    """SQLite virtual-machine steps on the cache's connections: how much a view reads, not how long
    it takes (the same count on any machine)."""

    def __init__(self, cache):
        self.steps = 0
        self.statements: list[str] = []
        self.cache = cache
        self.on = False
        event.listen(cache.engine, "checkout", self._checkout)

    def _checkout(self, dbapi_conn, _record, _proxy) -> None:
        dbapi_conn.set_progress_handler(self._step, 10)
        dbapi_conn.set_trace_callback(self._sql)

    def _step(self) -> int:
        if self.on:
            self.steps += 10
        return 0

    def _sql(self, sql: str) -> None:
        if self.on:
            self.statements.append(sql)

    def of(self, view) -> int:
        self.steps, self.statements, self.on = 0, [], True
        try:
            view()
        finally:
            self.on = False
        return self.steps


def test_after_midnight_yesterdays_calls_are_not_recent(q, clock):
    for business in ("labor", "labor", "health"):
        q.issue_ticket(business)
    q.call_next(1)
    q.call_next(3)
    clock.advance(minutes=5)
    q.recall(1)
    assert [c.ticket_label for c in q.board_view().recent] == ["A001", "C001", "A001"]
    clock.t = datetime(2026, 11, 26, 0, 5, tzinfo=TZ).astimezone(UTC)
    assert q.board_view().recent == []
    q.issue_ticket("labor")
    q.call_next(1)
    recent = q.board_view().recent
    assert [(c.window_number, c.ticket_label) for c in recent] == [(1, "A001")]
    assert recent[0].called_at == clock.t  # today's A001, not yesterday's


def test_the_newest_calls_of_all_windows_newest_first(q, clock):
    for _ in range(6):
        q.issue_ticket("labor")
        q.issue_ticket("health")
    called = []
    for i in range(10):
        clock.advance(minutes=1)
        called.append(q.call_next(1 if i % 3 else 3).label)  # ends at window 3
    clock.advance(minutes=1)
    called.append(q.recall(3).label)  # a recall is a call on the board too
    recent = q.board_view().recent
    assert len(recent) == RECENT_CALLS
    assert [c.ticket_label for c in recent] == called[::-1][:RECENT_CALLS]
    times = [c.called_at for c in recent]
    assert times == sorted(times, reverse=True)
    assert {c.business_name for c in recent} == {"劳动保障", "计生卫生"}


def test_board_view_work_does_not_grow_with_the_event_history(q, cache, clock):
    """A quiet morning after months of calls: the view reads today's events, not the history.

    (Walking the events back from the newest until 8 calls were found read all 12,000 of them.)
    """
    today = clock.t.astimezone(TZ).date()
    add_history(cache, today - timedelta(days=3), 3)
    work = Work(cache)
    q.board_view()  # the first view of the day closes earlier days (a write): not measured
    short = work.of(q.board_view)
    add_history(cache, today - timedelta(days=63), 60)  # 12,000 more call/served events
    long = work.of(q.board_view)
    assert q.board_view().recent == []
    assert long < short * 1.2, f"board view: {short} VM steps with 3 days of history, {long} with 63"
    # and every statement it ran on the events is an index seek, not a scan of the table
    on_events = [sql for sql in work.statements if "ticket_event" in sql and sql.lstrip().upper().startswith("SELECT")]
    assert on_events
    with cache.engine.connect() as conn:
        for sql in on_events:
            plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
            assert not [p for p in plan if p.startswith("SCAN")], (sql, plan)
