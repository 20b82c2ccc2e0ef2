"""差评 follow-ups at the hall: the station head sees this hall's follow-ups the office has not
closed (待回访, 已回访). The sync worker asks the office for them every few minutes, and at
once in a round that pushed a rating (a new 差评 shows without waiting); the list is kept in
the cache so the head sees it with the office unreachable too (as of the last answer)."""

from __future__ import annotations

import logging
import time
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select

from sync import wire
from sync.cache.models import FollowUp, utcnow

log = logging.getLogger(__name__)

PATH = "/api/v1/follow-ups"


def due(worker: Any, pushed_ratings: int) -> bool:
    return pushed_ratings > 0 or time.monotonic() - worker.follow_ups_at >= worker.follow_ups_every_s


def pull_follow_ups(worker: Any, result: Any) -> int | None:
    """Replace the cached list with the office's; None if the office did not give one (an older
    office without the endpoint, or an unreadable answer: the round still counts as a success)."""
    response = worker._request("GET", PATH, result)
    worker.follow_ups_at = time.monotonic()
    if response.status_code != 200:
        log.info("the office gave no follow-ups (HTTP %d)", response.status_code)
        return None
    try:
        page = wire.FollowUpList.model_validate_json(response.content)
    except ValidationError as exc:
        log.warning("unreadable follow-ups from the office: %s", exc.errors()[0]["msg"])
        return None
    fresh = {f.ticket_uid: f.model_dump(mode="json") for f in page.follow_ups}
    with worker.cache.reading() as s:
        have = {f.ticket_uid: f.data for f in s.scalars(select(FollowUp))}
    if have != fresh:  # (no write, no fsync when nothing changed)
        with worker.cache.transaction() as s:
            s.execute(delete(FollowUp))
            s.add_all(FollowUp(ticket_uid=uid, data=data, updated_at=utcnow()) for uid, data in fresh.items())
    return len(fresh)


def open_follow_ups(cache: Any) -> list[wire.FollowUpInfo]:
    """The list as last received, the earliest deadline first."""
    with cache.reading() as s:
        rows = [wire.FollowUpInfo.model_validate(f.data) for f in s.scalars(select(FollowUp))]
    return sorted(rows, key=lambda f: (f.due_on, f.id))
