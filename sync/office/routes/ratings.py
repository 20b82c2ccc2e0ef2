"""HTTP for ratings and the live ticket page:

    GET  /t/{uid}                   the live ticket page (public, only through its random uid)
    GET  /t/{uid}/live?v=VERSION    long poll: the ticket's state once it differs from VERSION
    POST /t/{uid}/rating            the phone's 好差评 (form post; one per ticket, rate-limited)
    GET  /api/v1/follow-ups         hall token: this hall's follow-ups not yet 已整改
    GET  /api/v1/admin/follow-ups   admin: follow-ups, by hall and state
    POST /api/v1/admin/follow-ups/{id}   admin: 待回访 -> 已回访 -> 已整改 (who: the token's name)
    GET  /api/v1/stats/satisfaction admin: 满意率 per hall, window, clerk, business and month
"""

# No `from __future__ import annotations`: FastAPI must see the dependency types.

import time
from dataclasses import asdict
from html import escape
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as UrlPath
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select

from sync import wire
from sync.office import pages, ratings, store
from sync.office.db import OfficeDB
from sync.office.deps import AdminCaller, HallCaller, OfficeSettings, SessionDep, SettingsDep, TransactionDep
from sync.office.live import LivePages
from sync.office.live_snapshot import HallSnapshots
from sync.office.models import Ticket, utcnow
from sync.office.routes.common import ERRORS, HTML_404, Day, parse_day
from sync.office.store import OfficeError
from sync.office.ticket_page import LiveTicket, live_ticket, ticket_page
from sync.ratelimit import RateLimit

POLL_WAIT_S = 25.0  # a long poll answers after this even when nothing changed (proxies cut idle requests)


class AdvanceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: Literal["visited", "rectified"]
    note: str = Field("", max_length=1000)


class LiveTickets:
    """What the ticket pages keep between requests (one per app: `app.state.live_tickets`): the
    wake-ups of each hall's pushes, the hall's shared read, which hall a ticket is in, and the
    phones' rating budget."""

    def __init__(self, db: OfficeDB, settings: OfficeSettings):
        self.db = db
        self.tz = settings.tz
        self.near_ahead = settings.ratings.near_ahead
        self.offline_after_s = settings.ratings.offline_after_s
        self.phones = RateLimit(settings.ratings.phone_per_minute, 60.0)
        self.pages = LivePages(db.wakeups)  # woken by the hall's pushes, whichever process took them
        self.snapshots = HallSnapshots(db, self.pages, self.tz)
        self.halls_of: dict[str, int] = {}  # ticket uid -> hall id, for the shared reads (bounded below)

    def load(self, uid: str) -> tuple[int, LiveTicket] | None:
        with self.db.reading() as s:
            status = store.ticket_status(s, uid)
            if status is None:
                return None
            hall_id = s.scalar(select(Ticket.hall_id).where(Ticket.uid == uid))
            rated = ratings.rating_of(s, uid) is not None
        if len(self.halls_of) > 200_000:
            self.halls_of.clear()
        self.halls_of[uid] = hall_id
        return hall_id, live_ticket(status, rated=rated, now=utcnow(), tz=self.tz, near_ahead=self.near_ahead,
                                    offline_after_s=self.offline_after_s)

    async def current(self, uid: str) -> tuple[int, LiveTicket] | None:
        """The ticket's state: from the hall's shared read if the ticket is open, else its own read."""
        hall_id = self.halls_of.get(uid)
        if hall_id is not None:
            status = (await self.snapshots.get(hall_id)).statuses.get(uid)
            if status is not None:
                return hall_id, live_ticket(status, rated=False, now=utcnow(), tz=self.tz,
                                            near_ahead=self.near_ahead, offline_after_s=self.offline_after_s)
        return await run_in_threadpool(self.load, uid)


async def live_tickets(request: Request) -> LiveTickets:
    return request.app.state.live_tickets


LiveTicketsDep = Annotated[LiveTickets, Depends(live_tickets)]
Uid = Annotated[str, UrlPath(max_length=36, json_schema_extra={"format": "uuid"})]

_HTML = {"content": {"text/html": {}}}
# a malformed path or body is refused in JSON like every other 4xx; the rest is a page
_HTML_OR_JSON = {"content": {"text/html": {}, "application/json": {"schema": {"$ref": "#/components/schemas/ErrorReply"}}}}
RATE_REPLIES: dict[int | str, dict[str, Any]] = {
    303: {"description": "rated: back to the ticket page"}, 404: {"description": "no such ticket", **_HTML},
    409: {"description": "not finished, or already rated", **_HTML},
    422: {"description": "invalid rating", **_HTML_OR_JSON}, 429: {"description": "too many ratings", **_HTML}}

router = APIRouter()


def not_found() -> HTMLResponse:
    return HTMLResponse(pages.not_found_page(
        "没有这张号票，或大厅尚未同步。No such ticket, or the hall has not synced it yet."), status_code=404)


@router.get("/t/{uid}", response_class=HTMLResponse, responses=HTML_404, tags=["public"])
async def ticket(uid: Uid, tickets: LiveTicketsDep) -> HTMLResponse:
    """A ticket's live status (number, business, state, people ahead, the call, the hall's sync)."""
    found = await run_in_threadpool(tickets.load, uid)
    if found is None:
        return not_found()
    return HTMLResponse(ticket_page(uid, found[1], poll_url=f"/t/{uid}/live"))


@router.get("/t/{uid}/live", response_model=LiveTicket, responses={404: ERRORS[404], 422: ERRORS[422]},
            tags=["public"])
