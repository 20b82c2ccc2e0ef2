"""Every hall at a glance: last sync, reported devices and outbox, today's tickets.

Three queries whatever the number of halls (halls, reports, today's ticket counts per hall).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from sync.office import store
from sync.office.models import Hall, HallReport, Ticket


@dataclass
class HallGlance:
    code: str
    name: str
    tags: list[str]
    revoked: bool
    last_seen: str | None  # ISO time, UTC
    silent_min: int | None  # minutes since the hall was last in touch (None: never)
    online: bool
    silent: bool  # silent longer than the configured limit: it stands out
    app_version: str = ""
    outbox_waiting: int | None = None
    outbox_rejected: int | None = None
    board: dict[str, Any] | None = None
    printer: dict[str, Any] | None = None
    voice: dict[str, Any] | None = None
    reported_at: str | None = None
    issued: int = 0
    served: int = 0
    waiting: int = 0
    mean_wait_min: float | None = None
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def glance(session: Session, today: date, now: datetime, silent_after_min: int) -> list[HallGlance]:
    # Plain rows, not ORM objects: a thousand halls must not cost a thousand object loads.
    tags = store.hall_tags(session)
    reports = {r.hall_id: r for r in session.execute(select(HallReport.hall_id, HallReport.reported_at,
                                                            HallReport.data))}
    issued_n = func.count()
    served_n = func.sum(case((Ticket.state == "served", 1), else_=0))
    waiting_n = func.sum(case((Ticket.state.in_(store.STILL_WAITING), 1), else_=0))
    today_rows: dict[int, list[int]] = {}
    for hall_id, issued, served, waiting in session.execute(
            select(Ticket.hall_id, issued_n, served_n, waiting_n)
            .where(Ticket.service_day == today).group_by(Ticket.hall_id)):
        today_rows[hall_id] = [int(issued), int(served or 0), int(waiting or 0)]
    # Mean wait (issue -> call) of today's called tickets, per hall.
    waits = dict(session.execute(
        select(Ticket.hall_id, func.avg(store.minutes_between(session, Ticket.issued_at, Ticket.called_at)))
        .where(Ticket.service_day == today, Ticket.called_at.is_not(None)).group_by(Ticket.hall_id)).all())
    limit = timedelta(minutes=silent_after_min)
    out = []
    for h in session.execute(select(Hall.id, Hall.code, Hall.name, Hall.revoked_at, Hall.last_seen_at)
                             .order_by(Hall.code)):
        seen = h.last_seen_at
        silent_for = now - seen if seen else None
        g = HallGlance(
            code=h.code, name=h.name, tags=tags.get(h.id, []), revoked=h.revoked_at is not None,
            last_seen=seen.isoformat(timespec="seconds") if seen else None,
            silent_min=int(silent_for.total_seconds() // 60) if silent_for is not None else None,
            online=silent_for is not None and silent_for <= limit and h.revoked_at is None,
            silent=h.revoked_at is None and (silent_for is None or silent_for > limit),
        )
        report = reports.get(h.id)
        if report is not None:
            d = report.data
            g.app_version = str(d.get("app_version") or "")
            g.outbox_waiting, g.outbox_rejected = d.get("outbox_waiting"), d.get("outbox_rejected")
            g.board, g.printer, g.voice = d.get("board"), d.get("printer"), d.get("voice")
            g.reported_at = report.reported_at.isoformat(timespec="seconds")
            for what, dev in (("LED屏", g.board), ("打印机", g.printer), ("语音", g.voice)):
                if dev is not None and not dev.get("ok", True):
                    g.problems.append(what)
            if g.outbox_rejected:
                g.problems.append("拒收记录")
        counts = today_rows.get(h.id)
        if counts:
            g.issued, g.served, g.waiting = counts[0], counts[1], counts[2]
        if waits.get(h.id) is not None:
            g.mean_wait_min = round(float(waits[h.id]), 1)
        out.append(g)
    return out
