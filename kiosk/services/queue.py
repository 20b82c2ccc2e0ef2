"""The ticket engine: issuing, calling and every other counter action on the hall's queue.

No Qt. Every action is one SQLite unit of work (BEGIN IMMEDIATE, synchronous=FULL) that
appends a TicketEvent, updates the Ticket's current state and puts the event into the sync
outbox, so two consoles pressing "call next" at the same instant are serialised by SQLite and
never get the same ticket, and a ticket shown on screen or printed survives a power cut.
Events go out on the hall's EventBus only after the commit: the board and the voice never
announce something that was rolled back.

Calling order at a window (see QueueSection for the rules):
1. tickets transferred to this very window;
2. priority tickets (优先) of the window's businesses (rule "first"; "ratio" lets one regular
   ticket through after `priority_ratio` priority calls in a row; "off" ignores the flag);
3. the window's businesses in the window's own order (先叫第一项业务的号，没有人等再叫下一项),
   oldest first inside one business.

Numbering restarts at the hall's local midnight. Tickets of an earlier day that are still open
(waiting, called, skipped, held) are closed as "expired" — one event and outbox entry each —
the first time the service sees the new day (its first action or view after midnight or after
the app starts), see `expire_earlier_days`.
"""

from __future__ import annotations

import logging
import math
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, joinedload

from kiosk.config import HallConfig, QueueSection
from kiosk.errors import HallError
from kiosk.services import events as ev
from kiosk.services.queue_views import BusinessInfo, IssuedTicket, TicketView, WindowInfo, WindowState
from sync import wire
from sync.cache.models import (
    AuditLog,
    BusinessType,
    Ticket,
    TicketEvent,
    Window,
    WindowService,
    new_seq_uid,
    new_uid,
)

log = logging.getLogger(__name__)

WITH_BUSINESS = (joinedload(Ticket.business_type),)  # every view of a ticket names its business
ACTIVE = ("called", "serving")  # a ticket at a window right now
OPEN = ("waiting", "called", "serving", "skipped", "held")  # not finished yet: finished_at is NULL


class QueueError(HallError):
    """An action that cannot be done; str() is a Chinese message for the screen. `code` and
    `params` say the same for a screen in another language (the kiosk's 取号 turns them into
    text: a resident reading English gets English)."""


def _queue_section(config: HallConfig | QueueSection | None) -> QueueSection:
    if config is None:
        return QueueSection()
    if isinstance(config, HallConfig):
        return config.queue
    return config


