"""The ticket engine: issuing, calling and every other counter action on the hall's queue.

No Qt. Every action is one SQLite unit of work (BEGIN IMMEDIATE, synchronous=FULL) that
appends a TicketEvent, updates the Ticket's current state and puts the event into the sync
outbox, so two consoles pressing "call next" at the same instant are serialised by SQLite and
never get the same ticket, and a ticket shown on screen or printed survives a power cut.
Events go out on the hall's EventBus only after the commit: the board and the voice never
announce something that was rolled back.

This module holds the actions and views (the public API); the calling order and the other rules
are in kiosk/services/queue_rules.py, the statements (plain SQL on the cache's connections, for
speed: every action and view goes through them) in kiosk/services/queue_db.py, and what the
queue hands out in kiosk/services/queue_views.py.

Numbering restarts at the hall's local midnight. Tickets of an earlier day that are still open
(waiting, called, skipped, held) are closed as "expired" — one event and outbox entry each —
the first time the service sees the new day (its first action or view after midnight or after
the app starts), see `expire_earlier_days`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.config import HallConfig, QueueSection
from kiosk.errors import HallError
from kiosk.services import events as ev
from kiosk.services import queue_db, queue_rules
from kiosk.services.queue_db import BusinessRow, Codecs, QueueDb, TicketRow, WindowRow
from kiosk.services.queue_views import BusinessInfo, IssuedTicket, TicketView, WindowInfo, WindowState
from sync.cache.models import new_uid

log = logging.getLogger(__name__)

OPEN = ("waiting", "called", "serving", "skipped", "held")  # not finished yet: finished_at is NULL
EXPIRE_CHUNK = 500  # tickets expired per transaction
RECENT_CALLS = 8  # calls the board view lists, newest first

STATE_NAMES = {
    "waiting": "等候中", "called": "已叫号", "serving": "办理中", "skipped": "已过号", "held": "已挂起",
    "served": "已办结", "cancelled": "已作废", "expired": "已过期",
}


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


def _short(name: str) -> str:
    """Board texts are narrow: 劳动保障业务 -> 劳动保障."""
    return name.removesuffix("业务") or name


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
        self._codecs: Codecs | None = None  # value converters of the statements, made on first use
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
                ids = db.earlier_open(today, EXPIRE_CHUNK)
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

    def _expire(self, db: QueueDb, ticket: TicketRow, now: datetime, published: list[ev.Event]) -> None:
        was = ticket.state
        ticket.state = "expired"
        ticket.finished_at = min(now, self._day_start(ticket.service_day + timedelta(days=1)))
        db.set_closed(ticket)
        db.add_event(ticket, "expired", now, None, None, {"from_state": was})
        view = ticket.view()
        published.append(ev.TicketExpired(view, view.window_number))

    # -- catalogue --------------------------------------------------------------------------

    def businesses(self) -> list[BusinessInfo]:
        today = self.service_day(self._now())
        with self._reading() as db:
            waiting = db.waiting_by_business(today)
            return [
                BusinessInfo(b.code, b.name, b.name_en, b.prefix, waiting.get(b.id, 0),
                             db.serving_windows(b.id, open_only=True))
                for b in db.active_businesses()
            ]

    def windows(self) -> list[WindowInfo]:
        with self._reading() as db:
            return [
                WindowInfo(w.number, w.name, w.paused, [code for _id, code, _name in db.window_businesses(w.id)])
                for w in db.all_windows()
            ]

    # -- issuing ----------------------------------------------------------------------------

    def issue_ticket(self, business_code: str, *, priority: bool = False) -> IssuedTicket:
        """Take a number (A001, A002, … per business per hall-local day)."""
        now = self._now()
        today = self.service_day(now)
        with self._unit() as db:
            business = self._business(db, business_code)
            day = db.c.day_in(today)
            last = db.last_issued(day, business.prefix)
            # after the cache's own last number and past any reservation a crash left (sync/cache/numbers.py)
            number = self.cache.numbers.next_number(today, business.prefix, last[0] if last else 0)
            # Keys follow issue order even if two tickets share a timestamp or the PC clock steps back.
            # (equal keys are ordered by id)
            key = now.timestamp() if last is None else max(now.timestamp(), last[1].timestamp())
            if number > self.rules.max_number:
                raise QueueError(f"今日{business.name}的号已取完，请明天再来或咨询工作人员", "sold_out",
                                 **_refusal_names(business))
            # counted before it joins the queue
            ahead = queue_rules.ahead_of_new(db, day, business.id, priority, self.rules.priority_rule)
            digits = max(3, len(str(self.rules.max_number)))
            ticket = TicketRow(0, new_uid(), today, business.prefix, number, f"{business.prefix}{number:0{digits}d}",
                               business.id, priority, "waiting", None, key, now, None, None, 0,
                               business.code, business.name, None)
            ticket.id = db.insert_ticket(ticket)
            db.add_event(ticket, "issued", now, None, None, {"priority": priority})
            wait = queue_rules.estimate_wait(db, business.id, business.avg_service_minutes, today, ahead,
                                             self.rules.recent_services)
            issued = IssuedTicket(ticket.uid, ticket.label, business.code, business.name, priority, ahead, wait, now)
        self.events.publish(ev.TicketIssued(issued, None))
        return issued

    # -- calling ----------------------------------------------------------------------------

    def call_next(self, window_number: int, *, staff_id: int | None = None) -> TicketView | None:
        """Call the next resident to this window; None when nobody waits for it."""
        published: list[ev.Event] = []
        now = self._now()
        with self._unit() as db:
            window = self._window(db, window_number, for_calling=True)
            self._clear_window(db, window, now, staff_id, published)
            today = self.service_day(now)
            ticket = queue_rules.next_ticket(db, window, today, self._day_start(today), self.rules)
            if ticket is None:
                view = None
            else:
                view = self._call(db, ticket, window, now, staff_id, {"priority": ticket.priority}, published)
        self._publish(published)
        return view

    def recall(self, window_number: int, *, staff_id: int | None = None) -> TicketView:
        """重呼: call the ticket at the window again (board and voice repeat it)."""
        now = self._now()
        with self._unit() as db:
            window = self._window(db, window_number)
            ticket = self._current(db, window)
            ticket.call_count += 1
            db.set_call_count(ticket)
            db.add_event(ticket, "recalled", now, window, staff_id, {"call_count": ticket.call_count})
            view = ticket.view()
        self.events.publish(ev.TicketRecalled(view, window_number))
        return view

    def skip(self, window_number: int, *, staff_id: int | None = None) -> TicketView:
        """过号: the resident did not come; the ticket waits aside until they return."""
        now = self._now()
        with self._unit() as db:
            window = self._window(db, window_number)
            ticket = self._current(db, window)
            ticket.state = "skipped"
            ticket.finished_at = None
            db.set_state(ticket)
            db.add_event(ticket, "skipped", now, window, staff_id, {})
            view = ticket.view()
        self.events.publish(ev.TicketSkipped(view, window_number))
        return view

    def return_skipped(self, label: str, *, staff_id: int | None = None) -> TicketView:
        """A skipped resident came back: back into the queue per the skip rule (front or after N)."""
        now = self._now()
        with self._unit() as db:
            ticket = self._ticket(db, label)
            if ticket.state != "skipped":
                raise QueueError(f"{ticket.label} 不是过号状态（当前：{STATE_NAMES.get(ticket.state, ticket.state)}）")
            ticket.queue_key = queue_rules.returning_key(db.waiting_keys(ticket), self.rules, now)
            ticket.state = "waiting"
            ticket.window_id = None
            ticket.window_number = None
            db.set_waiting(ticket)
            db.add_event(ticket, "returned", now, None, staff_id, {"rule": self.rules.skip_return})
            view = ticket.view()
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
        with self._unit() as db:
            window = self._window(db, window_number, for_calling=True)
            ticket = self._ticket(db, label)
            if ticket.state not in ("waiting", "skipped"):
                raise QueueError(f"{ticket.label} 当前{STATE_NAMES.get(ticket.state, ticket.state)}，不能叫号")
            if ticket.service_day != self.service_day(now):
                raise QueueError(f"{ticket.label} 不是今天的号")
            self._clear_window(db, window, now, staff_id, published)
            detail = {"reason": reason, "out_of_order": True, "from_state": ticket.state, "priority": ticket.priority}
            view = self._call(db, ticket, window, now, staff_id, detail, published)
            db.add_audit(self._actor(staff_id), "call_out_of_order", ticket.label,
                         {"window": window.number, "reason": reason})
        self._publish(published)
        return view

    def finish(self, window_number: int, *, staff_id: int | None = None) -> TicketView:
        """办结: the resident was served."""
        published: list[ev.Event] = []
        now = self._now()
        with self._unit() as db:
            window = self._window(db, window_number)
            view = self._finish(db, self._current(db, window), window, now, staff_id, published)
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
        with self._unit() as db:
            window = self._window(db, window_number)
            ticket = self._current(db, window)
            old_code = ticket.business_code
            if business_code:
                business = self._business(db, business_code)
            else:
                business = db.business_by_id(ticket.business_type_id)
            target = self._window(db, to_window) if to_window is not None else None
            if target is not None and target.id == window.id:
                raise QueueError("不能转到本窗口")
            if target is None and business.id == ticket.business_type_id:
                raise QueueError(f"{ticket.label} 已经是{business.name}")
            if target is None and db.serving_windows(business.id) == 0:
                raise QueueError(f"没有窗口办理{business.name}")
            ticket.business_type_id = business.id
            ticket.business_code, ticket.business_name = business.code, business.name
            ticket.state = "waiting"
            ticket.window_id = target.id if target is not None else None
            ticket.window_number = target.number if target is not None else None
            if self.rules.transfer_to == "front":
                keys = db.waiting_keys(ticket)  # of the business it goes to
                ticket.queue_key = (keys[0] - 1.0) if keys else now.timestamp()
            else:
                ticket.queue_key = ticket.issued_at.timestamp()
            db.set_waiting(ticket)
            detail = {
                "from_business": old_code, "to_business": business.code,
                "from_window": window.number, "to_window": target.number if target else None,
            }
            db.add_event(ticket, "transferred", now, window, staff_id, detail)
            view = ticket.view()
        self.events.publish(ev.TicketTransferred(view, window_number, to_window=to_window,
                                                 business_code=business.code))
        return view

    def hold(self, window_number: int, *, staff_id: int | None = None) -> TicketView:
        """挂起: the resident steps away (fetch a document); the ticket stays with this window."""
        now = self._now()
        with self._unit() as db:
            window = self._window(db, window_number)
            ticket = self._current(db, window)
            ticket.state = "held"
            db.set_state(ticket)
            db.add_event(ticket, "held", now, window, staff_id, {})
            view = ticket.view()
        self.events.publish(ev.TicketHeld(view, window_number))
        return view

    def bring_back(self, window_number: int, label: str, *, staff_id: int | None = None) -> TicketView:
        """Bring a held ticket back to the window (it is called again)."""
        published: list[ev.Event] = []
        now = self._now()
        with self._unit() as db:
            window = self._window(db, window_number, for_calling=True)
            ticket = self._ticket(db, label)
            if ticket.state != "held" or ticket.window_id != window.id:
                raise QueueError(f"{ticket.label} 没有挂起在{window.number}号窗口")
            self._clear_window(db, window, now, staff_id, published)
            view = self._call(db, ticket, window, now, staff_id, {"from_state": "held"}, published)
        self._publish(published)
        return view

    def cancel(self, label: str, *, reason: str = "", staff_id: int | None = None) -> TicketView:
        """作废: a ticket that will not be served (left, taken by mistake)."""
        now = self._now()
        with self._unit() as db:
            ticket = self._ticket(db, label)
            if ticket.state not in OPEN:
                raise QueueError(f"{ticket.label} 已{STATE_NAMES.get(ticket.state, ticket.state)}，不能作废")
            window = db.window(ticket.window_number) if ticket.window_id else None  # where it stands, if anywhere
            ticket.state = "cancelled"
            ticket.finished_at = now
            db.set_closed(ticket)
            db.add_event(ticket, "cancelled", now, window, staff_id, {"reason": reason})
            view = ticket.view()
        self.events.publish(ev.TicketCancelled(view, view.window_number))
        return view

    def pause(self, window_number: int, *, staff_id: int | None = None) -> None:
        """暂停服务: the window stops calling; the board shows it paused."""
        self._set_paused(window_number, True, staff_id)

    def resume(self, window_number: int, *, staff_id: int | None = None) -> None:
        self._set_paused(window_number, False, staff_id)

    def _set_paused(self, window_number: int, paused: bool, staff_id: int | None) -> None:
        with self._unit() as db:
            window = self._window(db, window_number)
            if window.paused == paused:
                return
            db.set_paused(window, paused)
            db.add_audit(self._actor(staff_id), "window_paused" if paused else "window_resumed",
                         f"window {window_number}", {})
        self.events.publish(ev.WindowPaused(window_number) if paused else ev.WindowResumed(window_number))

    # -- queries ----------------------------------------------------------------------------

    def ticket(self, label_or_uid: str) -> TicketView:
        self._now()
        with self._reading() as db:
            return self._ticket(db, label_or_uid).view()

    def people_ahead(self, label_or_uid: str) -> int:
        self._now()
        with self._reading() as db:
            return queue_rules.people_ahead(db, self._ticket(db, label_or_uid), self.rules.priority_rule)

    def issued_ticket(self, label_or_uid: str) -> IssuedTicket:
        """A ticket in the shape the kiosk and the printer use (for a reprint)."""
        self._now()
        with self._reading() as db:
            t = self._ticket(db, label_or_uid)
            ahead, wait = 0, None
            if t.state == "waiting":
                ahead = queue_rules.people_ahead(db, t, self.rules.priority_rule)
                wait = queue_rules.estimate_wait(db, t.business_type_id,
                                                 db.business_by_id(t.business_type_id).avg_service_minutes,
                                                 t.service_day, ahead, self.rules.recent_services)
            return IssuedTicket(t.uid, t.label, t.business_code, t.business_name, t.priority, ahead, wait,
                                t.issued_at)

    def window_state(self, window_number: int, *, limit: int = 50) -> WindowState:
        today = self.service_day(self._now())
        with self._reading() as db:
            window = self._window(db, window_number)
            current = db.current(window.id)
            businesses = db.window_businesses(window.id)  # in the window's calling order
            ids = [bid for bid, _code, _name in businesses]
            waiting, waiting_total = db.waiting_at(window.id, today, ids, limit,
                                                   by_priority=self.rules.priority_rule != "off")
            skipped = db.skipped(today, ids)
            held = db.held_at(window.id)
            counts = db.events_by_kind(window.id, self._day_start(today), ("served", "skipped"))
            avg = db.avg_service(today, self.rules.recent_services, window_id=window.id)
            return WindowState(
                number=window.number, name=window.name, paused=window.paused,
                businesses=[name for _bid, _code, name in businesses],
                current=current.view() if current else None,
                waiting=[t.view() for t in waiting],
                waiting_total=waiting_total,
                skipped=[t.view() for t in skipped],
                held=[t.view() for t in held],
                served_today=counts.get("served", 0), skipped_today=counts.get("skipped", 0),
                avg_service_minutes=None if avg is None else round(avg, 1),
            )

    def board_view(self) -> Any:
        """What the LED board shows: the current call per window, recent calls, waiting counts."""
        from display.board import QueueView, WindowCall

        now = self._now()
        today = self.service_day(now)
        with self._reading() as db:
            since = self._day_start(today)
            calls = []
            recent: list[tuple[datetime, int, WindowCall]] = []
            for w in db.all_windows():
                # today's calls only: yesterday's are not "recent" after midnight
                for at, event_id, label, business in db.recent_calls(w.id, since, RECENT_CALLS):
                    recent.append((at, event_id, WindowCall(w.number, w.name, label, _short(business), at)))
                if w.paused:
                    calls.append(WindowCall(w.number, w.name, "", "", now, paused=True))
                    continue
                t = db.current(w.id)
                if t is not None:
                    called = db.last_called_at(t.id) or t.called_at or now
                    calls.append(WindowCall(w.number, w.name, t.label, _short(t.business_name), called,
                                            priority=bool(t.priority)))
            recent.sort(key=lambda r: r[:2], reverse=True)
            counts = db.waiting_by_business(today)
            waiting = {_short(b.name): counts.get(b.id, 0) for b in db.active_businesses()}
            return QueueView(calls=calls, recent=[c for _, _, c in recent[:RECENT_CALLS]], waiting=waiting)

    def today_summary(self) -> dict[str, int]:
        """Counts of today's tickets by state (for the console header and status page)."""
        today = self.service_day(self._now())
        with self._reading() as db:
            return db.counts_by_state(today)

    # -- internals --------------------------------------------------------------------------

    def _value_codecs(self) -> Codecs:
        if self._codecs is None:
            self._codecs = Codecs(self.cache.engine.dialect)
        return self._codecs

    def _unit(self) -> AbstractContextManager[QueueDb]:
        """One action's unit of work (BEGIN IMMEDIATE ... COMMIT; rolled back on any exception)."""
        return queue_db.writing(self.cache, self._value_codecs())

    def _reading(self) -> AbstractContextManager[QueueDb]:
        """A view's snapshot: never takes the write lock."""
        return queue_db.reading(self.cache, self._value_codecs())

    def _publish(self, published: list[ev.Event]) -> None:
        for event in published:
            self.events.publish(event)

    def _actor(self, staff_id: int | None) -> str:
        return f"staff:{staff_id}" if staff_id is not None else "counter"

    def _day_start(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=self.tz).astimezone(UTC)

    # Lookups that refuse in the hall's words when nothing matches.

    def _business(self, db: QueueDb, code: str) -> BusinessRow:
        business = db.business(code)
        if business is None:
            raise QueueError(f"没有这项业务：{code}", "unknown_business", business=code)
        if not business.active:
            raise QueueError(f"{business.name}暂停取号", "business_paused", **_refusal_names(business))
        return business

    def _window(self, db: QueueDb, number: int | None, *, for_calling: bool = False) -> WindowRow:
        window = db.window(number)
        if window is None:
            raise QueueError(f"没有{number}号窗口")
        if for_calling and window.paused:
            raise QueueError(f"{number}号窗口已暂停服务，请先恢复服务")
        return window

    def _ticket(self, db: QueueDb, label_or_uid: str) -> TicketRow:
        """By uid, or by today's label."""
        key = (label_or_uid or "").strip()
        ticket = db.ticket(key, self.service_day())
        if ticket is None:
            raise QueueError(f"找不到号码 {key}")
        return ticket

    def _current(self, db: QueueDb, window: WindowRow) -> TicketRow:
        """The ticket at the window, for an action on it."""
        ticket = db.current(window.id)
        if ticket is None:
            raise QueueError(f"{window.number}号窗口当前没有正在办理的号")
        return ticket

    def _clear_window(self, db: QueueDb, window: WindowRow, now: datetime, staff_id: int | None,
                      published: list[ev.Event]) -> None:
        """Before a new call: finish the ticket still at the window, or refuse (per config)."""
        current = db.current(window.id)
        if current is None:
            return
        if not self.rules.finish_on_next:
            raise QueueError(f"请先办结、过号或挂起 {current.label}")
        self._finish(db, current, window, now, staff_id, published)

    def _finish(self, db: QueueDb, ticket: TicketRow, window: WindowRow, now: datetime, staff_id: int | None,
                published: list[ev.Event]) -> TicketView:
        ticket.state = "served"
        ticket.finished_at = now
        db.set_closed(ticket)
        minutes = (now - ticket.called_at).total_seconds() / 60 if ticket.called_at else None
        db.add_event(ticket, "served", now, window, staff_id,
                     {"service_minutes": None if minutes is None else round(minutes, 2)})
        view = ticket.view()
        published.append(ev.TicketFinished(view, window.number))
        return view

    def _call(self, db: QueueDb, ticket: TicketRow, window: WindowRow, now: datetime, staff_id: int | None,
              detail: dict[str, Any], published: list[ev.Event]) -> TicketView:
        ticket.state = "called"
        ticket.window_id = window.id
        ticket.window_number = window.number
        ticket.called_at = now
        ticket.finished_at = None
        ticket.call_count += 1
        db.set_called(ticket)
        db.add_event(ticket, "called", now, window, staff_id, detail)
        view = ticket.view()
        published.append(ev.TicketCalled(view, window.number))
        return view


def _refusal_names(business: BusinessRow) -> dict[str, str]:
    """A refusal's parameters: the business's code and names, for a screen in either language."""
    return {"business": business.code, "name": business.name, "name_en": business.name_en or ""}
