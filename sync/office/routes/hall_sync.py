"""The halls' sync (hall token): which hall this is, push the outbox, pull content changes (at
once, or waiting for the next one), and the ticket numbers already used today.

A waiting pull from a token the office knows does not get this far: sync/office/held_pulls.py
answers it in front of FastAPI, with the same waiters and the same answer as `pull` here.
"""

# No `from __future__ import annotations`: FastAPI must see the dependency types.

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from sync import wire
from sync.office import store
from sync.office.db import OfficeDB
from sync.office.deps import DBDep, HallCaller, SessionDep, SettingsDep, TransactionDep
from sync.office.models import utcnow
from sync.office.routes.common import ERRORS, Day, parse_day
from sync.office.store import Caller
from sync.office.waiting import PullWaiters

# Declared in the schema only: a malformed cursor gets the store's clear 400, which the hall reads.
CURSOR_SCHEMA = {"format": "cursor", "pattern": wire.CURSOR_PATTERN}

router = APIRouter(tags=["hall"], responses=ERRORS)


async def pull_waiters(request: Request) -> PullWaiters:
    return request.app.state.waiters


@router.get("/api/v1/hello", response_model=wire.HallInfo)
def hello(who: HallCaller, settings: SettingsDep) -> wire.HallInfo:
    """Which hall this token belongs to."""
    return wire.HallInfo(hall=who.code, name=who.name, public_url=settings.public_url)


@router.post("/api/v1/push", response_model=wire.PushReply)
def push(batch: wire.PushBatch, who: HallCaller, settings: SettingsDep, transaction: TransactionDep) -> Response:
    """Store a batch of outbox entries exactly once (the whole batch or nothing)."""

    def work(s: Session) -> wire.PushReply:
        reply = store.push(s, who, batch, follow_up_days=settings.ratings.follow_up_days, tz=settings.tz)
        store.touch_hall(s, who.id)
        return reply

    reply = transaction(work)  # (its commit wakes the hall's live ticket pages, in every process)
    return Response(reply.model_dump_json(), media_type="application/json")


def pull_now(db: OfficeDB, who: Caller, cursor: str, limit: int) -> wire.PullPage:
    with db.sessions() as s:
        page = store.pull(s, who, cursor, limit)
        store.touch_hall(s, who.id, relaxed=True)
        s.commit()
    return page


@router.get("/api/v1/pull", response_model=wire.PullPage)
async def pull(who: HallCaller, db: DBDep, waiters: Annotated[PullWaiters, Depends(pull_waiters)],
               cursor: Annotated[str, Query(max_length=60, description="the cursor of the last page",
                                            json_schema_extra=CURSOR_SCHEMA)] = "",
               limit: Annotated[int, Query(ge=1, le=wire.MAX_PULL_LIMIT)] = wire.DEFAULT_PULL_LIMIT,
               wait_s: Annotated[float, Query(ge=0, le=wire.MAX_WAIT_S, description=(
                   "if nothing is new, wait up to this long for a change before answering "
                   "(an empty page); 0 answers at once"))] = 0,
               ) -> Response:
    """Content changes for this hall after `cursor`, oldest first; with `wait_s`, the answer
    comes as soon as there is one (a long poll: one request held per hall)."""
    store.parse_cursor(cursor)  # a malformed cursor is refused at once, not after the wait
    if wait_s > 0:
        page = await waiters.pull(who, cursor, limit, wait_s)
    else:
        page = await run_in_threadpool(pull_now, db, who, cursor, limit)
    # Serialised directly: the page is already a validated PullPage (this is the hot path).
    return Response(page.model_dump_json(), media_type="application/json",
                    headers={"X-Yizhan-Waited": "1"} if wait_s > 0 else None)


@router.get("/api/v1/tickets/high-water", response_model=wire.HighWater)
def high_water(who: HallCaller, s: SessionDep, settings: SettingsDep, day: Day = None) -> wire.HighWater:
    """The highest ticket number per prefix this hall has pushed for `day` (default: the office's
    today): a hall that lost its cache numbers its next tickets after these."""
    return store.high_water(s, who, parse_day(day, "day") or utcnow().astimezone(settings.tz).date())
