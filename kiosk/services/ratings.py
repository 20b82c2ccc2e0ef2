"""好差评 at the counter: the resident rates the ticket just finished (办结) at a window.

No Qt. A rating is one row in the hall cache and one outbox entry ("rating") written in the
same transaction, so it reaches the street office exactly once, as ticket events do, and it
is kept while the office is unreachable. One rating per ticket, only for a served ticket,
only soon after it was finished (the pad shows it for a few minutes), and at most a few per
minute per window (a pad someone keeps pressing cannot flood the statistics).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select

from kiosk.errors import HallError
from kiosk.services.events import RatingAdded
from sync import wire
from sync.cache.models import BusinessType, Outbox, Rating, Staff, Ticket, TicketEvent, Window, new_seq_uid
from sync.ratelimit import RateLimit

LEVEL_NAMES = wire.RATING_LEVELS
REASON_NAMES = wire.RATING_REASONS


class RatingError(HallError):
    """A rating that cannot be taken; str() is a Chinese message for the screen."""

    def __init__(self, message: str, status: int = 409, code: str = "", **params: object):
        super().__init__(message, code, **params)
        self.status = status  # 404 no such ticket/window, 409 not now, 422 bad input, 429 too many


@dataclass(frozen=True)
class RatingPrompt:
    """The ticket a counter's rating pad asks about: finished at that window, not yet rated."""

    ticket_uid: str
    label: str
    business_name: str
    window_number: int
    finished_at: datetime


@dataclass(frozen=True)
class RatingDone:
    ticket_uid: str
    label: str
    level: str
    reasons: list[str]
    comment: str
    rated_at: datetime


_REASONS = TypeAdapter(wire.RatingReasons)
_LEVEL = TypeAdapter(wire.RatingLevel)
_COMMENT = TypeAdapter(wire.RatingComment)


def check_rating(level: Any, reasons: Any, comment: Any) -> tuple[str, list[str], str]:
    """The rating's parts checked against the wire's vocabulary; RatingError(422) says what is wrong."""
    try:
        level = _LEVEL.validate_python(level)
    except ValidationError:
        raise RatingError(f"评价等级不对：{level!r}（可选：{', '.join(LEVEL_NAMES)}）", 422) from None
    try:
        reasons = _REASONS.validate_python(list(reasons or []))
    except (ValidationError, TypeError) as exc:
        raise RatingError(f"原因不对：{reasons!r}（可选：{', '.join(REASON_NAMES)}，每项一次）: {exc}", 422) from None
    comment = str(comment or "").strip()
    try:
        comment = _COMMENT.validate_python(comment)
    except ValidationError:
        raise RatingError(f"留言太长：最多 {wire.MAX_COMMENT_CHARS} 字（现在 {len(comment)} 字）", 422) from None
    return level, reasons, comment


class RatingService:
    def __init__(self, cache: Any, *, offer_minutes: float = 10.0, per_window_per_minute: int = 6,
                 clock: Callable[[], datetime] | None = None, events: Any = None):
        self.cache = cache
        self.offer = timedelta(minutes=offer_minutes)  # how long after 办结 a pad still asks
        self.limit = RateLimit(per_window_per_minute, 60.0)
        self._clock = clock or (lambda: datetime.now(UTC))
        self.events = events  # the hall's EventBus: RatingAdded wakes the sync worker

    def now(self) -> datetime:
        return self._clock().astimezone(UTC)

    def pending(self, window_number: int) -> RatingPrompt | None:
        """The ticket last finished at this window if it is still to be rated, else None."""
        since = self.now() - self.offer
        with self.cache.reading() as s:
            window = s.scalar(select(Window).where(Window.number == window_number))
            if window is None:
                raise RatingError(f"没有{window_number}号窗口", 404)
            row = s.execute(
                select(Ticket, BusinessType.name).join(BusinessType, BusinessType.id == Ticket.business_type_id)
                .where(Ticket.window_id == window.id, Ticket.state == "served", Ticket.finished_at >= since)
                .order_by(Ticket.finished_at.desc(), Ticket.id.desc()).limit(1)).first()
            if row is None:
                return None
            ticket, business = row
            if s.scalar(select(Rating.id).where(Rating.ticket_id == ticket.id)) is not None:
                return None
            return RatingPrompt(ticket.uid, ticket.label, business, window_number, ticket.finished_at)

    def rate(self, window_number: int, ticket_uid: str, level: Any, reasons: Any = (), comment: Any = "") -> RatingDone:
        """Store the rating of a ticket finished at this window (and its outbox entry)."""
        level, reasons, comment = check_rating(level, reasons, comment)
        if not self.limit.allow(f"window:{window_number}"):
            raise RatingError("评价太频繁，请稍后再试", 429)
        now = self.now()
        with self.cache.transaction() as s:
            row = s.execute(
                select(Ticket, BusinessType.code, Window.number).join(BusinessType, BusinessType.id == Ticket.business_type_id)
                .outerjoin(Window, Window.id == Ticket.window_id).where(Ticket.uid == ticket_uid)).first()
            if row is None:
                raise RatingError("找不到这张号票", 404)
            ticket, business_code, at_window = row
            if ticket.state != "served":
                raise RatingError(f"{ticket.label} 还没有办结，办结后才能评价")
            if at_window != window_number:
                raise RatingError(f"{ticket.label} 不是在{window_number}号窗口办结的")
            if ticket.finished_at is None or ticket.finished_at < now - self.offer:
                raise RatingError(f"{ticket.label} 办结已超过 {int(self.offer.total_seconds() // 60)} 分钟，"
                                  "请扫描号票上的二维码在手机上评价")
            if s.scalar(select(Rating.id).where(Rating.ticket_id == ticket.id)) is not None:
                raise RatingError(f"{ticket.label} 已经评价过了，谢谢")
            staff_id, clerk = s.execute(
                select(TicketEvent.staff_id, Staff.name).outerjoin(Staff, Staff.id == TicketEvent.staff_id)
                .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "served")
                .order_by(TicketEvent.id.desc()).limit(1)).first() or (None, None)
            s.add(Rating(ticket_id=ticket.id, level=level, reasons=reasons, comment=comment, source="counter",
                         window_number=window_number, staff_id=staff_id, rated_at=now))
            payload = wire.RatingPayload(ticket_uid=ticket.uid, level=level, reasons=reasons, comment=comment,
                                         source="counter", rated_at=now, window_number=window_number,
                                         business_code=business_code, clerk=clerk or "")
            s.add(Outbox(uid=new_seq_uid(), kind="rating", payload=payload.model_dump(mode="json"), created_at=now))
        if self.events is not None:
            self.events.publish(RatingAdded(ticket_uid, level))
        return RatingDone(ticket_uid, ticket.label, level, reasons, comment, now)

    def month_rate(self, *, now: datetime | None = None, tz: Any = UTC) -> tuple[int, int]:
        """(satisfied, rated) this calendar month in the hall's zone: for the 公示 screen."""
        local = (now or self.now()).astimezone(tz)
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
        with self.cache.reading() as s:
            levels = s.scalars(select(Rating.level).where(Rating.rated_at >= start)).all()
        return sum(1 for lv in levels if lv in wire.GOOD_LEVELS), len(levels)
