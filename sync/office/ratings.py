"""好差评 at the office, without HTTP: ratings from halls (pushed) and phones, the follow-ups
(回访/整改) that every 差评 opens, and satisfaction (满意率) for the statistics.

One rating per ticket: the ticket's uid is the rating's key, so whichever of the counter's pad
(through the hall's outbox) and the phone's ticket page arrives first is kept and the other is
answered "duplicate" (a pushed one) or refused with 409 (a phone).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import wire
from sync.office import wakeups
from sync.office.models import FollowUp, Hall, Rating, Ticket, utcnow
from sync.office.store import Caller, OfficeError

NEXT_STATE = {"open": "visited", "visited": "rectified"}  # 待回访 -> 已回访 -> 已整改


def _add(session: Session, hall_id: int, p: wire.RatingPayload, ticket: Ticket | None, follow_up_days: int,
         tz: ZoneInfo) -> Rating:
    rating = Rating(ticket_uid=p.ticket_uid, hall_id=hall_id, level=p.level, reasons=list(p.reasons),
                    comment=p.comment, source=p.source, window_number=p.window_number,
                    business_code=p.business_code, clerk=p.clerk,
                    service_day=ticket.service_day if ticket else p.rated_at.astimezone(tz).date(),
                    rated_at=p.rated_at, received_at=utcnow())
    session.add(rating)
    if p.level in wire.BAD_LEVELS:
        session.flush()  # the follow-up refers to the rating
        session.add(FollowUp(ticket_uid=p.ticket_uid, hall_id=hall_id, state="open",
                             due_on=utcnow().astimezone(tz).date() + timedelta(days=follow_up_days),
                             opened_at=utcnow()))
    return rating


def push_ratings(session: Session, hall: Caller, entries: list[wire.RatingEntry], *, follow_up_days: int = 7,
                 tz: ZoneInfo = ZoneInfo("Asia/Shanghai")) -> dict[str, wire.PushResult]:
    """Store pushed ratings; one the office already has for that ticket is a "duplicate"."""
    if not entries:
        return {}
    uids = {e.payload.ticket_uid for e in entries}
    tickets = {t.uid: t for t in session.scalars(select(Ticket).where(Ticket.uid.in_(uids)))}
    rated = set(session.scalars(select(Rating.ticket_uid).where(Rating.ticket_uid.in_(uids))))
    results = {}
    for e in entries:
        p = e.payload
        ticket = tickets.get(p.ticket_uid)
        if ticket is not None and ticket.hall_id != hall.id:
            raise OfficeError(403, f"entry {e.id}: ticket {p.ticket_uid} belongs to another hall", e.id)
        if p.ticket_uid in rated:
            results[e.id] = wire.PushResult(id=e.id, status="duplicate")  # the first rating stays
            continue
        rated.add(p.ticket_uid)
        _add(session, hall.id, p, ticket, follow_up_days, tz)
        results[e.id] = wire.PushResult(id=e.id, status="stored")
    session.flush()
    return results


def rate_from_phone(session: Session, ticket_uid: str, level: str, reasons: list[str], comment: str, *,
                    follow_up_days: int = 7, tz: ZoneInfo = ZoneInfo("Asia/Shanghai")) -> Rating:
    """The ticket page's rating: only a finished (served) ticket, only once."""
    ticket = session.get(Ticket, ticket_uid)
    if ticket is None:
        raise OfficeError(404, "没有这张号票 No such ticket")
    if ticket.state != "served":
        raise OfficeError(409, "办结后才能评价 Only a finished service can be rated")
    if session.get(Rating, ticket_uid) is not None:
        raise OfficeError(409, "这张号票已经评价过了，谢谢 This ticket was already rated, thank you")
    payload = wire.RatingPayload(ticket_uid=ticket_uid, level=level, reasons=reasons, comment=comment,  # type: ignore[arg-type]
                                 source="phone", rated_at=utcnow(), window_number=ticket.window_number,
                                 business_code=ticket.business_code, clerk=ticket.clerk or "")
    wakeups.note(session, wakeups.TICKETS, [ticket.hall_id])  # the page shows "rated" once this commits
    return _add(session, ticket.hall_id, payload, ticket, follow_up_days, tz)


def rating_of(session: Session, ticket_uid: str) -> Rating | None:
    return session.get(Rating, ticket_uid)


# --- follow-ups ------------------------------------------------------------------------------


def _info(f: FollowUp, r: Rating, t: Ticket | None, hall_code: str, today: date) -> wire.FollowUpInfo:
    return wire.FollowUpInfo(
        id=f.id, ticket_uid=f.ticket_uid, hall=hall_code, label=t.label if t else "", service_day=r.service_day,
        window_number=r.window_number, clerk=r.clerk, business_code=r.business_code, level=r.level,  # type: ignore[arg-type]
        reasons=r.reasons, comment=r.comment, source=r.source, rated_at=r.rated_at, state=f.state,  # type: ignore[arg-type]
        due_on=f.due_on, overdue=f.state == "open" and today > f.due_on,
        visited_at=f.visited_at, visited_by=f.visited_by, visit_note=f.visit_note,
        rectified_at=f.rectified_at, rectified_by=f.rectified_by, rectify_note=f.rectify_note)


