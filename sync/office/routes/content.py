"""Publishing content records (guides, categories, business types, windows, notices,
disclosures) to halls by code, or to all of them (admin token)."""

# No `from __future__ import annotations`: FastAPI must see the body and dependency types.

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from sync import wire
from sync.office import store
from sync.office.deps import AdminCaller, TransactionDep
from sync.office.routes.common import ERRORS

router = APIRouter(tags=["admin"], responses=ERRORS)


class PublishRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: wire.ContentKind
    data: dict[str, Any]


class PublishRequest(BaseModel):
    """Publish records to halls by code, or to "all" (which includes halls added later)."""

    model_config = ConfigDict(extra="forbid")
    records: list[PublishRecord] = Field(min_length=1, max_length=wire.MAX_ENTRIES)
    halls: Literal["all"] | list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(min_length=1)


class PublishedRecord(BaseModel):
    uid: str
    version: int
    changed: bool


class PublishReply(BaseModel):
    records: list[PublishedRecord]
    halls: int


@router.post("/api/v1/admin/publish", response_model=PublishReply)
def publish(body: PublishRequest, who: AdminCaller, transaction: TransactionDep) -> PublishReply:
    """Publish content records to one hall, several, or all."""
    records = [r.model_dump() for r in body.records]
    results = transaction(lambda s: store.publish(s, records, body.halls, author=who.name))
    return PublishReply(records=[PublishedRecord(uid=r.uid, version=r.version, changed=r.changed)
                                 for r in results], halls=results[0].halls if results else 0)