class QueueService:
    def __init__(
        self,
        cache: Any,
        events: Any,
        *,
        tz: ZoneInfo,
        config: HallConfig | QueueSection | None = None,
        clock: Callable[[], datetime] | None = None,
    ):
        self.cache = cache
        self.events = events
        self.tz = tz
        self.rules = _queue_section(config)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._codecs: _Codecs | None = None  # value converters of the hot path, made on first use
        self._open_day: date | None = None  # the service day whose earlier days are known closed

    # -- time -------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._clock().astimezone(UTC)

    def service_day(self, at: datetime | None = None) -> date:
        """The hall's local date: numbering restarts at local midnight, whatever the PC's zone."""
        return (at or self.now()).astimezone(self.tz).date()

    def _now(self) -> datetime:
        """The time of an action or view; the first one of a new day closes the earlier days first.

        A date comparison on every call; the sweep itself runs once per day (and service).
        """
        now = self.now()
        if self.service_day(now) != self._open_day:
            self.expire_earlier_days(now)
        return now

    def expire_earlier_days(self, now: datetime | None = None) -> int:
        """过期: close every ticket of an earlier service day that is still open; returns how many.

        Each gets state "expired" (finished_at: the end of its day), an "expired" event and its
        outbox entry, so the office's status page stops showing it as waiting. Idempotent (a
        ticket is expired once, whoever sweeps first); in transactions of EXPIRE_CHUNK tickets,
        so a long-forgotten queue never holds the write lock for long. The consoles, the board
        and the kiosk call this by themselves on the first action or view of a new day.
        """
        now = now or self.now()
        today = self.service_day(now)
        total = 0
        while True:
            published: list[ev.Event] = []
            with self._unit() as db:
                ids = sorted(r[0] for r in db.all(_EARLIER_OPEN, (db.c.day_in(today),) * 3 + (EXPIRE_CHUNK,)))
                for ticket_id in ids:
                    self._expire(db, db.ticket_by_id(ticket_id), now, published)
            self._publish(published)
            total += len(ids)
            if len(ids) < EXPIRE_CHUNK:
                break
        if total:
            log.info("closed %d open ticket(s) of earlier days as expired", total)
        self._open_day = today
        return total

    def _expire(self, db: _Db, ticket: _Row, now: datetime, published: list[ev.Event]) -> None:
        was = ticket.state
        ticket.state = "expired"
        ticket.finished_at = min(now, self._day_start(ticket.service_day + timedelta(days=1)))
        db.run("UPDATE ticket SET state = 'expired', finished_at = ? WHERE id = ?",
               (db.c.dt_in(ticket.finished_at), ticket.id))
        self._write_event(db, ticket, "expired", now, None, None, {"from_state": was})
        view = ticket.view()
        published.append(ev.TicketExpired(view, view.window_number))

    # -- catalogue --------------------------------------------------------------------------

    def businesses(self) -> list[BusinessInfo]:
        today = self.service_day(self._now())
        with self.cache.reading() as s:
            rows = s.scalars(select(BusinessType).where(BusinessType.active).order_by(BusinessType.id)).all()
            waiting = dict(
                s.execute(
                    select(Ticket.business_type_id, func.count())
                    .where(Ticket.service_day == today, Ticket.state == "waiting")
                    .group_by(Ticket.business_type_id)
                ).all()
            )
            return [
                BusinessInfo(b.code, b.name, b.name_en, b.prefix, waiting.get(b.id, 0), self._open_windows(s, b.id))
                for b in rows
            ]

    def windows(self) -> list[WindowInfo]:
        with self.cache.reading() as s:
            return [
                WindowInfo(w.number, w.name, w.paused, [ws.business_type.code for ws in w.services])
                for w in s.scalars(select(Window).order_by(Window.number))
            ]

    # -- issuing ----------------------------------------------------------------------------

    def issue_ticket(self, business_code: str, *, priority: bool = False) -> IssuedTicket:
        """Take a number (A001, A002, … per business per hall-local day)."""
        now = self._now()
        today = self.service_day(now)
        with self._unit() as db:
            business = self._business_row(db, business_code)
            day = db.c.day_in(today)
            last = db.one("SELECT number, issued_at FROM ticket WHERE service_day = ? AND prefix = ?"
                          " ORDER BY number DESC LIMIT 1", (day, business.prefix))
            # after the cache's own last number and past any reservation a crash left (sync/cache/numbers.py)
            number = self.cache.numbers.next_number(today, business.prefix, last[0] if last else 0)
            # Keys follow issue order even if two tickets share a timestamp or the PC clock steps back.
            # (equal keys are ordered by id)
            key = now.timestamp() if last is None else max(now.timestamp(), db.c.dt_out(last[1]).timestamp())
            if number > self.rules.max_number:
                raise QueueError(f"今日{business.name}的号已取完，请明天再来或咨询工作人员", "sold_out",
                                 **self._names(db, business.id))
            ahead = self._waiting_ahead(db, day, business.id, priority)  # counted before it joins the queue
            digits = max(3, len(str(self.rules.max_number)))
            ticket = _Row(0, new_uid(), today, business.prefix, number, f"{business.prefix}{number:0{digits}d}",
                          business.id, priority, "waiting", None, key, now, None, None, 0,
                          business.code, business.name, None)
            ticket.id = db.run(
                "INSERT INTO ticket (uid, service_day, prefix, number, label, business_type_id, priority, state,"
                " window_id, queue_key, issued_at, called_at, finished_at, call_count)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting', NULL, ?, ?, NULL, NULL, 0)",
                (ticket.uid, day, ticket.prefix, number, ticket.label, business.id, int(priority), key,
                 db.c.dt_in(now)))
            self._write_event(db, ticket, "issued", now, None, None, {"priority": priority})
            wait = self._estimate(db, business.id, business.avg_service_minutes, today, ahead)
            issued = IssuedTicket(ticket.uid, ticket.label, business.code, business.name, priority, ahead, wait, now)
        self.events.publish(ev.TicketIssued(issued, None))
        return issued

    # -- calling ----------------------------------------------------------------------------

    def call_next(self, window_number: int, *, staff_id: int | None = None) -> TicketView | None:
        """Call the next resident to this window; None when nobody waits for it."""
        published: list[ev.Event] = []
        now = self._now()
        with self._unit() as db:
            window = self._window_row(db, window_number, for_calling=True)
            self._clear_window(db, window, now, staff_id, published)
            ticket = self._pick_next(db, window, self.service_day(now))
            if ticket is None:
                view = None
            else:
                view = self._call(db, ticket, window, now, staff_id, "called", {"priority": ticket.priority}, published)
        self._publish(published)
        return view

    def recall(self, window_number: int, *, staff_id: int | None = None) -> TicketView:
        """重呼: call the ticket at the window again (board and voice repeat it)."""
        now = self._now()
        with self.cache.transaction() as s:
            window = self._window(s, window_number)
            ticket = self._current_or_error(s, window)
            ticket.call_count += 1
            self._event(s, ticket, "recalled", now, window, staff_id, {"call_count": ticket.call_count})
            view = self._view(ticket, window)
        self.events.publish(ev.TicketRecalled(view, window_number))
        return view

    def skip(self, window_number: int, *, staff_id: int | None = None) -> TicketView:
        """过号: the resident did not come; the ticket waits aside until they return."""
        now = self._now()
        with self.cache.transaction() as s:
            window = self._window(s, window_number)
            ticket = self._current_or_error(s, window)
            ticket.state = "skipped"
            ticket.finished_at = None
            self._event(s, ticket, "skipped", now, window, staff_id, {})
            view = self._view(ticket, window)
        self.events.publish(ev.TicketSkipped(view, window_number))
        return view

    def return_skipped(self, label: str, *, staff_id: int | None = None) -> TicketView:
        """A skipped resident came back: back into the queue per the skip rule (front or after N)."""
        now = self._now()
        with self.cache.transaction() as s:
            ticket = self._ticket(s, label)
            if ticket.state != "skipped":
                raise QueueError(f"{ticket.label} 不是过号状态（当前：{STATE_NAMES.get(ticket.state, ticket.state)}）")
            before = self._waiting_keys(s, ticket)
            if self.rules.skip_return == "front" or not before:
                key = (before[0] - 1.0) if before else now.timestamp()
            else:
                n = self.rules.skip_return_after
                if n == 0:
                    key = before[0] - 1.0
                elif len(before) > n:
                    key = (before[n - 1] + before[n]) / 2
                else:
                    key = before[-1] + 1e-3
            ticket.state = "waiting"
            ticket.queue_key = key
            ticket.window_id = None
            ticket.window = None
            self._event(s, ticket, "returned", now, None, staff_id, {"rule": self.rules.skip_return})
            view = self._view(ticket, None)
        self.events.publish(ev.TicketReturned(view, None))
        return view

    def call_ticket(
        self, window_number: int, label: str, *, reason: str, staff_id: int | None = None
    ) -> TicketView:
        """回呼 / call out of order: a skipped ticket or any waiting one, with a reason for the log."""
        reason = reason.strip()
        if not reason:
            raise QueueError("请填写不按顺序叫号的原因")
        published: list[ev.Event] = []
        now = self._now()
        with self.cache.transaction() as s:
            db = self._db(s)
            window = self._window_row(db, window_number, for_calling=True)
            ticket = self._ticket_row(db, label)
            if ticket.state not in ("waiting", "skipped"):
                raise QueueError(f"{ticket.label} 当前{STATE_NAMES.get(ticket.state, ticket.state)}，不能叫号")
            if ticket.service_day != self.service_day(now):
                raise QueueError(f"{ticket.label} 不是今天的号")
            self._clear_window(db, window, now, staff_id, published)
            detail = {"reason": reason, "out_of_order": True, "from_state": ticket.state, "priority": ticket.priority}
            view = self._call(db, ticket, window, now, staff_id, "called", detail, published)
            s.add(AuditLog(actor=self._actor(staff_id), action="call_out_of_order", target=ticket.label,
                           detail={"window": window.number, "reason": reason}))
        self._publish(published)
        return view

    def finish(self, window_number: int, *, staff_id: int | None = None) -> TicketView:
        """办结: the resident was served."""
        published: list[ev.Event] = []
        now = self._now()
        with self._unit() as db:
            window = self._window_row(db, window_number)
            ticket = self._current_row(db, window)
            if ticket is None:
                raise QueueError(f"{window.number}号窗口当前没有正在办理的号")
            view = self._finish(db, ticket, window, now, staff_id, published)
        self._publish(published)
        return view

    def transfer(
        self,
        window_number: int,
        *,
        business_code: str | None = None,
        to_window: int | None = None,
        staff_id: int | None = None,
    ) -> TicketView:
        """转移: send the ticket at the window to another business and/or window; A023 stays A023."""
        if business_code is None and to_window is None:
            raise QueueError("请选择要转到的业务或窗口")
        now = self._now()
        with self.cache.transaction() as s:
            window = self._window(s, window_number)
            ticket = self._current_or_error(s, window)
            old_business = ticket.business_type
            business = self._business(s, business_code) if business_code else old_business
            target = self._window(s, to_window) if to_window is not None else None
            if target is not None and target.id == window.id:
                raise QueueError("不能转到本窗口")
            if target is None and business.id == old_business.id:
                raise QueueError(f"{ticket.label} 已经是{business.name}")
            if target is None and self._serving_windows(s, business.id) == 0:
                raise QueueError(f"没有窗口办理{business.name}")
            ticket.business_type_id = business.id
            ticket.business_type = business
            ticket.state = "waiting"
            ticket.window_id = target.id if target is not None else None
            ticket.window = target
            if self.rules.transfer_to == "front":
                keys = self._waiting_keys(s, ticket)
                ticket.queue_key = (keys[0] - 1.0) if keys else now.timestamp()
            else:
                ticket.queue_key = ticket.issued_at.timestamp()
            detail = {
                "from_business": old_business.code, "to_business": business.code,
                "from_window": window.number, "to_window": target.number if target else None,
            }
            self._event(s, ticket, "transferred", now, window, staff_id, detail)
            view = self._view(ticket, target)
        self.events.publish(ev.TicketTransferred(view, window_number, to_window=to_window,
                                                 business_code=business.code))
        return view

    def hold(self, window_number: int, *, staff_id: int | None = None) -> TicketView:
        """挂起: the resident steps away (fetch a document); the ticket stays with this window."""
        now = self._now()
        with self.cache.transaction() as s:
            window = self._window(s, window_number)
            ticket = self._current_or_error(s, window)
            ticket.state = "held"
            self._event(s, ticket, "held", now, window, staff_id, {})
            view = self._view(ticket, window)
        self.events.publish(ev.TicketHeld(view, window_number))
        return view

    def bring_back(self, window_number: int, label: str, *, staff_id: int | None = None) -> TicketView:
        """Bring a held ticket back to the window (it is called again)."""
        published: list[ev.Event] = []
        now = self._now()
        with self.cache.transaction() as s:
            db = self._db(s)
            window = self._window_row(db, window_number, for_calling=True)
            ticket = self._ticket_row(db, label)
            if ticket.state != "held" or ticket.window_id != window.id:
                raise QueueError(f"{ticket.label} 没有挂起在{window.number}号窗口")
            self._clear_window(db, window, now, staff_id, published)
            view = self._call(db, ticket, window, now, staff_id, "called", {"from_state": "held"}, published)
        self._publish(published)
        return view

    def cancel(self, label: str, *, reason: str = "", staff_id: int | None = None) -> TicketView:
        """作废: a ticket that will not be served (left, taken by mistake)."""
        now = self._now()
        with self.cache.transaction() as s:
            ticket = self._ticket(s, label)
            if ticket.state not in OPEN:
                raise QueueError(f"{ticket.label} 已{STATE_NAMES.get(ticket.state, ticket.state)}，不能作废")
            window = ticket.window
            ticket.state = "cancelled"
            ticket.finished_at = now
            self._event(s, ticket, "cancelled", now, window, staff_id, {"reason": reason})
            view = self._view(ticket, window)
        self.events.publish(ev.TicketCancelled(view, view.window_number))
        return view

    def pause(self, window_number: int, *, staff_id: int | None = None) -> None:
        """暂停服务: the window stops calling; the board shows it paused."""
        self._set_paused(window_number, True, staff_id)

    def resume(self, window_number: int, *, staff_id: int | None = None) -> None:
        self._set_paused(window_number, False, staff_id)

    def _set_paused(self, window_number: int, paused: bool, staff_id: int | None) -> None:
        with self.cache.transaction() as s:
            window = self._window(s, window_number)
            if window.paused == paused:
                return
            window.paused = paused
            s.add(AuditLog(actor=self._actor(staff_id), action="window_paused" if paused else "window_resumed",
                           target=f"window {window_number}"))
        self.events.publish(ev.WindowPaused(window_number) if paused else ev.WindowResumed(window_number))

    # -- queries ----------------------------------------------------------------------------

    def ticket(self, label_or_uid: str) -> TicketView:
        self._now()
        with self.cache.reading() as s:
            ticket = self._ticket(s, label_or_uid)
            return self._view(ticket, ticket.window)

    def people_ahead(self, label_or_uid: str) -> int:
        self._now()
        with self.cache.reading() as s:
            return self._people_ahead(s, self._ticket(s, label_or_uid))

    def issued_ticket(self, label_or_uid: str) -> IssuedTicket:
        """A ticket in the shape the kiosk and the printer use (for a reprint)."""
        self._now()
        with self.cache.reading() as s:
            t = self._ticket(s, label_or_uid)
            ahead = self._people_ahead(s, t) if t.state == "waiting" else 0
            wait = (self._estimate(self._db(s), t.business_type_id, t.business_type.avg_service_minutes,
                                   t.service_day, ahead) if t.state == "waiting" else None)
            return IssuedTicket(t.uid, t.label, t.business_type.code, t.business_type.name, t.priority,
                                ahead, wait, t.issued_at)

    def window_state(self, window_number: int, *, limit: int = 50) -> WindowState:
        today = self.service_day(self._now())
        with self.cache.reading() as s:
            window = self._window(s, window_number)
            current = self._current(s, window)
            ranks = {ws.business_type_id: ws.priority for ws in window.services}
            ids = list(ranks)
            serves = or_(Ticket.window_id == window.id, Ticket.window_id.is_(None) & Ticket.business_type_id.in_(ids))
            waiting_now = (Ticket.service_day == today, Ticket.state == "waiting", serves)
            # calling order (see _pick_next): sent to this window, priority, the window's business order, age;
            # sorted and cut in SQL, so thousands waiting are not loaded for the first `limit`
            rank_of = {bid: i for i, bid in enumerate(sorted(ids, key=lambda b: ranks[b]))}
            order = [Ticket.window_id.is_(None)]
            if self.rules.priority_rule != "off":
                order.append(Ticket.priority.desc())
            if rank_of:
                order.append(case(rank_of, value=Ticket.business_type_id, else_=99))
            waiting = s.scalars(
                select(Ticket).options(*WITH_BUSINESS).where(*waiting_now)
                .order_by(*order, Ticket.queue_key, Ticket.id).limit(limit)
            ).all()
            waiting_total = s.scalar(select(func.count()).select_from(Ticket).where(*waiting_now)) or 0
            skipped = s.scalars(
                select(Ticket).where(Ticket.service_day == today, Ticket.state == "skipped",
                                     Ticket.business_type_id.in_(ids)).order_by(Ticket.number)
            ).all()
            held = s.scalars(select(Ticket).where(Ticket.window_id == window.id, Ticket.finished_at.is_(None),
                                                 Ticket.state == "held")).all()
            counts = dict(s.execute(
                select(TicketEvent.kind, func.count()).where(
                    TicketEvent.window_id == window.id, TicketEvent.at >= self._day_start(today),
                    TicketEvent.kind.in_(("served", "skipped"))).group_by(TicketEvent.kind)
            ).all())
            avg = self._avg_service(self._db(s), window_id=window.id, day=today)
            return WindowState(
                number=window.number, name=window.name, paused=window.paused,
                businesses=[ws.business_type.name for ws in window.services],
                current=self._view(current, window) if current else None,
                waiting=[self._view(t, t.window) for t in waiting],
                waiting_total=waiting_total,
                skipped=[self._view(t, t.window) for t in skipped],
                held=[self._view(t, window) for t in held],
                served_today=counts.get("served", 0), skipped_today=counts.get("skipped", 0),
                avg_service_minutes=None if avg is None else round(avg, 1),
            )

    def board_view(self) -> Any:
        """What the LED board shows: the current call per window, recent calls, waiting counts."""
        from display.board import QueueView, WindowCall

        now = self._now()
        today = self.service_day(now)
        with self.cache.reading() as s:
            db = self._db(s)
            since = db.c.dt_in(self._day_start(today))
            calls = []
            recent: list[tuple[datetime, int, WindowCall]] = []
            for w in s.scalars(select(Window).order_by(Window.number)):
                # today's calls only: yesterday's are not "recent" after midnight
                for at, event_id, label, business in db.all(_RECENT_CALLS, (w.id, since, RECENT_CALLS)):
                    at = db.c.dt_out(at)
                    recent.append((at, event_id, WindowCall(w.number, w.name, label, _short(business), at)))
                if w.paused:
                    calls.append(WindowCall(w.number, w.name, "", "", now, paused=True))
                    continue
                t = self._current(s, w)
                if t is not None:
                    called = self._last_call_at(s, t) or t.called_at or now
                    calls.append(WindowCall(w.number, w.name, t.label, _short(t.business_type.name), called,
                                            priority=bool(t.priority)))
            recent.sort(key=lambda r: r[:2], reverse=True)
            waiting = {}
            counts = dict(s.execute(
                select(Ticket.business_type_id, func.count())
                .where(Ticket.service_day == today, Ticket.state == "waiting").group_by(Ticket.business_type_id)
            ).all())
            for b in s.scalars(select(BusinessType).where(BusinessType.active).order_by(BusinessType.id)):
                waiting[_short(b.name)] = counts.get(b.id, 0)
            return QueueView(calls=calls, recent=[c for _, _, c in recent[:RECENT_CALLS]], waiting=waiting)

    def today_summary(self) -> dict[str, int]:
        """Counts of today's tickets by state (for the console header and status page)."""
        today = self.service_day(self._now())
        with self.cache.reading() as s:
            return dict(s.execute(
                select(Ticket.state, func.count()).where(Ticket.service_day == today).group_by(Ticket.state)
            ).all())

    # -- internals --------------------------------------------------------------------------

    def _db(self, s: Session) -> _Db:
        """Plain SQL inside the session's transaction (s.connection() begins it: BEGIN IMMEDIATE)."""
        return _Db(s.connection().connection.driver_connection, self._value_codecs())

    def _value_codecs(self) -> _Codecs:
        if self._codecs is None:
            self._codecs = _Codecs(self.cache.engine.dialect)
        return self._codecs

    @contextmanager
    def _unit(self) -> Iterator[_Db]:
        """One unit of work for the hot path, like Cache.transaction() minus the ORM session.

        The same pooled connection (WAL, synchronous=FULL, busy timeout) and BEGIN IMMEDIATE, so
        two consoles are serialised exactly as before; committed when the block ends, rolled back
        on any exception. The session's bookkeeping was a tenth of an issue's time.
        """
        pooled = self.cache.engine.raw_connection()
        try:
            raw = pooled.driver_connection
            raw.execute("BEGIN IMMEDIATE")
            try:
                yield _Db(raw, self._value_codecs())
            except BaseException:
                if raw.in_transaction:
                    raw.execute("ROLLBACK")
                raise
            raw.execute("COMMIT")
            self.cache.wrote()  # counted for the background checkpoint (the ORM's commits count themselves)
        finally:
            pooled.close()  # back to the pool (which rolls back anything left open)

    def _publish(self, published: list[ev.Event]) -> None:
        for event in published:
            self.events.publish(event)

    def _actor(self, staff_id: int | None) -> str:
        return f"staff:{staff_id}" if staff_id is not None else "counter"

    def _day_start(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=self.tz).astimezone(UTC)

    def _business(self, s: Session, code: str) -> BusinessType:
        business = s.scalar(select(BusinessType).where(BusinessType.code == code))
        if business is None:
            raise QueueError(f"没有这项业务：{code}", "unknown_business", business=code)
        if not business.active:
            raise QueueError(f"{business.name}暂停取号", "business_paused", business=business.code,
                             name=business.name, name_en=business.name_en or "")
        return business

    def _window(self, s: Session, number: int | None, *, for_calling: bool = False) -> Window:
        window = s.scalar(select(Window).where(Window.number == number))
        if window is None:
            raise QueueError(f"没有{number}号窗口")
        if for_calling and window.paused:
            raise QueueError(f"{number}号窗口已暂停服务，请先恢复服务")
        return window

    def _ticket(self, s: Session, label_or_uid: str) -> Ticket:
        key = (label_or_uid or "").strip()
        if len(key) == 36:
            ticket = s.scalar(select(Ticket).where(Ticket.uid == key))
        else:
            ticket = s.scalar(
                select(Ticket).where(Ticket.label == key.upper(), Ticket.service_day == self.service_day())
            )
        if ticket is None:
            raise QueueError(f"找不到号码 {key}")
        return ticket

    def _current(self, s: Session, window: Window) -> Ticket | None:
        # (finished_at IS NULL: see _current_row)
        return s.scalar(
            select(Ticket).options(*WITH_BUSINESS)
            .where(Ticket.window_id == window.id, Ticket.finished_at.is_(None), Ticket.state.in_(ACTIVE))
            .order_by(Ticket.called_at.desc()).limit(1)
        )

    def _current_or_error(self, s: Session, window: Window) -> Ticket:
        ticket = self._current(s, window)
        if ticket is None:
            raise QueueError(f"{window.number}号窗口当前没有正在办理的号")
        return ticket

    # The hot path below (issue, call next, finish) works on _Row/_WindowRow through _Db: plain SQL in
    # the session's transaction. Rarer actions use the ORM and share the event writer.

    def _window_row(self, db: _Db, number: int | None, *, for_calling: bool = False) -> _WindowRow:
        r = db.one('SELECT id, number, paused FROM "window" WHERE number = ?', (number,))
        if r is None:
            raise QueueError(f"没有{number}号窗口")
        window = _WindowRow(r[0], r[1], bool(r[2]))
        if for_calling and window.paused:
            raise QueueError(f"{number}号窗口已暂停服务，请先恢复服务")
        return window

    def _business_row(self, db: _Db, code: str) -> _BusinessRow:
        r = db.one("SELECT id, code, name, prefix, avg_service_minutes, active FROM business_type WHERE code = ?",
                   (code,))
        if r is None:
            raise QueueError(f"没有这项业务：{code}", "unknown_business", business=code)
        business = _BusinessRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]))
        if not business.active:
            raise QueueError(f"{business.name}暂停取号", "business_paused", **self._names(db, business.id))
        return business

    @staticmethod
    def _names(db: _Db, business_id: int) -> dict[str, str]:
        """A refusal's parameters: the business's code and names, for a screen in either language
        (read only when refusing: the hot path's row has no English name)."""
        r = db.one("SELECT code, name, name_en FROM business_type WHERE id = ?", (business_id,))
        return {"business": r[0], "name": r[1], "name_en": r[2] or ""}

    def _ticket_row(self, db: _Db, label_or_uid: str) -> _Row:
        key = (label_or_uid or "").strip()
        if len(key) == 36:
            r = db.one(f"SELECT {_TICKET_COLS} {_TICKET_FROM} WHERE t.uid = ?", (key,))
        else:
            r = db.one(f"SELECT {_TICKET_COLS} {_TICKET_FROM} WHERE t.label = ? AND t.service_day = ?",
                       (key.upper(), db.c.day_in(self.service_day())))
        if r is None:
            raise QueueError(f"找不到号码 {key}")
        return db.ticket_row(r)

    def _current_row(self, db: _Db, window: _WindowRow) -> _Row | None:
        # "finished_at IS NULL" (true of every open ticket) lets it use ix_ticket_window
        r = db.one(f"SELECT {_TICKET_COLS} {_TICKET_FROM} WHERE t.window_id = ? AND t.finished_at IS NULL"
                   " AND t.state IN ('called', 'serving') ORDER BY t.called_at DESC LIMIT 1", (window.id,))
        return db.ticket_row(r) if r is not None else None

    def _clear_window(self, db: _Db, window: _WindowRow, now: datetime, staff_id: int | None,
                      published: list[ev.Event]) -> None:
        """Before a new call: finish the ticket still at the window, or refuse (per config)."""
        current = self._current_row(db, window)
        if current is None:
            return
        if not self.rules.finish_on_next:
            raise QueueError(f"请先办结、过号或挂起 {current.label}")
        self._finish(db, current, window, now, staff_id, published)

    def _finish(self, db: _Db, ticket: _Row, window: _WindowRow, now: datetime, staff_id: int | None,
                published: list[ev.Event]) -> TicketView:
        ticket.state = "served"
        ticket.finished_at = now
        db.run("UPDATE ticket SET state = 'served', finished_at = ? WHERE id = ?", (db.c.dt_in(now), ticket.id))
        minutes = (now - ticket.called_at).total_seconds() / 60 if ticket.called_at else None
        self._write_event(db, ticket, "served", now, window, staff_id,
                          {"service_minutes": None if minutes is None else round(minutes, 2)})
        view = ticket.view()
        published.append(ev.TicketFinished(view, window.number))
        return view

    def _call(self, db: _Db, ticket: _Row, window: _WindowRow, now: datetime, staff_id: int | None,
              kind: str, detail: dict[str, Any], published: list[ev.Event]) -> TicketView:
        ticket.state = "called"
        ticket.window_id = window.id
        ticket.window_number = window.number
        ticket.called_at = now
        ticket.finished_at = None
        ticket.call_count += 1
        db.run("UPDATE ticket SET state = 'called', window_id = ?, called_at = ?, finished_at = NULL, call_count = ?"
               " WHERE id = ?", (window.id, db.c.dt_in(now), ticket.call_count, ticket.id))
        self._write_event(db, ticket, kind, now, window, staff_id, detail)
        view = ticket.view()
        published.append(ev.TicketCalled(view, window.number))
        return view

    def _first(self, db: _Db, day: str, business_id: int, priority: bool, window: _WindowRow) -> int | None:
        """Id of the oldest waiting ticket of one business and kind this window may call (an index seek)."""
        r = db.one("SELECT id FROM ticket WHERE service_day = ? AND state = 'waiting' AND business_type_id = ?"
                   " AND priority = ? AND (window_id IS NULL OR window_id = ?) ORDER BY queue_key, id LIMIT 1",
                   (day, business_id, int(priority), window.id))
        return r[0] if r else None

    def _pick_next(self, db: _Db, window: _WindowRow, day: date) -> _Row | None:
        rule = self.rules.priority_rule
        sday = db.c.day_in(day)
        order_by = "priority DESC, queue_key, id" if rule != "off" else "queue_key, id"
        targeted = db.one(f"SELECT id FROM ticket WHERE window_id = ? AND finished_at IS NULL AND state = 'waiting'"
                          f" AND service_day = ? ORDER BY {order_by} LIMIT 1", (window.id, sday))
        if targeted is not None:
            return db.ticket_by_id(targeted[0])
        # the window's businesses in its own order
        ranked = [r[0] for r in db.all("SELECT business_type_id FROM window_service WHERE window_id = ?"
                                       " ORDER BY priority", (window.id,))]
        if not ranked:
            return None
        order: list[bool | None] = [None] if rule == "off" else [True, False]
        if rule == "ratio" and self._priority_streak(db, window, day) >= self.rules.priority_ratio:
            order = [False, True]  # let one regular ticket through
        for want_priority in order:
            for bid in ranked:  # the first business (in the window's order) with a ticket of this kind wins
                if want_priority is None:
                    # priority ignored: oldest of both kinds (two index seeks, the smaller key wins)
                    found = [self._first(db, sday, bid, p, window) for p in (True, False)]
                    rows = [db.ticket_by_id(i) for i in found if i is not None]
                    if rows:
                        return min(rows, key=lambda t: (t.queue_key, t.id))
                    continue
                found_id = self._first(db, sday, bid, want_priority, window)
                if found_id is not None:
                    return db.ticket_by_id(found_id)
        return None

    def _priority_streak(self, db: _Db, window: _WindowRow, day: date) -> int:
        """How many of this window's last calls today were priority tickets, in a row."""
        rows = db.all("SELECT detail FROM ticket_event WHERE window_id = ? AND kind = 'called' AND at >= ?"
                      " ORDER BY id DESC LIMIT ?",
                      (window.id, db.c.dt_in(self._day_start(day)), self.rules.priority_ratio))
        streak = 0
        for (raw,) in rows:
            d = db.c.json_out(raw) if raw is not None else None
            if not (d or {}).get("priority"):
                break
            streak += 1
        return streak

    def _waiting_keys(self, s: Session, ticket: Ticket) -> list[float]:
        """Queue keys of the other tickets waiting for the same business today, in order."""
        return list(s.scalars(
            select(Ticket.queue_key).where(
                Ticket.service_day == ticket.service_day, Ticket.state == "waiting",
                Ticket.business_type_id == ticket.business_type_id, Ticket.id != ticket.id)
            .order_by(Ticket.queue_key)
        ))

    def _people_ahead(self, s: Session, ticket: Ticket) -> int:
        base = select(func.count()).select_from(Ticket).where(
            Ticket.service_day == ticket.service_day, Ticket.state == "waiting",
            Ticket.business_type_id == ticket.business_type_id, Ticket.id != ticket.id,
        )
        before = or_(Ticket.queue_key < ticket.queue_key,
                     (Ticket.queue_key == ticket.queue_key) & (Ticket.id < ticket.id))
        if self.rules.priority_rule == "off":
            return s.scalar(base.where(before)) or 0
        prio_ahead = s.scalar(base.where(Ticket.priority.is_(True), *([before] if ticket.priority else []))) or 0
        if ticket.priority:
            return prio_ahead
        regular = s.scalar(base.where(Ticket.priority.is_(False), before)) or 0
        return prio_ahead + regular

    def _waiting_ahead(self, db: _Db, day: str, business_id: int, priority: bool) -> int:
        """People ahead of a ticket about to be issued (it will be last of its kind).

        One counted range of the covering index ix_ticket_waiting, before the new ticket is in it.
        """
        sql = "SELECT count(*) FROM ticket WHERE service_day = ? AND state = 'waiting' AND business_type_id = ?"
        if priority and self.rules.priority_rule != "off":
            sql += " AND priority = 1"
        return db.one(sql, (day, business_id))[0]

    def _serving_windows(self, s: Session, business_id: int, *, open_only: bool = False) -> int:
        q = select(func.count()).select_from(WindowService).join(Window).where(
            WindowService.business_type_id == business_id)
        if open_only:
            q = q.where(Window.paused.is_(False))
        return s.scalar(q) or 0

    def _open_windows(self, s: Session, business_id: int) -> int:
        return self._serving_windows(s, business_id, open_only=True)

    def _avg_service(self, db: _Db, *, day: date, business_id: int | None = None,
                     window_id: int | None = None) -> float | None:
        """Average minutes from call to finish over today's most recent served tickets."""
        sql = "SELECT called_at, finished_at FROM ticket WHERE service_day = ? AND state = 'served'"
        params: list[Any] = [db.c.day_in(day)]
        if business_id is not None:
            sql += " AND business_type_id = ?"
            params.append(business_id)
        if window_id is not None:
            sql += " AND window_id = ?"
            params.append(window_id)
        sql += " AND called_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?"
        params.append(self.rules.recent_services)
        # averaged by SQLite (converting each row's two times in Python cost a tenth of an issue);
        # seconds rounded to the millisecond, the precision julianday() keeps
        row = db.one("SELECT avg(round((julianday(finished_at) - julianday(called_at)) * 86400.0, 3)) / 60.0"
                     f" FROM ({sql})", tuple(params))
        return row[0] if row else None

    def _estimate(self, db: _Db, business_id: int, default_minutes: int, day: date, ahead: int) -> int | None:
        """Minutes until called: people ahead × recent service time ÷ open windows (None if none open)."""
        windows = db.one('SELECT count(*) FROM window_service ws JOIN "window" w ON w.id = ws.window_id'
                         " WHERE ws.business_type_id = ? AND w.paused = 0", (business_id,))[0]
        if windows == 0:
            return None
        if ahead == 0:
            return 0
        avg = self._avg_service(db, day=day, business_id=business_id)
        per = avg if avg is not None else float(default_minutes)
        return max(1, math.ceil(ahead * per / windows))

    def _last_call_at(self, s: Session, ticket: Ticket) -> datetime | None:
        return s.scalar(
            select(TicketEvent.at).where(TicketEvent.ticket_id == ticket.id,
                                         TicketEvent.kind.in_(("called", "recalled")))
            .order_by(TicketEvent.id.desc()).limit(1)
        )

    def _event(self, s: Session, ticket: Ticket, kind: str, now: datetime, window: Window | None,
               staff_id: int | None, detail: dict[str, Any]) -> str:
        """The event of an ORM-side action (recall, skip, transfer, ...): same rows as the hot path."""
        acting = _WindowRow(window.id, window.number, window.paused) if window is not None else None
        return self._write_event(self._db(s), _Row.of(ticket, window), kind, now, acting, staff_id, detail)

    def _write_event(self, db: _Db, ticket: _Row, kind: str, now: datetime, window: _WindowRow | None,
                     staff_id: int | None, detail: dict[str, Any]) -> str:
        """Append the event and its outbox row; both commit with the ticket change or not at all.

        Append-only rows need no unit-of-work bookkeeping, and this runs on every counter
        action. Returns the event's uid, which is also the outbox entry's: time-ordered, so the
        outbox's unique index on it grows at its end (one page per action, not a random one).
        """
        uid = new_seq_uid()
        at = db.c.dt_in(now)
        db.run("INSERT INTO ticket_event (uid, ticket_id, kind, at, window_id, staff_id, business_type_id, detail)"
               " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               (uid, ticket.id, kind, at, window.id if window else None, staff_id, ticket.business_type_id,
                db.c.json_in(detail)))
        event = {"uid": uid, "kind": kind, "at": _utc(now), "window_number": window.number if window else None,
                 "business_code": ticket.business_code, "detail": detail}
        if staff_id is not None:  # the office's statistics per clerk (a primary-key lookup)
            row = db.one("SELECT name FROM staff WHERE id = ?", (staff_id,))
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
        db.run("INSERT INTO outbox (uid, kind, payload, created_at, attempts, last_error, result)"
               " VALUES (?, 'ticket_event', ?, ?, 0, '', '')", (uid, db.c.json_in(payload), at))
        return uid

    def _view(self, t: Ticket, window: Window | None) -> TicketView:
        w = window if (window is not None and t.window_id == window.id) else (t.window if t.window_id else None)
        return TicketView(
            uid=t.uid, label=t.label, business_code=t.business_type.code, business_name=t.business_type.name,
            priority=t.priority, state=t.state, window_number=w.number if w is not None else None,
            issued_at=t.issued_at, called_at=t.called_at, finished_at=t.finished_at,
            call_count=t.call_count, service_day=t.service_day,
        )