def follow_ups(session: Session, *, hall_code: str | None = None, states: tuple[str, ...] | None = None,
               tz: ZoneInfo = ZoneInfo("Asia/Shanghai"), limit: int = 500) -> list[wire.FollowUpInfo]:
    """Follow-ups, the most urgent (earliest deadline) first."""
    q = (select(FollowUp, Rating, Ticket, Hall.code).join(Rating, Rating.ticket_uid == FollowUp.ticket_uid)
         .join(Hall, Hall.id == FollowUp.hall_id).outerjoin(Ticket, Ticket.uid == FollowUp.ticket_uid))
    if hall_code:
        q = q.where(Hall.code == hall_code)
    if states:
        q = q.where(FollowUp.state.in_(states))
    today = utcnow().astimezone(tz).date()
    rows = session.execute(q.order_by(FollowUp.due_on, FollowUp.id).limit(limit)).all()
    return [_info(f, r, t, code, today) for f, r, t, code in rows]


def advance_follow_up(session: Session, follow_up_id: int, to_state: str, by: str, note: str,
                      tz: ZoneInfo = ZoneInfo("Asia/Shanghai")) -> wire.FollowUpInfo:
    """待回访 -> 已回访 -> 已整改, one step at a time, naming who did it."""
    f = session.get(FollowUp, follow_up_id, with_for_update=True)
    if f is None:
        raise OfficeError(404, f"no follow-up {follow_up_id}")
    if NEXT_STATE.get(f.state) != to_state:
        raise OfficeError(409, f"follow-up {follow_up_id} is {wire.FOLLOW_UP_STATES[f.state]} ({f.state}); "
                               f"it can go to {NEXT_STATE.get(f.state, 'nothing')} next, not {to_state}")
    now = utcnow()
    if to_state == "visited":
        f.state, f.visited_at, f.visited_by, f.visit_note = "visited", now, by, note
    else:
        f.state, f.rectified_at, f.rectified_by, f.rectify_note = "rectified", now, by, note
    session.flush()
    return _one(session, f, tz)


def _one(session: Session, f: FollowUp, tz: ZoneInfo) -> wire.FollowUpInfo:
    r = session.get(Rating, f.ticket_uid)
    hall = session.get(Hall, f.hall_id)
    return _info(f, r, session.get(Ticket, f.ticket_uid), hall.code if hall else "", utcnow().astimezone(tz).date())


# --- satisfaction ----------------------------------------------------------------------------


@dataclass
class Satisfaction:
    rated: int = 0
    satisfied: int = 0  # 非常满意, 满意, 基本满意
    levels: dict[str, int] | None = None

    def add(self, level: str) -> None:
        self.rated += 1
        self.satisfied += level in wire.GOOD_LEVELS
        self.levels = self.levels or {k: 0 for k in wire.RATING_LEVELS}
        self.levels[level] = self.levels.get(level, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return {"rated": self.rated, "satisfied": self.satisfied,
                "rate": round(self.satisfied / self.rated, 4) if self.rated else None,
                "levels": self.levels or {k: 0 for k in wire.RATING_LEVELS}}


def _ratings(session: Session, since: date | None, until: date | None, hall_code: str | None):
    q = select(Rating.level, Rating.window_number, Rating.clerk, Rating.business_code, Rating.service_day,
               Hall.code).join(Hall, Hall.id == Rating.hall_id)
    if since:
        q = q.where(Rating.service_day >= since)
    if until:
        q = q.where(Rating.service_day <= until)
    if hall_code:
        q = q.where(Hall.code == hall_code)
    return session.execute(q)


def satisfaction_by_day(session: Session, since: date | None = None, until: date | None = None,
                        hall_code: str | None = None) -> dict[tuple[str, str, date], Satisfaction]:
    """满意率 per hall, business and service day: the `satisfaction` object of `/api/v1/stats` rows."""
    out: dict[tuple[str, str, date], Satisfaction] = defaultdict(Satisfaction)
    for level, _window, _clerk, business, day, hall in _ratings(session, since, until, hall_code):
        out[(hall, business or "", day)].add(level)
    return out


def satisfaction(session: Session, since: date | None = None, until: date | None = None,
                 hall_code: str | None = None) -> dict[str, Any]:
    """满意率 per hall, window, clerk, business and month (the ticket's service day decides the month)."""
    total = Satisfaction()
    groups: dict[str, dict[Any, Satisfaction]] = {k: defaultdict(Satisfaction)
                                                  for k in ("hall", "window", "clerk", "business", "month")}
    for level, window, clerk, business, day, hall in _ratings(session, since, until, hall_code):
        total.add(level)
        groups["hall"][(hall,)].add(level)
        groups["window"][(hall, window)].add(level)
        groups["clerk"][(hall, clerk or "")].add(level)
        groups["business"][(hall, business or "")].add(level)
        groups["month"][(hall, day.strftime("%Y-%m") if day else "")].add(level)
    names = {"hall": ("hall",), "window": ("hall", "window"), "clerk": ("hall", "clerk"),
             "business": ("hall", "business"), "month": ("hall", "month")}
    out: dict[str, Any] = {"total": total.as_dict()}
    for kind, rows in groups.items():
        out[f"by_{kind}"] = [{**dict(zip(names[kind], key, strict=True)), **s.as_dict()}
                             for key, s in sorted(rows.items(), key=lambda kv: tuple(str(x) for x in kv[0]))]
    return out
