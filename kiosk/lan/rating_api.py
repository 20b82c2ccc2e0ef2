"""The rating pad's part of the hall LAN API (`yizhan rating --hall URL --window N`).

The pad carries the hall's LAN token like a counter console but no staff sign-in: the resident
uses it. It is bound to its window by the URL and can only rate the ticket last finished at
that window (kiosk/services/ratings.py), so a pad cannot rate other windows' tickets.

    GET  /api/v1/windows/{n}/rating  -> PromptReply {"prompt": {ticket_uid, label, business_name, ...} | null}
    POST /api/v1/windows/{n}/rating  {ticket_uid, level, reasons, comment} -> RatedReply {"rating": {...}}

The answers are kiosk/lan/schema.py's, read back by the pad's client (kiosk/lan/rating_client.py).
A refusal is {"error": "<Chinese message>"} with the service's status (404, 409, 422, 429).
"""

# No `from __future__ import annotations`: FastAPI must see the path parameter's type.

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi import Path as UrlPath
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from kiosk.lan.schema import PromptReply, RatedReply
from kiosk.services.ratings import RatingError, RatingService


class RatingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_uid: str = Field(min_length=32, max_length=36)
    level: str = Field(min_length=1, max_length=20)
    reasons: list[str] = Field(default_factory=list, max_length=10)
    comment: str = Field("", max_length=1000)  # checked to the wire's limit by the service, with a message


# (as kiosk/lan/api.py's WindowNumber: a number too large for the database is a 422, not a 500)
WindowNumber = Annotated[int, UrlPath(ge=1, le=999, description="the pad's window number")]


def rating_router(ratings: RatingService, check_token: Any) -> APIRouter:
    router = APIRouter(dependencies=[Depends(check_token)])

    def refused(exc: RatingError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

    # (response_model named: the annotation also lets a refusal through as a plain JSONResponse)
    @router.get("/api/v1/windows/{number}/rating", response_model=PromptReply)
    def prompt(number: WindowNumber) -> PromptReply | JSONResponse:
        try:
            return PromptReply(prompt=ratings.pending(number))
        except RatingError as exc:
            return refused(exc)

    @router.post("/api/v1/windows/{number}/rating", response_model=RatedReply)
    def rate(number: WindowNumber, body: RatingBody) -> RatedReply | JSONResponse:
        try:
            done = ratings.rate(number, body.ticket_uid, body.level, body.reasons, body.comment)
        except RatingError as exc:
            return refused(exc)
        return RatedReply(rating=done)

    return router
