"""HTTP for proposals: office editors review halls' edits of shared records (admin token),
a hall reads the state of its own proposals (hall token). See sync/office/proposals.py."""

# No `from __future__ import annotations`: FastAPI must see the dependency types.

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as UrlPath
from pydantic import BaseModel, ConfigDict, Field

from sync import wire
from sync.office import proposals
from sync.office.deps import AdminCaller, HallCaller, SessionDep, TransactionDep
from sync.office.errors import OfficeError
from sync.office.routes.common import ERRORS

router = APIRouter(responses=ERRORS)
ProposalId = Annotated[int, UrlPath(ge=1, le=2**31 - 1)]


class FieldChange(BaseModel):
    field: str
    office: Any = None  # the office's current value
    proposed: Any = None  # the hall's


class ProposalRow(BaseModel):
    id: int
    hall: str
    hall_name: str
    kind: str
    uid: str = Field(json_schema_extra={"format": "uuid"})
    title: str
    state: wire.ProposalStateWord
    state_word: str  # 已提交审核 / 已采纳 / 已部分采纳 / 已驳回
    author: str
    base_version: int
    office_version: int
    current_version: int
    created_at: datetime
    decided_at: datetime | None
    decided_by: str
    note: str
    result_version: int | None
    data: dict[str, Any]
    changes: list[FieldChange]


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Annotated[str, Field(max_length=500)] = ""


class MergeDecision(Decision):
    # The fields to take from the hall's proposal; every other field keeps the office's value.
    take: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(min_length=1, max_length=60)


def _row(view: proposals.ProposalView) -> ProposalRow:
    return ProposalRow(**{**view.__dict__, "changes": [FieldChange(**c.__dict__) for c in view.changes]})


@router.get("/api/v1/admin/proposals", response_model=list[ProposalRow], tags=["admin"])
def list_all(who: AdminCaller, s: SessionDep,
             state: Annotated[wire.ProposalStateWord | None, Query()] = None,
             hall: Annotated[str | None, Query(max_length=40)] = None) -> list[ProposalRow]:
    """Halls' edits of shared records, newest first (filter by state and hall)."""
    return [_row(v) for v in proposals.list_proposals(s, state, hall)]


@router.get("/api/v1/admin/proposals/{proposal_id}", response_model=ProposalRow, tags=["admin"])
def one(proposal_id: ProposalId, who: AdminCaller, s: SessionDep) -> ProposalRow:
    """One proposal with its field-by-field differences from the office's current copy."""
    return _row(proposals.get(s, proposal_id))


@router.post("/api/v1/admin/proposals/{proposal_id}/accept", response_model=ProposalRow, tags=["admin"])
def accept(proposal_id: ProposalId, body: Decision, who: AdminCaller,
           transaction: TransactionDep) -> ProposalRow:
    """Publish the hall's record as proposed to every hall that has it."""
    return _row(transaction(lambda s: proposals.accept(s, proposal_id, who.name, body.note)))


@router.post("/api/v1/admin/proposals/{proposal_id}/merge", response_model=ProposalRow, tags=["admin"])
def merge(proposal_id: ProposalId, body: MergeDecision, who: AdminCaller,
          transaction: TransactionDep) -> ProposalRow:
    """Publish the office's copy with the chosen fields taken from the hall's proposal."""
    return _row(transaction(lambda s: proposals.merge(s, proposal_id, body.take, who.name, body.note)))


@router.post("/api/v1/admin/proposals/{proposal_id}/reject", response_model=ProposalRow, tags=["admin"])
def reject(proposal_id: ProposalId, body: Decision, who: AdminCaller,
           transaction: TransactionDep) -> ProposalRow:
    """Keep the office's copy; the hall reads the note."""
    return _row(transaction(lambda s: proposals.reject(s, proposal_id, who.name, body.note)))


@router.get("/api/v1/proposals", response_model=wire.ProposalStates, tags=["hall"])
def mine(who: HallCaller, s: SessionDep,
         ids: Annotated[str, Query(max_length=2000, pattern=r"^[0-9]{1,10}(,[0-9]{1,10}){0,199}$",
                                   description="comma-separated proposal ids")]) -> wire.ProposalStates:
    """Where this hall's proposals stand (another hall's ids are left out)."""
    numbers = [int(x) for x in re.findall(r"[0-9]+", ids)]
    if any(n > 2**31 - 1 for n in numbers):
        raise OfficeError(422, "query.ids: a proposal id is out of range")
    return proposals.hall_states(s, who.id, numbers)
