"""Public pages, no token: a service guide for a phone (the kiosk's QR code), and the health
check. (The live ticket page is in sync/office/routes/ratings.py.)"""

# No `from __future__ import annotations`: FastAPI must see the dependency types.

from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as UrlPath
from fastapi.responses import HTMLResponse

from sync.office import pages, store
from sync.office.deps import SessionDep
from sync.office.routes.common import HTML_404

router = APIRouter(tags=["public"])


@router.get("/g/{uid}", response_class=HTMLResponse, responses=HTML_404)
def guide(uid: Annotated[str, UrlPath(max_length=36, json_schema_extra={"format": "uuid"})],
          s: SessionDep) -> HTMLResponse:
    """A service guide, readable on a phone (the kiosk's QR code)."""
    data = store.unpublished_guide(s, uid)
    if data is None:
        return HTMLResponse(pages.not_found_page("没有这份办事指南 No such guide."), status_code=404)
    return HTMLResponse(pages.guide_page(data))


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