async def live(uid: Uid, tickets: LiveTicketsDep, v: Annotated[str, Query(max_length=40)] = "") -> Response:
    """Long poll: answers at once when the ticket's state differs from version `v`, else when the
    hall next pushes something (or after 25 s with the same state)."""
    await tickets.pages.start()
    hall_id = tickets.halls_of.get(uid)
    seen = tickets.pages.generation(hall_id) if hall_id is not None else None
    found = await tickets.current(uid)
    if found is None:
        return JSONResponse({"detail": {"message": "no such ticket", "entry": None}}, status_code=404)
    hall_id, t = found
    # (seen None: this process did not know the ticket's hall before that read, so a wake-up
    # during it could be lost; the wait below looks once more, through the hall's shared read)
    deadline = time.monotonic() + POLL_WAIT_S
    # a push of the hall wakes every page of it; a page whose ticket did not change waits on
    while t.version == v and await tickets.pages.wait(hall_id, seen, deadline - time.monotonic()):
        seen = tickets.pages.generation(hall_id)  # before the read: a push during it wakes us again
        found = await tickets.current(uid)
        if found is None:
            return JSONResponse({"detail": {"message": "no such ticket", "entry": None}}, status_code=404)
        t = found[1]
    if t.version == v:  # the timeout: "still the same", and the page asks again
        found = await tickets.current(uid)  # (the hall may have gone offline meanwhile)
        t = found[1] if found is not None else t
    return JSONResponse(asdict(t), headers={"Cache-Control": "no-store"})


@router.post("/t/{uid}/rating", status_code=303, response_class=RedirectResponse, responses=RATE_REPLIES,
             tags=["public"])
async def rate(uid: Uid, request: Request, tickets: LiveTicketsDep, settings: SettingsDep,
               transaction: TransactionDep) -> Response:
    """The phone's rating (a form post: level, reasons, comment). Back to the ticket page."""
    body = (await request.body())[:8192].decode("utf-8", "replace")
    form = parse_qs(body, keep_blank_values=True, max_num_fields=20)
    source = request.client.host if request.client else "?"

    def back(message: str, status: int) -> HTMLResponse:
        return HTMLResponse(pages.page("评价未提交", f"<header><h1>评价未提交 Not rated</h1></header>"
                                       f"<section><p>{escape(message)}</p>"
                                       f'<p><a href="/t/{escape(uid)}">返回 Back</a></p></section>'),
                            status_code=status)

    if not tickets.phones.allow(source):
        return back("评价太频繁，请稍后再试 Too many ratings, please try again later", 429)
    try:
        payload = wire.RatingPayload(ticket_uid=uid, level=(form.get("level") or [""])[0],  # type: ignore[arg-type]
                                     reasons=form.get("reasons", []),  # type: ignore[arg-type]
                                     comment=(form.get("comment") or [""])[0].strip(), source="phone",
                                     rated_at=utcnow())
    except ValidationError as exc:
        err = exc.errors()[0]
        return back(f"请检查：{'.'.join(str(p) for p in err['loc'])}: {err['msg']}", 422)
    try:
        await run_in_threadpool(transaction, lambda s: ratings.rate_from_phone(
            s, uid, payload.level, list(payload.reasons), payload.comment,
            follow_up_days=settings.ratings.follow_up_days, tz=settings.tz))
    except OfficeError as exc:
        return back(exc.message, exc.status)
    return RedirectResponse(f"/t/{uid}", status_code=303)


# --- follow-ups and satisfaction ---


@router.get("/api/v1/follow-ups", response_model=wire.FollowUpList, responses=ERRORS, tags=["hall"])
def hall_follow_ups(who: HallCaller, s: SessionDep, settings: SettingsDep) -> wire.FollowUpList:
    """This hall's follow-ups not yet 已整改 (the station head's list in the hall app)."""
    return wire.FollowUpList(follow_ups=ratings.follow_ups(s, hall_code=who.code, states=("open", "visited"),
                                                            tz=settings.tz))


@router.get("/api/v1/admin/follow-ups", response_model=list[wire.FollowUpInfo], responses=ERRORS, tags=["admin"])
def admin_follow_ups(who: AdminCaller, s: SessionDep, settings: SettingsDep,
                     hall: Annotated[str | None, Query(max_length=40)] = None,
                     state: Annotated[list[wire.FollowUpState] | None, Query()] = None,
                     ) -> list[wire.FollowUpInfo]:
    """差评 follow-ups, the earliest deadline first (`state` may repeat: open, visited, rectified)."""
    return ratings.follow_ups(s, hall_code=hall, states=tuple(state) if state else None, tz=settings.tz)


@router.post("/api/v1/admin/follow-ups/{follow_up_id}", response_model=wire.FollowUpInfo, responses=ERRORS,
             tags=["admin"])
def advance(follow_up_id: Annotated[int, UrlPath(ge=1, le=2**31 - 1)], body: AdvanceBody, who: AdminCaller,
            settings: SettingsDep, transaction: TransactionDep) -> wire.FollowUpInfo:
    """Record the 回访 (visited) or the 整改 (rectified); the admin token's name is who did it."""
    return transaction(lambda s: ratings.advance_follow_up(s, follow_up_id, body.state, who.name, body.note,
                                                           settings.tz))


@router.get("/api/v1/stats/satisfaction", responses=ERRORS, tags=["admin"])
def satisfaction(who: AdminCaller, s: SessionDep, since: Day = None, until: Day = None,
                 hall: Annotated[str | None, Query(max_length=40)] = None) -> dict[str, Any]:
    """满意率 (非常满意 + 满意 + 基本满意 over all ratings) per hall, window, clerk, business, month."""
    return {"satisfaction": ratings.satisfaction(s, parse_day(since, "since"), parse_day(until, "until"), hall)}
