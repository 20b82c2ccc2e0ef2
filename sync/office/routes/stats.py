"""The statistics (admin token): tickets per hall, business and day, with the mean waiting and
service minutes and the 好差评 of those tickets; as JSON, and as an HTML table for a browser
(which asks for the admin token as the password: see the 401 handler in sync/office/api.py)."""

# No `from __future__ import annotations`: FastAPI must see the dependency types.

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from sync.office import pages, store
from sync.office import ratings as good_and_bad  # 好差评
from sync.office.deps import AdminCaller, SessionDep
from sync.office.routes.common import ERRORS, HTML_ERRORS, Day, parse_day

router = APIRouter(tags=["admin"])


class SatisfactionFigures(BaseModel):
    """好差评 of the row's tickets: ratings, how many were 满意 or better, and the rate (None: none rated)."""

    rated: int
    satisfied: int
    rate: float | None
    levels: dict[str, int]


class StatsRow(BaseModel):
    hall: str
    business: str
    day: date
    tickets: int
    served: int
    avg_wait_min: float | None
    avg_service_min: float | None
    satisfaction: SatisfactionFigures


@router.get("/api/v1/stats", response_model=list[StatsRow], responses=ERRORS)
def stats(who: AdminCaller, s: SessionDep, since: Day = None, until: Day = None,
          hall: Annotated[str | None, Query(max_length=40)] = None) -> list[StatsRow]:
    """Tickets per hall, business and day, with mean waiting and service minutes and 满意率."""
    first, last = parse_day(since, "since"), parse_day(until, "until")
    rated = good_and_bad.satisfaction_by_day(s, first, last, hall)
    none = good_and_bad.Satisfaction()
    return [StatsRow(**r.__dict__, satisfaction=rated.get((r.hall, r.business, r.day), none).as_dict())
            for r in store.statistics(s, first, last, hall)]


@router.get("/stats", response_class=HTMLResponse, responses=HTML_ERRORS)
def stats_html(who: AdminCaller, s: SessionDep, since: Day = None, until: Day = None,
               hall: Annotated[str | None, Query(max_length=40)] = None) -> HTMLResponse:
    """The statistics as an HTML table (a browser asks for the admin token as the password)."""
    rows = store.statistics(s, parse_day(since, "since"), parse_day(until, "until"), hall)
    return HTMLResponse(pages.stats_page(rows))
