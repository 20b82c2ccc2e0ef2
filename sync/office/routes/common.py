"""What several of the office's routers declare alike: the refusals they may answer (in the
OpenAPI schema, as `responses=`) and the day in a query.

Every refusal is a 4xx with `{"detail": {"message": ..., "entry": ...}}` and changes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query

from sync import wire
from sync.office.store import OfficeError

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": wire.ErrorReply, "description": what} for code, what in {
        400: "malformed request", 401: "missing or unknown token", 403: "not this token's data",
        404: "no such hall or proposal", 429: "too many wrong tokens from this address",
        409: "conflicts with what is stored", 413: "too large", 422: "invalid content",
    }.items()
}
# HTML pages answer refusals in JSON too: say so, or clients expect text/html.
_ERROR_JSON = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorReply"}}}
HTML_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or unknown token", "content": _ERROR_JSON},
    403: {"description": "not an admin token", "content": _ERROR_JSON},
    422: {"description": "invalid query", "content": _ERROR_JSON},
}
# A public page that is not there: a page saying so (a malformed path is refused in JSON).
HTML_404: dict[int | str, dict[str, Any]] = {404: {"description": "not found", "content": {"text/html": {}}},
                                              422: HTML_ERRORS[422]}

# A day in a query: strictly YYYY-MM-DD (no numbers taken for timestamps).
Day = Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="YYYY-MM-DD")]


def parse_day(value: str | None, name: str) -> date | None:
    """The `Day` query `name` as a date (None if not given)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise OfficeError(422, f"query.{name}: {value!r} is not a date (YYYY-MM-DD)") from None