STATE_NAMES = {
    "waiting": "等候中", "called": "已叫号", "serving": "办理中", "skipped": "已过号", "held": "已挂起",
    "served": "已办结", "cancelled": "已作废", "expired": "已过期",
}


def _short(name: str) -> str:
    """Board texts are narrow: 劳动保障业务 -> 劳动保障."""
    return name.removesuffix("业务") or name


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


# -- the hot path: plain SQL on the cache's own connections -------------------------------------
#
# Issuing, calling and finishing run on every button press with thousands of tickets waiting.
# The ORM cost ~0.1-0.3 ms of Python per statement (object loading, unit of work, statement
# building); plain SQL on the same pooled sqlite3 connection costs microseconds. It runs either
# in QueueService._unit (BEGIN IMMEDIATE ... COMMIT, no session) or inside an ORM session's
# transaction (QueueService._db) for the rarer actions. Values are converted by the model
# columns' own type processors, so rows written here are byte-for-byte what the ORM writes
# (dates, naive-UTC times, JSON); tests/kiosk/services/test_queue_hot_path.py checks it.

# Open tickets of days before ? (the three are the same date), each part a seek on a partial
# index whatever the history's size: waiting (ix_ticket_waiting), skipped (ix_ticket_skipped),
# and the few at a window (ix_ticket_window: open tickets have no finished_at; "+service_day"
# keeps the planner off the numbering index, a range over all past days). No ORDER BY: it
# would turn the seeks into scans in id order.
_EARLIER_OPEN = (
    "SELECT id FROM ticket WHERE state = 'waiting' AND service_day < ?"
    " UNION ALL SELECT id FROM ticket WHERE state = 'skipped' AND service_day < ?"
    " UNION ALL SELECT id FROM ticket WHERE window_id IS NOT NULL AND finished_at IS NULL"
    " AND state IN ('called', 'serving', 'held') AND +service_day < ?"
    " LIMIT ?"
)
EXPIRE_CHUNK = 500  # tickets expired per transaction

