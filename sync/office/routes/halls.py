"""The halls as the office knows them (admin token): code, name, revoked, last in touch."""

# No `from __future__ import annotations`: FastAPI must see the dependency types.

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from sync.office.deps import AdminCaller, SessionDep
from sync.office.models import Hall
from sync.office.routes.common import ERRORS

router = APIRouter(tags=["admin"], responses=ERRORS)


class HallRow(BaseModel):
    code: str
    name: str
    revoked: bool
    last_seen_at: Any = None


@router.get("/api/v1/admin/halls", response_model=list[HallRow])
def halls(who: AdminCaller, s: SessionDep) -> list[HallRow]:
    return [HallRow(code=h.code, name=h.name, revoked=h.revoked_at is not None,
                    last_seen_at=h.last_seen_at.isoformat() if h.last_seen_at else None)
            for h in s.scalars(select(Hall).order_by(Hall.code))]
