"""The counter rating pad (kiosk/ui/rating/pad.py) against a real hall LAN API on loopback:
idle until 办结 at its window, five levels, a 差评 asks for reasons and a comment, thanks,
back to idle; a pad left alone returns to idle; it works with the street office unreachable."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kiosk.hall import Hall
from kiosk.lan.api import HallApiServer, create_app
from kiosk.lan.client import LocalCounterClient
from kiosk.lan.rating_client import RatingRefused, RemoteRatingClient
from kiosk.ui.rating.pad import RatingPad
from sync.cache.models import Outbox, Rating
from sync.client import SyncError, SyncWorker

TOKEN = "rating-pad-token"


@pytest.fixture
def lan(hall_config):
    hall = Hall(hall_config)  # the bundled sample
    # the street office is unreachable: nothing here needs it
    hall.sync = SyncWorker(hall.cache, "http://127.0.0.1:9", "t", apply_content=lambda *a: None, timeout_s=1)
    queue = hall.queue
    ratings = hall.ratings
    server = HallApiServer(create_app(LocalCounterClient(queue, None, None, hall), TOKEN, ratings=ratings)).start()
    business = queue.businesses()[0].code
    window = next(w.number for w in queue.windows() if business in w.business_codes)
    pads = []

    def pad(**kw):
        p = RatingPad(RemoteRatingClient(server.url, TOKEN, window), window, poll_s=0.1, **kw)
        pads.append(p)
        p.show()
        return p

    try:
        yield hall, queue, business, window, pad, server
    finally:
        for p in pads:
            p.close()
        server.stop()
        hall.close()


def finish_one(queue, business, window):
    queue.issue_ticket(business)
    queue.call_next(window)
    return queue.finish(window)


def ratings_in(hall):
    with hall.cache.reading() as s:
        return [(r.level, r.reasons, r.comment, r.source) for r in s.scalars(select(Rating))]


def test_a_bad_rating_with_reasons_and_comment_while_the_office_is_unreachable(qtbot, lan):
    hall, queue, business, window, pad, _server = lan
    p = pad()
    qtbot.wait(300)
    assert p.page_name() == "idle"  # nothing finished yet
    queue.issue_ticket(business)
    queue.call_next(window)
    qtbot.wait(300)
    assert p.page_name() == "idle"  # at the counter, not finished
    ticket = queue.finish(window)
    qtbot.waitUntil(lambda: p.page_name() == "ask", timeout=5000)
    assert ticket.label in p.ask_ticket.text()
    assert [b.text() for b in p.level_buttons.values()] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]

    qtbot.mouseClick(p.level_buttons["very_dissatisfied"], qtbot_left())
    assert p.page_name() == "reasons" and "非常不满意" in p.reasons_title.text()
    p.reason_boxes["long_wait"].setChecked(True)
    p.reason_boxes["unclear_materials"].setChecked(True)
    p.comment.insertPlainText("材料清单和窗口说的不一样")  # as an input method commits it
    qtbot.mouseClick(p.submit_button, qtbot_left())
    qtbot.waitUntil(lambda: p.page_name() == "thanks", timeout=5000)
    assert ratings_in(hall) == [("very_dissatisfied", ["long_wait", "unclear_materials"], "材料清单和窗口说的不一样",
                                 "counter")]
    with pytest.raises(SyncError):
        hall.sync.sync_once()  # the office cannot be reached ...
    with hall.cache.reading() as s:  # ... and the rating waits in the outbox for it
        assert s.scalar(select(Outbox.done_at).where(Outbox.kind == "rating")) is None
    p.thanks_timer.setInterval(10)
    p.thanks_timer.start()
    qtbot.waitUntil(lambda: p.page_name() == "idle", timeout=5000)
    qtbot.wait(300)
    assert p.page_name() == "idle"  # rated: not asked again


def test_a_good_rating_goes_at_once_and_the_same_ticket_cannot_be_rated_twice(qtbot, lan):
    hall, queue, business, window, pad, server = lan
    p = pad()
    ticket = finish_one(queue, business, window)
    qtbot.waitUntil(lambda: p.page_name() == "ask", timeout=5000)
    qtbot.mouseClick(p.level_buttons["satisfied"], qtbot_left())
    qtbot.waitUntil(lambda: p.page_name() == "thanks", timeout=5000)
    assert ratings_in(hall) == [("satisfied", [], "", "counter")]
    client = RemoteRatingClient(server.url, TOKEN, window)
    with pytest.raises(RatingRefused, match="已经评价过了") as twice:
        client.rate(ticket.uid, "very_satisfied", [], "")
    assert twice.value.status == 409
    with pytest.raises(RatingRefused, match="评价等级不对") as bad:
        client.rate(finish_one(queue, business, window).uid, "great", [], "")
    assert bad.value.status == 422
    with pytest.raises(RatingRefused, match="令牌") as wrong:
        RemoteRatingClient(server.url, "wrong", window).prompt()
    assert wrong.value.status == 401
    other = next(w.number for w in queue.windows() if w.number != window)
    with pytest.raises(RatingRefused, match=f"不是在{other}号窗口办结的"):
        RemoteRatingClient(server.url, TOKEN, other).rate(ticket.uid, "satisfied", [], "")


def test_a_pad_left_alone_returns_to_idle_and_does_not_ask_again(qtbot, lan):
    hall, queue, business, window, pad, _server = lan
    p = pad(idle_after_s=0.5)
    finish_one(queue, business, window)
    qtbot.waitUntil(lambda: p.page_name() == "ask", timeout=5000)
    qtbot.waitUntil(lambda: p.page_name() == "idle", timeout=5000)
    qtbot.wait(400)  # several polls: the hall still offers that ticket, the pad does not ask again
    assert p.page_name() == "idle" and ratings_in(hall) == []
    finish_one(queue, business, window)  # the next resident
    qtbot.waitUntil(lambda: p.page_name() == "ask", timeout=5000)


def qtbot_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