# The board's recent calls, one window at a time: a backward walk of ix_ticket_event_window from
# the window's newest event that stops at the day's start, so it reads today's events of that
# window at most. (One query over all windows ordered by id walked the whole event history
# whenever today had fewer than RECENT_CALLS calls: after midnight, in a quiet hall.) The
# index's entries end with the rowid, so "at DESC, id DESC" is its own order: no sort.
_RECENT_CALLS = (
    "SELECT e.at, e.id, t.label, b.name FROM ticket_event e"
    " JOIN ticket t ON t.id = e.ticket_id JOIN business_type b ON b.id = t.business_type_id"
    " WHERE e.window_id = ? AND e.at >= ? AND e.kind IN ('called', 'recalled')"
    " ORDER BY e.at DESC, e.id DESC LIMIT ?"
)
RECENT_CALLS = 8  # calls the board view lists, newest first

_TICKET_COLS = (
    "t.id, t.uid, t.service_day, t.prefix, t.number, t.label, t.business_type_id, t.priority, t.state,"
    " t.window_id, t.queue_key, t.issued_at, t.called_at, t.finished_at, t.call_count, b.code, b.name, w.number"
)
_TICKET_FROM = (
    "FROM ticket t JOIN business_type b ON b.id = t.business_type_id"
    ' LEFT JOIN "window" w ON w.id = t.window_id'
)


