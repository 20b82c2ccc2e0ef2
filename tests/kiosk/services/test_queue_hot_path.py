"""The hot path (issue, call next, finish) writes plain SQL: the rows must be exactly what the ORM
writes, an error anywhere in an action must leave nothing behind, and its queries must stay
index seeks with thousands of tickets waiting."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from sqlalchemy import event, func, select

from kiosk.services.queue_db import QueueDb
from sync import wire
from sync.cache.models import Outbox, Ticket, TicketEvent, new_seq_uid
from tests.kiosk.services.queue_world import make_queue, seed_hall


def raw_rows(cache, sql):
    conn = sqlite3.connect(cache.path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_rows_read_back_through_the_orm_as_written(q, cache, clock):
    issued = q.issue_ticket("labor", priority=True)
    called = q.call_next(1)
    clock.advance(minutes=7)
    finished = q.finish(1)
    with cache.sessions() as s:
        t = s.scalar(select(Ticket).where(Ticket.uid == issued.uid))
        assert (t.label, t.prefix, t.number, t.priority, t.state) == ("A001", "A", 1, True, "served")
        assert t.issued_at == issued.issued_at == called.issued_at
        assert t.called_at == called.called_at and t.finished_at == finished.finished_at
        assert t.service_day == finished.service_day and t.call_count == 1 == finished.call_count
        assert t.window.number == 1 == finished.window_number
        events = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id)).all()
        assert [(e.kind, e.window_id, e.detail) for e in events] == [
            ("issued", None, {"priority": True}), ("called", t.window_id, {"priority": True}),
            ("served", t.window_id, {"service_minutes": 7.0})]
        assert events[1].at == called.called_at
        payload = s.scalar(select(Outbox.payload).where(Outbox.uid == events[2].uid))
    # the wire's JSON (wire.TicketData: UTC times as "...Z"), read back as the office reads it
    assert wire.TicketData.model_validate(payload["ticket"]) == wire.TicketData(
        uid=issued.uid, label="A001", prefix="A", number=1, service_day=t.service_day,
        business_code="labor", priority=True, state="served", window_number=1,
        issued_at=issued.issued_at, called_at=called.called_at, finished_at=finished.finished_at)
    assert set(payload["ticket"]) == set(wire.TicketData.model_fields)
    assert payload["event"]["kind"] == "served" and payload["event"]["window_number"] == 1

    # stored text is byte-for-byte the ORM's own format (string comparisons in SQL depend on it)
    with cache.transaction() as s:
        s.add(Ticket(service_day=t.service_day, prefix="Z", number=1, label="Z001", business_type_id=t.business_type_id,
                     priority=True, state="served", queue_key=1.0, issued_at=issued.issued_at,
                     called_at=called.called_at, finished_at=finished.finished_at))
    rows = raw_rows(cache, "SELECT service_day, priority, issued_at, called_at, finished_at FROM ticket"
                           " WHERE label IN ('A001', 'Z001')")
    assert len(rows) == 2 and rows[0] == rows[1]


def test_an_error_inside_issue_leaves_nothing_behind(q, cache, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(QueueDb, "add_event", broken)
    with pytest.raises(RuntimeError):
        q.issue_ticket("labor")
    monkeypatch.undo()
    assert raw_rows(cache, "SELECT count(*) FROM ticket") == [(0,)]
    assert raw_rows(cache, "SELECT count(*) FROM outbox") == [(0,)]
    assert q.issue_ticket("labor").label == "A001"  # no gap


def test_an_error_inside_call_next_undoes_the_finish_too(q, cache, monkeypatch):
    q.issue_ticket("labor")
    q.issue_ticket("labor")
    q.call_next(1)
    real = QueueDb.add_event

    def broken_on_call(self, ticket, kind, *args, **kwargs):
        if kind == "called":
            raise RuntimeError("disk trouble")
        return real(self, ticket, kind, *args, **kwargs)

    monkeypatch.setattr(QueueDb, "add_event", broken_on_call)
    with pytest.raises(RuntimeError):
        q.call_next(1)  # would finish A001, then call A002
    monkeypatch.undo()
    assert q.ticket("A001").state == "called" and q.ticket("A002").state == "waiting"
    with cache.sessions() as s:
        assert s.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == "served")) == 0
        assert s.scalar(select(func.count()).select_from(Outbox)) == 3
    assert q.call_next(1).label == "A002"


def test_hot_queries_are_index_seeks(cache, clock):
    seed_hall(cache)
    statements: list[str] = []
    event.listen(cache.engine, "connect", lambda conn, _rec: conn.set_trace_callback(statements.append))
    cache.engine.dispose()  # new connections carry the trace
    q, _ = make_queue(cache, clock, priority_rule="ratio")
    for i in range(30):
        q.issue_ticket(("labor", "civil", "disability")[i % 3], priority=i % 4 == 0)
    for w in (1, 2, 3, 1, 2):
        q.call_next(w)
    statements.clear()
    q.issue_ticket("civil")
    q.call_next(2)
    q.finish(2)
    checked = [sql for sql in statements if sql.startswith(("SELECT", "UPDATE")) and "ticket" in sql]
    assert len(checked) >= 8
    conn = sqlite3.connect(cache.path)
    try:
        for sql in checked:
            plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
            scans = [p for p in plan if p.startswith("SCAN") and ("ticket" in p or p.startswith("SCAN t "))]
            assert not scans, (sql, plan)
    finally:
        conn.close()


def test_event_and_outbox_ids_are_time_ordered_uuids(q, cache):
    for _ in range(20):
        q.issue_ticket("labor")
        q.call_next(1)
    with cache.sessions() as s:
        events = s.scalars(select(TicketEvent.uid).order_by(TicketEvent.id)).all()
        outbox = s.scalars(select(Outbox.uid).order_by(Outbox.id)).all()
    assert events == outbox == sorted(events) and len(set(events)) == len(events) == 20 + 1 + 19 * 2
    assert {uuid.UUID(u).version for u in events} == {7}
    ids = [new_seq_uid() for _ in range(10_000)]  # many within one millisecond: still ordered
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    tickets = [t.uid for t in [q.issue_ticket("civil") for _ in range(3)]]
    assert {uuid.UUID(u).version for u in tickets} == {4}  # a public page's id stays random
