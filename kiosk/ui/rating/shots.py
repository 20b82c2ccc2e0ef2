"""Screenshots of the counter rating pad: asking after 办结, a 差评's reasons, and thanks.
Works on a copy of the hall's cache in a temporary folder: screenshots never change the hall."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

from kiosk.ui.screenshots import ShotContext, settle, shot

if TYPE_CHECKING:
    from kiosk.hall import Hall

SIZE = (600, 900)


def _demo_pad(hall: Hall) -> Any:
    from kiosk.lan.rating_client import LocalRatingClient
    from kiosk.services.events import EventBus
    from kiosk.services.queue import QueueService
    from kiosk.services.ratings import RatingService
    from kiosk.ui.rating.pad import RatingPad
    from sync.cache.db import backup_database, open_cache

    folder = Path(tempfile.mkdtemp(prefix="yizhan-rating-shots-"))
    backup_database(hall.cache.path, folder / "hall.sqlite3")
    cache = open_cache(folder / "hall.sqlite3")
    q = QueueService(cache, EventBus(), tz=hall.tz, config=hall.config)
    business = q.businesses()[0].code
    window = next(w.number for w in q.windows() if business in w.business_codes)
    q.issue_ticket(business)
    q.call_next(window)
    q.finish(window)
    pad = RatingPad(LocalRatingClient(RatingService(cache), window), window, poll_s=0.05)
    pad.resize(*SIZE)
    pad.show()
    for _ in range(40):
        settle(50)
        if pad.page_name() == "ask":
            break
    return pad


@shot("rating-ask")
def rating_ask(ctx: ShotContext) -> QWidget:
    return _demo_pad(ctx.hall)


@shot("rating-reasons")
def rating_reasons(ctx: ShotContext) -> QWidget:
    pad = _demo_pad(ctx.hall)
    pad.choose("dissatisfied")
    pad.reason_boxes["long_wait"].setChecked(True)
    pad.reason_boxes["unclear_materials"].setChecked(True)
    pad.comment.setPlainText("材料清单上没写要户口本原件")
    return pad


@shot("rating-thanks")
def rating_thanks(ctx: ShotContext) -> QWidget:
    pad = _demo_pad(ctx.hall)
    pad.choose("very_satisfied")
    for _ in range(40):
        settle(50)
        if pad.page_name() == "thanks":
            break
    return pad
