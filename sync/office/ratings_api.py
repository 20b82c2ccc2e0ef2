"""HTTP for ratings and the live ticket page (included by sync/office/api.py):

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
from collections.abc import Callable
from dataclasses import asdict
from html import escape
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as UrlPath
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import wire
from sync.office import pages, ratings, store
from sync.office.live import LivePages
from sync.office.live_snapshot import HallSnapshots
from sync.office.models import Ticket, utcnow
from sync.office.store import Caller, OfficeError
from sync.office.ticket_page import LiveTicket, live_ticket, ticket_page
from sync.ratelimit import RateLimit

POLL_WAIT_S = 25.0  # a long poll answers after this even when nothing changed (proxies cut idle requests)


class AdvanceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: Literal["visited", "rectified"]
    note: str = Field("", max_length=1000)


def ratings_router(db: Any, *, transaction: Callable[[Callable[[Session], Any]], Any], admin_caller: Any,
                   hall_caller: Any, session: Any, tz: ZoneInfo, follow_up_days: int = 7,
                   near_ahead: int = 3, offline_after_s: float = 90.0, phone_per_minute: int = 5) -> APIRouter:
    from sync.office.api import ERRORS, HTML_ERRORS, Day, _day  # (here: api.py includes this router)

    html = {"content": {"text/html": {}}}
    # a malformed path or body is refused in JSON like every other 4xx; the rest is a page
    html_or_json = {"content": {"text/html": {},
                                "application/json": {"schema": {"$ref": "#/components/schemas/ErrorReply"}}}}
    rate_replies: dict[int | str, dict[str, Any]] = {
        303: {"description": "rated: back to the ticket page"}, 404: {"description": "no such ticket", **html},
        409: {"description": "not finished, or already rated", **html},
        422: {"description": "invalid rating", **html_or_json}, 429: {"description": "too many ratings", **html}}
    router = APIRouter()
    phones = RateLimit(phone_per_minute, 60.0)
    live_pages = LivePages(db.wakeups)  # woken by the hall's pushes, whichever process took them
    snapshots = HallSnapshots(db, live_pages, tz)
    halls_of: dict[str, int] = {}  # ticket uid -> hall id, for the shared reads (bounded below)
    options = {"follow_up_days": follow_up_days, "tz": tz}

    def load(uid: str) -> tuple[int, LiveTicket] | None:
        with db.sessions() as s:
            status = store.ticket_status(s, uid)
            if status is None:
                return None
            hall_id = s.scalar(select(Ticket.hall_id).where(Ticket.uid == uid))
            rated = ratings.rating_of(s, uid) is not None
        if len(halls_of) > 200_000:
            halls_of.clear()
        halls_of[uid] = hall_id
        return hall_id, live_ticket(status, rated=rated, now=utcnow(), tz=tz, near_ahead=near_ahead,
                                    offline_after_s=offline_after_s)

    async def current(uid: str) -> tuple[int, LiveTicket] | None:
        """The ticket's state: from the hall's shared read if the ticket is open, else its own read."""
        hall_id = halls_of.get(uid)
        if hall_id is not None:
            status = (await snapshots.get(hall_id)).statuses.get(uid)
            if status is not None:
                return hall_id, live_ticket(status, rated=False, now=utcnow(), tz=tz, near_ahead=near_ahead,
                                            offline_after_s=offline_after_s)
        return await run_in_threadpool(load, uid)

    def not_found() -> HTMLResponse:
        return HTMLResponse(pages.not_found_page(
            "没有这张号票，或大厅尚未同步。No such ticket, or the hall has not synced it yet."), status_code=404)

    Uid = Annotated[str, UrlPath(max_length=36, json_schema_extra={"format": "uuid"})]
    html_404 = {404: {"description": "not found", "content": {"text/html": {}}}, 422: HTML_ERRORS[422]}

    @router.get("/t/{uid}", response_class=HTMLResponse, responses=html_404, tags=["public"])
    async def ticket(uid: Uid) -> HTMLResponse:
        """A ticket's live status (number, business, state, people ahead, the call, the hall's sync)."""
        found = await run_in_threadpool(load, uid)
        if found is None:
            return not_found()
        return HTMLResponse(ticket_page(uid, found[1], poll_url=f"/t/{uid}/live"))

    @router.get("/t/{uid}/live", response_model=LiveTicket, responses={404: ERRORS[404], 422: ERRORS[422]},
                tags=["public"])
    async def live(uid: Uid, v: Annotated[str, Query(max_length=40)] = "") -> Response:
        """Long poll: answers at once when the ticket's state differs from version `v`, else when the
        hall next pushes something (or after 25 s with the same state)."""
        await live_pages.start()
        hall_id = halls_of.get(uid)
        seen = live_pages.generation(hall_id) if hall_id is not None else None
        found = await current(uid)
        if found is None:
            return JSONResponse({"detail": {"message": "no such ticket", "entry": None}}, status_code=404)
        hall_id, t = found
        # (seen None: this process did not know the ticket's hall before that read, so a wake-up
        # during it could be lost; the wait below looks once more, through the hall's shared read)
        deadline = time.monotonic() + POLL_WAIT_S
        # a push of the hall wakes every page of it; a page whose ticket did not change waits on
        while t.version == v and await live_pages.wait(hall_id, seen, deadline - time.monotonic()):
            seen = live_pages.generation(hall_id)  # before the read: a push during it wakes us again
            found = await current(uid)
            if found is None:
                return JSONResponse({"detail": {"message": "no such ticket", "entry": None}}, status_code=404)
            t = found[1]
        if t.version == v:  # the timeout: "still the same", and the page asks again
            found = await current(uid)  # (the hall may have gone offline meanwhile)
            t = found[1] if found is not None else t
        return JSONResponse(asdict(t), headers={"Cache-Control": "no-store"})

    @router.post("/t/{uid}/rating", status_code=303, response_class=RedirectResponse, responses=rate_replies,
                 tags=["public"])
    async def rate(uid: Uid, request: Request) -> Response:
        """The phone's rating (a form post: level, reasons, comment). Back to the ticket page."""
        body = (await request.body())[:8192].decode("utf-8", "replace")
        form = parse_qs(body, keep_blank_values=True, max_num_fields=20)
        source = request.client.host if request.client else "?"

        def back(message: str, status: int) -> HTMLResponse:
            return HTMLResponse(pages.page("评价未提交", f"<header><h1>评价未提交 Not rated</h1></header>"
                                           f"<section><p>{escape(message)}</p>"
                                           f'<p><a href="/t/{escape(uid)}">返回 Back</a></p></section>'),
                                status_code=status)

        if not phones.allow(source):
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
                s, uid, payload.level, list(payload.reasons), payload.comment, **options))
        except OfficeError as exc:
            return back(exc.message, exc.status)
        return RedirectResponse(f"/t/{uid}", status_code=303)

    # --- follow-ups and satisfaction ---

    @router.get("/api/v1/follow-ups", response_model=wire.FollowUpList, responses=ERRORS, tags=["hall"])
    def hall_follow_ups(who: Annotated[Caller, Depends(hall_caller)],
                        s: Annotated[Session, Depends(session)]) -> wire.FollowUpList:
        """This hall's follow-ups not yet 已整改 (the station head's list in the hall app)."""
        return wire.FollowUpList(follow_ups=ratings.follow_ups(s, hall_code=who.code, states=("open", "visited"),
                                                                tz=tz))

    @router.get("/api/v1/admin/follow-ups", response_model=list[wire.FollowUpInfo], responses=ERRORS, tags=["admin"])
    def admin_follow_ups(who: Annotated[Caller, Depends(admin_caller)], s: Annotated[Session, Depends(session)],
                         hall: Annotated[str | None, Query(max_length=40)] = None,
                         state: Annotated[list[wire.FollowUpState] | None, Query()] = None,
                         ) -> list[wire.FollowUpInfo]:
        """差评 follow-ups, the earliest deadline first (`state` may repeat: open, visited, rectified)."""
        return ratings.follow_ups(s, hall_code=hall, states=tuple(state) if state else None, tz=tz)

    @router.post("/api/v1/admin/follow-ups/{follow_up_id}", response_model=wire.FollowUpInfo, responses=ERRORS,
                 tags=["admin"])
    def advance(follow_up_id: Annotated[int, UrlPath(ge=1, le=2**31 - 1)], body: AdvanceBody,
                who: Annotated[Caller, Depends(admin_caller)]) -> wire.FollowUpInfo:
        """Record the 回访 (visited) or the 整改 (rectified); the admin token's name is who did it."""
        return transaction(lambda s: ratings.advance_follow_up(s, follow_up_id, body.state, who.name, body.note, tz))

    @router.get("/api/v1/stats/satisfaction", responses=ERRORS, tags=["admin"])
    def satisfaction(who: Annotated[Caller, Depends(admin_caller)], s: Annotated[Session, Depends(session)],
                     since: Day = None, until: Day = None,
                     hall: Annotated[str | None, Query(max_length=40)] = None) -> dict[str, Any]:
        """满意率 (非常满意 + 满意 + 基本满意 over all ratings) per hall, window, clerk, business, month."""
        return {"satisfaction": ratings.satisfaction(s, _day(since, "since"), _day(until, "until"), hall)}

    return router
