"""The queue's statements: plain SQL on the cache's own connections, and the rows it reads.

Issuing, calling and finishing run on every button press with thousands of tickets waiting.
The ORM cost ~0.1-0.3 ms of Python per statement (object loading, unit of work, statement
building); plain SQL on the same pooled sqlite3 connection costs microseconds. So every queue
action and view goes through here, in `writing` (BEGIN IMMEDIATE ... COMMIT) or `reading` (a
deferred BEGIN on a WAL snapshot, which never waits for a writer nor holds one up). Values are
converted by the model columns' own type processors, so rows written here are byte-for-byte
what the ORM writes (dates, naive-UTC times, JSON); tests/kiosk/services/test_queue_hot_path.py
checks it. The queue's rules (kiosk/services/queue_rules.py) decide; this module only reads
and writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from kiosk.services.queue_views import TicketView
from sync import wire
from sync.cache.models import Ticket, TicketEvent, new_seq_uid
from sync.columns import utcnow

# Open tickets of days before ? (the three are the same date), each part a seek on a partial
# index whatever the history's size: waiting (ix_ticket_waiting), skipped (ix_ticket_skipped),
# and the few at a window (ix_ticket_window: open tickets have no finished_at; "+service_day"
# keeps the planner off the numbering index, a range over all past days). No ORDER BY: it
# would turn the seeks into scans in id order.
EARLIER_OPEN = (
    "SELECT id FROM ticket WHERE state = 'waiting' AND service_day < ?"
    " UNION ALL SELECT id FROM ticket WHERE state = 'skipped' AND service_day < ?"
    " UNION ALL SELECT id FROM ticket WHERE window_id IS NOT NULL AND finished_at IS NULL"
    " AND state IN ('called', 'serving', 'held') AND +service_day < ?"
    " LIMIT ?"
)

# The board's recent calls, one window at a time: a backward walk of ix_ticket_event_window from
# the window's newest event that stops at the day's start, so it reads today's events of that
# window at most. (One query over all windows ordered by id walked the whole event history
# whenever today had fewer than the board's calls: after midnight, in a quiet hall.) The
# index's entries end with the rowid, so "at DESC, id DESC" is its own order: no sort.
_RECENT_CALLS = (
    "SELECT e.at, e.id, t.label, b.name FROM ticket_event e"
    " JOIN ticket t ON t.id = e.ticket_id JOIN business_type b ON b.id = t.business_type_id"
    " WHERE e.window_id = ? AND e.at >= ? AND e.kind IN ('called', 'recalled')"
    " ORDER BY e.at DESC, e.id DESC LIMIT ?"
)

_TICKET_COLS = (
    "t.id, t.uid, t.service_day, t.prefix, t.number, t.label, t.business_type_id, t.priority, t.state,"
    " t.window_id, t.queue_key, t.issued_at, t.called_at, t.finished_at, t.call_count, b.code, b.name, w.number"
)
_TICKET_FROM = (
    "FROM ticket t JOIN business_type b ON b.id = t.business_type_id"
    ' LEFT JOIN "window" w ON w.id = t.window_id'
)
_TICKETS = f"SELECT {_TICKET_COLS} {_TICKET_FROM}"
_BUSINESSES = "SELECT id, code, name, name_en, prefix, avg_service_minutes, active FROM business_type"
_WAITING = "SELECT count(*) FROM ticket WHERE service_day = ? AND state = 'waiting' AND business_type_id = ?"


@dataclass
class TicketRow:
    """A ticket as the queue reads and changes it (with its business and window named)."""

    id: int
    uid: str
    service_day: date
    prefix: str
    number: int
    label: str
    business_type_id: int
    priority: bool
    state: str
    window_id: int | None
    queue_key: float
    issued_at: datetime
    called_at: datetime | None
    finished_at: datetime | None
    call_count: int
    business_code: str
    business_name: str
    window_number: int | None

    def view(self) -> TicketView:
        return TicketView(
            uid=self.uid, label=self.label, business_code=self.business_code, business_name=self.business_name,
            priority=self.priority, state=self.state, window_number=self.window_number if self.window_id else None,
            issued_at=self.issued_at, called_at=self.called_at, finished_at=self.finished_at,
            call_count=self.call_count, service_day=self.service_day,
        )


@dataclass(frozen=True)
class WindowRow:
    id: int
    number: int
    name: str
    paused: bool


@dataclass(frozen=True)
class BusinessRow:
    id: int
    code: str
    name: str
    name_en: str
    prefix: str
    avg_service_minutes: int
    active: bool


class Codecs:
    """Python <-> SQLite value conversion exactly as the model columns do it."""

    def __init__(self, dialect: Any):
        cols = Ticket.__table__.c
        self.dt_in, self.dt_out = _processors(cols.issued_at.type, dialect)
        self.day_in, self.day_out = _processors(cols.service_day.type, dialect)
        self.json_in, self.json_out = _processors(TicketEvent.__table__.c.detail.type, dialect)


def _processors(type_: Any, dialect: Any) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """The (bind, result) converters SQLAlchemy itself uses for this column type on this dialect."""
    impl = type_.dialect_impl(dialect)
    bind = impl.bind_processor(dialect) or (lambda v: v)
    result = impl.result_processor(dialect, None) or (lambda v: v)
    return bind, result


@contextmanager
def writing(cache: Any, codecs: Codecs) -> Iterator[QueueDb]:
    """One unit of work, like Cache.transaction() minus the ORM session.

    The same pooled connection (WAL, synchronous=FULL, busy timeout) and BEGIN IMMEDIATE, so
    two consoles are serialised exactly as with the ORM; committed when the block ends, rolled
    back on any exception. The session's bookkeeping was a tenth of an issue's time.
    """
    pooled = cache.engine.raw_connection()
    try:
        raw = pooled.driver_connection
        raw.execute("BEGIN IMMEDIATE")
        try:
            yield QueueDb(raw, codecs)
        except BaseException:
            if raw.in_transaction:
                raw.execute("ROLLBACK")
            raise
        raw.execute("COMMIT")
        cache.wrote()  # counted for the background checkpoint (the ORM's commits count themselves)
    finally:
        pooled.close()  # back to the pool (which rolls back anything left open)


@contextmanager
def reading(cache: Any, codecs: Codecs) -> Iterator[QueueDb]:
    """Reads only, like Cache.reading(): a plain (deferred) BEGIN on a WAL snapshot, so a view
    never waits for the write lock nor makes a counter action wait. Do not write in it."""
    pooled = cache.engine.raw_connection()
    try:
        raw = pooled.driver_connection
        raw.execute("BEGIN")
        try:
            yield QueueDb(raw, codecs)
        finally:
            if raw.in_transaction:
                raw.execute("ROLLBACK")
    finally:
        pooled.close()


def _business_row(r: tuple[Any, ...]) -> BusinessRow:
    return BusinessRow(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]))


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


class QueueDb:
    """A sqlite3 connection inside an open transaction, with the value codecs and the queue's
    statements. Lookups return None where nothing matches: the service words the refusal."""

    def __init__(self, raw: sqlite3.Connection, codecs: Codecs):
        self.raw = raw
        self.c = codecs

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        return self.raw.execute(sql, params).fetchone()

    def all(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.raw.execute(sql, params).fetchall()

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Execute a write; returns the new row id (for INSERTs)."""
        return self.raw.execute(sql, params).lastrowid

    # -- tickets ----------------------------------------------------------------------------

    def ticket_row(self, r: tuple[Any, ...]) -> TicketRow:
        c = self.c
        return TicketRow(r[0], r[1], c.day_out(r[2]), r[3], r[4], r[5], r[6], bool(r[7]), r[8], r[9], r[10],
                         c.dt_out(r[11]), c.dt_out(r[12]), c.dt_out(r[13]), r[14], r[15], r[16], r[17])

    def tickets(self, where: str, params: tuple[Any, ...]) -> list[TicketRow]:
        return [self.ticket_row(r) for r in self.all(f"{_TICKETS} {where}", params)]

    def ticket_by_id(self, ticket_id: int) -> TicketRow:
        return self.ticket_row(self.one(f"{_TICKETS} WHERE t.id = ?", (ticket_id,)))

    def ticket(self, key: str, day: date) -> TicketRow | None:
        """By uid (any day) or by label (`day`'s ticket of that label)."""
        if len(key) == 36:
            r = self.one(f"{_TICKETS} WHERE t.uid = ?", (key,))
        else:
            r = self.one(f"{_TICKETS} WHERE t.label = ? AND t.service_day = ?", (key.upper(), self.c.day_in(day)))
        return self.ticket_row(r) if r is not None else None

    def current(self, window_id: int) -> TicketRow | None:
        """The ticket at the window (called or being served), the latest called if several."""
        # "finished_at IS NULL" (true of every open ticket) lets it use ix_ticket_window
        r = self.one(f"{_TICKETS} WHERE t.window_id = ? AND t.finished_at IS NULL"
                     " AND t.state IN ('called', 'serving') ORDER BY t.called_at DESC LIMIT 1", (window_id,))
        return self.ticket_row(r) if r is not None else None

    def earlier_open(self, day: date, limit: int) -> list[int]:
        """Ids of up to `limit` open tickets of days before `day`, in id order."""
        return sorted(r[0] for r in self.all(EARLIER_OPEN, (self.c.day_in(day),) * 3 + (limit,)))

    def waiting_at(self, window_id: int, day: date, business_ids: list[int], limit: int, *,
                   by_priority: bool) -> tuple[list[TicketRow], int]:
        """The first `limit` tickets a window may call, in its calling order (see
        queue_rules.next_ticket): sent to this window, priority (`by_priority`), the window's
        business order (`business_ids`), age; and how many there are in all. Sorted and cut in
        SQL, so thousands waiting are not loaded for the first `limit`."""
        marks = ", ".join("?" * len(business_ids))
        where = ("WHERE t.service_day = ? AND t.state = 'waiting'"
                 f" AND (t.window_id = ? OR (t.window_id IS NULL AND t.business_type_id IN ({marks})))")
        params = (self.c.day_in(day), window_id, *business_ids)
        order, ranks = ["t.window_id IS NULL"], []
        if by_priority:
            order.append("t.priority DESC")
        if business_ids:
            order.append(f"CASE t.business_type_id {' '.join('WHEN ? THEN ?' for _ in business_ids)} ELSE 99 END")
            ranks = [v for rank, bid in enumerate(business_ids) for v in (bid, rank)]
        rows = self.tickets(f"{where} ORDER BY {', '.join(order)}, t.queue_key, t.id LIMIT ?",
                            (*params, *ranks, limit))
        return rows, self.one(f"SELECT count(*) FROM ticket t {where}", params)[0]

    def skipped(self, day: date, business_ids: list[int]) -> list[TicketRow]:
        """The day's skipped tickets of these businesses, by number."""
        marks = ", ".join("?" * len(business_ids))
        return self.tickets(f"WHERE t.service_day = ? AND t.state = 'skipped' AND t.business_type_id IN ({marks})"
                            " ORDER BY t.number", (self.c.day_in(day), *business_ids))

    def held_at(self, window_id: int) -> list[TicketRow]:
        return self.tickets("WHERE t.window_id = ? AND t.finished_at IS NULL AND t.state = 'held'", (window_id,))

    def last_issued(self, day: str, prefix: str) -> tuple[int, datetime] | None:
        """The day's highest number of a prefix and when it was issued."""
        r = self.one("SELECT number, issued_at FROM ticket WHERE service_day = ? AND prefix = ?"
                     " ORDER BY number DESC LIMIT 1", (day, prefix))
        return (r[0], self.c.dt_out(r[1])) if r is not None else None

    def insert_ticket(self, t: TicketRow) -> int:
        return self.run(
            "INSERT INTO ticket (uid, service_day, prefix, number, label, business_type_id, priority, state,"
            " window_id, queue_key, issued_at, called_at, finished_at, call_count)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting', NULL, ?, ?, NULL, NULL, 0)",
            (t.uid, self.c.day_in(t.service_day), t.prefix, t.number, t.label, t.business_type_id,
             int(t.priority), t.queue_key, self.c.dt_in(t.issued_at)))

    def count_waiting(self, day: str, business_id: int, *, priority: bool | None = None,
                      ahead_of: TicketRow | None = None) -> int:
        """Tickets waiting for a business: of one kind if `priority` is given, and only those ahead
        of `ahead_of` in queue order if given. One counted range of ix_ticket_waiting."""
        sql, params = _WAITING, [day, business_id]
        if priority is not None:
            sql += " AND priority = ?"
            params.append(int(priority))
        if ahead_of is not None:
            sql += " AND (queue_key < ? OR (queue_key = ? AND id < ?))"
            params += [ahead_of.queue_key, ahead_of.queue_key, ahead_of.id]
        return self.one(sql, tuple(params))[0]

    def waiting_keys(self, ticket: TicketRow) -> list[float]:
        """Queue keys of the other tickets waiting for `ticket`'s business on its day, in order."""
        rows = self.all("SELECT queue_key FROM ticket WHERE service_day = ? AND state = 'waiting'"
                        " AND business_type_id = ? AND id != ? ORDER BY queue_key",
                        (self.c.day_in(ticket.service_day), ticket.business_type_id, ticket.id))
        return [r[0] for r in rows]

    def first_waiting(self, day: str, business_id: int, priority: bool, window_id: int) -> int | None:
        """Id of the oldest waiting ticket of one business and kind a window may call (an index seek)."""
        r = self.one("SELECT id FROM ticket WHERE service_day = ? AND state = 'waiting' AND business_type_id = ?"
                     " AND priority = ? AND (window_id IS NULL OR window_id = ?) ORDER BY queue_key, id LIMIT 1",
                     (day, business_id, int(priority), window_id))
        return r[0] if r else None

    def first_sent_to(self, window_id: int, day: str, *, by_priority: bool) -> int | None:
        """Id of the first ticket transferred to this very window and waiting there."""
        order_by = "priority DESC, queue_key, id" if by_priority else "queue_key, id"
        r = self.one(f"SELECT id FROM ticket WHERE window_id = ? AND finished_at IS NULL AND state = 'waiting'"
                     f" AND service_day = ? ORDER BY {order_by} LIMIT 1", (window_id, day))
        return r[0] if r else None

    def set_called(self, t: TicketRow) -> None:
        self.run("UPDATE ticket SET state = 'called', window_id = ?, called_at = ?, finished_at = NULL,"
                 " call_count = ? WHERE id = ?", (t.window_id, self.c.dt_in(t.called_at), t.call_count, t.id))

    def set_closed(self, t: TicketRow) -> None:
        """Served, cancelled or expired: the state and finished_at."""
        self.run("UPDATE ticket SET state = ?, finished_at = ? WHERE id = ?",
                 (t.state, self.c.dt_in(t.finished_at), t.id))

    def set_state(self, t: TicketRow) -> None:
        """Skipped or held: the state only (an open ticket has no finished_at)."""
        self.run("UPDATE ticket SET state = ?, finished_at = NULL WHERE id = ?", (t.state, t.id))

    def set_call_count(self, t: TicketRow) -> None:
        self.run("UPDATE ticket SET call_count = ? WHERE id = ?", (t.call_count, t.id))

    def set_waiting(self, t: TicketRow) -> None:
        """Back in a queue (returned, transferred): business, window and place."""
        self.run("UPDATE ticket SET state = 'waiting', business_type_id = ?, window_id = ?, queue_key = ?"
                 " WHERE id = ?", (t.business_type_id, t.window_id, t.queue_key, t.id))

    def counts_by_state(self, day: date) -> dict[str, int]:
        return dict(self.all("SELECT state, count(*) FROM ticket WHERE service_day = ? GROUP BY state",
                             (self.c.day_in(day),)))

    def waiting_by_business(self, day: date) -> dict[int, int]:
        return dict(self.all("SELECT business_type_id, count(*) FROM ticket WHERE service_day = ?"
                             " AND state = 'waiting' GROUP BY business_type_id", (self.c.day_in(day),)))

    def avg_service(self, day: date, recent: int, *, business_id: int | None = None,
                    window_id: int | None = None) -> float | None:
        """Average minutes from call to finish over the day's `recent` latest served tickets."""
        sql = "SELECT called_at, finished_at FROM ticket WHERE service_day = ? AND state = 'served'"
        params: list[Any] = [self.c.day_in(day)]
        if business_id is not None:
            sql += " AND business_type_id = ?"
            params.append(business_id)
        if window_id is not None:
            sql += " AND window_id = ?"
            params.append(window_id)
        sql += " AND called_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?"
        params.append(recent)
        # averaged by SQLite (converting each row's two times in Python cost a tenth of an issue);
        # seconds rounded to the millisecond, the precision julianday() keeps
        row = self.one("SELECT avg(round((julianday(finished_at) - julianday(called_at)) * 86400.0, 3)) / 60.0"
                       f" FROM ({sql})", tuple(params))
        return row[0] if row else None

    # -- windows and businesses -------------------------------------------------------------

    def window(self, number: int | None) -> WindowRow | None:
        r = self.one('SELECT id, number, name, paused FROM "window" WHERE number = ?', (number,))
        return WindowRow(r[0], r[1], r[2], bool(r[3])) if r is not None else None

    def all_windows(self) -> list[WindowRow]:
        return [WindowRow(r[0], r[1], r[2], bool(r[3]))
                for r in self.all('SELECT id, number, name, paused FROM "window" ORDER BY number')]

    def set_paused(self, window: WindowRow, paused: bool) -> None:
        # updated_at as the model's onupdate sets it (the PC's clock: a content field)
        self.run('UPDATE "window" SET paused = ?, updated_at = ? WHERE id = ?',
                 (int(paused), self.c.dt_in(utcnow()), window.id))

    def window_businesses(self, window_id: int) -> list[tuple[int, str, str]]:
        """(id, code, name) of the businesses a window serves, in the window's calling order."""
        return self.all("SELECT ws.business_type_id, b.code, b.name FROM window_service ws"
                        " JOIN business_type b ON b.id = ws.business_type_id"
                        " WHERE ws.window_id = ? ORDER BY ws.priority", (window_id,))

    def serving_windows(self, business_id: int, *, open_only: bool = False) -> int:
        """Windows that serve a business (not paused, with `open_only`)."""
        sql = ('SELECT count(*) FROM window_service ws JOIN "window" w ON w.id = ws.window_id'
               " WHERE ws.business_type_id = ?")
        return self.one(sql + " AND w.paused = 0" if open_only else sql, (business_id,))[0]

    def business(self, code: str) -> BusinessRow | None:
        r = self.one(f"{_BUSINESSES} WHERE code = ?", (code,))
        return _business_row(r) if r is not None else None

    def business_by_id(self, business_id: int) -> BusinessRow:
        return _business_row(self.one(f"{_BUSINESSES} WHERE id = ?", (business_id,)))

    def active_businesses(self) -> list[BusinessRow]:
        return [_business_row(r) for r in self.all(f"{_BUSINESSES} WHERE active = 1 ORDER BY id")]

    # -- events -----------------------------------------------------------------------------

    def add_event(self, ticket: TicketRow, kind: str, now: datetime, window: WindowRow | None,
                  staff_id: int | None, detail: dict[str, Any]) -> str:
        """Append the event and its outbox row; both commit with the ticket change or not at all.

        Returns the event's uid, which is also the outbox entry's: time-ordered, so the outbox's
        unique index on it grows at its end (one page per action, not a random one).
        """
        uid = new_seq_uid()
        at = self.c.dt_in(now)
        self.run("INSERT INTO ticket_event (uid, ticket_id, kind, at, window_id, staff_id, business_type_id, detail)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 (uid, ticket.id, kind, at, window.id if window else None, staff_id, ticket.business_type_id,
                  self.c.json_in(detail)))
        event = {"uid": uid, "kind": kind, "at": _utc(now), "window_number": window.number if window else None,
                 "business_code": ticket.business_code, "detail": detail}
        if staff_id is not None:  # the office's statistics per clerk (a primary-key lookup)
            row = self.one("SELECT name FROM staff WHERE id = ?", (staff_id,))
            if row is not None:
                event["clerk"] = str(row[0])[:50]
        # The wire's own shape, not validated here: a row the office would refuse is set aside
        # by the sync worker with its reason (sync/client.py), it never stops a ticket.
        payload = wire.TicketEventPayload.model_construct(
            ticket=wire.TicketData.model_construct(
                uid=ticket.uid, label=ticket.label, prefix=ticket.prefix, number=ticket.number,
                service_day=ticket.service_day, business_code=ticket.business_code,
                priority=ticket.priority, state=ticket.state,
                window_number=ticket.window_number if ticket.window_id else None,
                issued_at=_utc(ticket.issued_at), called_at=_utc(ticket.called_at),
                finished_at=_utc(ticket.finished_at)),
            event=wire.EventData.model_construct(**event),
        ).model_dump(mode="json", exclude_unset=True)
        self.run("INSERT INTO outbox (uid, kind, payload, created_at, attempts, last_error, result)"
                 " VALUES (?, 'ticket_event', ?, ?, 0, '', '')", (uid, self.c.json_in(payload), at))
        return uid

    def events_by_kind(self, window_id: int, since: datetime, kinds: Sequence[str]) -> dict[str, int]:
        """How many events of each kind a window had since a time."""
        marks = ", ".join("?" * len(kinds))
        return dict(self.all(f"SELECT kind, count(*) FROM ticket_event WHERE window_id = ? AND at >= ?"
                             f" AND kind IN ({marks}) GROUP BY kind", (window_id, self.c.dt_in(since), *kinds)))

    def last_call_details(self, window_id: int, since: datetime, limit: int) -> list[dict[str, Any] | None]:
        """The details of a window's last `limit` calls since a time, newest first."""
        rows = self.all("SELECT detail FROM ticket_event WHERE window_id = ? AND kind = 'called' AND at >= ?"
                        " ORDER BY id DESC LIMIT ?", (window_id, self.c.dt_in(since), limit))
        return [self.c.json_out(raw) if raw is not None else None for (raw,) in rows]

    def last_called_at(self, ticket_id: int) -> datetime | None:
        """When a ticket was last called or recalled."""
        r = self.one("SELECT at FROM ticket_event WHERE ticket_id = ? AND kind IN ('called', 'recalled')"
                     " ORDER BY id DESC LIMIT 1", (ticket_id,))
        return self.c.dt_out(r[0]) if r is not None else None

    def recent_calls(self, window_id: int, since: datetime, limit: int) -> list[tuple[datetime, int, str, str]]:
        """(at, event id, label, business name) of a window's latest calls since a time, newest first."""
        rows = self.all(_RECENT_CALLS, (window_id, self.c.dt_in(since), limit))
        return [(self.c.dt_out(at), event_id, label, business) for at, event_id, label, business in rows]

    def add_audit(self, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
        """An audit log row as the model writes it (`at`: the PC's clock, like every audit row)."""
        self.run("INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                 (self.c.dt_in(utcnow()), actor, action, target, self.c.json_in(detail)))