@dataclass
class _Row:
    """A ticket as the hot path reads and changes it (with its business and window named)."""

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

    @classmethod
    def of(cls, t: Ticket, window: Window | None) -> _Row:
        """The same facts from an ORM ticket (`window`: the one acting, if it is the ticket's)."""
        w = window if (window is not None and t.window_id == window.id) else (t.window if t.window_id else None)
        return cls(t.id, t.uid, t.service_day, t.prefix, t.number, t.label, t.business_type_id, t.priority,
                   t.state, t.window_id, t.queue_key, t.issued_at, t.called_at, t.finished_at, t.call_count,
                   t.business_type.code, t.business_type.name, w.number if w is not None else None)

    def view(self) -> TicketView:
        return TicketView(
            uid=self.uid, label=self.label, business_code=self.business_code, business_name=self.business_name,
            priority=self.priority, state=self.state, window_number=self.window_number if self.window_id else None,
            issued_at=self.issued_at, called_at=self.called_at, finished_at=self.finished_at,
            call_count=self.call_count, service_day=self.service_day,
        )


@dataclass(frozen=True)
class _WindowRow:
    id: int
    number: int
    paused: bool


@dataclass(frozen=True)
class _BusinessRow:
    id: int
    code: str
    name: str
    prefix: str
    avg_service_minutes: int
    active: bool


class _Codecs:
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


class _Db:
    """A sqlite3 connection inside an open transaction, with the value codecs."""

    def __init__(self, raw: sqlite3.Connection, codecs: _Codecs):
        self.raw = raw
        self.c = codecs

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        return self.raw.execute(sql, params).fetchone()

    def all(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.raw.execute(sql, params).fetchall()

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Execute a write; returns the new row id (for INSERTs)."""
        return self.raw.execute(sql, params).lastrowid

    def ticket_row(self, r: tuple[Any, ...]) -> _Row:
        c = self.c
        return _Row(r[0], r[1], c.day_out(r[2]), r[3], r[4], r[5], r[6], bool(r[7]), r[8], r[9], r[10],
                    c.dt_out(r[11]), c.dt_out(r[12]), c.dt_out(r[13]), r[14], r[15], r[16], r[17])

    def ticket_by_id(self, ticket_id: int) -> _Row:
        return self.ticket_row(self.one(f"SELECT {_TICKET_COLS} {_TICKET_FROM} WHERE t.id = ?", (ticket_id,)))
