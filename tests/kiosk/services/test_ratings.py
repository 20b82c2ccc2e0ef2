"""好差评 at the counter (kiosk/services/ratings.py): only the ticket just finished at that window,
once, with the national vocabulary, rate-limited, and written with its outbox entry."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kiosk.services.events import RatingAdded
from kiosk.services.ratings import RatingError, RatingService
from sync import wire
from sync.cache.models import Outbox, Rating, Staff
from tests.kiosk.services.queue_world import add_clerks, make_queue, seed_hall


@pytest.fixture
def hall(cache, clock):
    seed_hall(cache)
    add_clerks(cache)
    q, bus = make_queue(cache, clock)
    seen = []
    bus.subscribe(RatingAdded, seen.append)
    return q, RatingService(cache, clock=clock, events=bus, per_window_per_minute=3), seen


def clerk_id(cache, name="王芳"):
    with cache.reading() as s:
        return s.scalar(select(Staff.id).where(Staff.name == name))


def served_at_window_1(q, cache):
    q.issue_ticket("labor")
    q.call_next(1, staff_id=clerk_id(cache))
    return q.finish(1, staff_id=clerk_id(cache))


def test_the_pad_asks_about_the_ticket_just_finished_and_it_goes_out_once(hall, cache):
    q, ratings, seen = hall
    assert ratings.pending(1) is None  # nothing finished yet: the pad stays idle
    q.issue_ticket("labor")
    q.call_next(1)
    assert ratings.pending(1) is None  # called, not finished
    q.finish(1, staff_id=clerk_id(cache))
    prompt = ratings.pending(1)
    assert prompt.label == "A001" and prompt.business_name == "劳动保障业务" and prompt.window_number == 1
    assert ratings.pending(2) is None  # another window's pad does not ask

    done = ratings.rate(1, prompt.ticket_uid, "dissatisfied", ["long_wait", "attitude"], "  等了一个小时  ")
    assert done.comment == "等了一个小时" and done.reasons == ["long_wait", "attitude"]
    assert ratings.pending(1) is None  # rated: back to idle
    assert seen == [RatingAdded(prompt.ticket_uid, "dissatisfied")]  # wakes the sync worker
    with cache.reading() as s:
        assert s.scalar(select(Rating.level)) == "dissatisfied"
        entries = s.scalars(select(Outbox).where(Outbox.kind == "rating")).all()
    assert len(entries) == 1
    entry = wire.RatingEntry.model_validate({"id": entries[0].uid, "seq": entries[0].id, "kind": "rating",
                                             "payload": entries[0].payload})
    assert entry.payload.clerk == "王芳" and entry.payload.window_number == 1
    assert entry.payload.business_code == "labor" and entry.payload.source == "counter"

    with pytest.raises(RatingError, match="已经评价过了") as again:
        ratings.rate(1, prompt.ticket_uid, "very_satisfied")
    assert again.value.status == 409


def test_only_a_finished_ticket_at_this_window_within_the_offer_time(hall, cache, clock):
    q, ratings, _ = hall
    waiting = q.issue_ticket("labor")
    with pytest.raises(RatingError, match="还没有办结"):
        ratings.rate(1, waiting.uid, "satisfied")
    view = served_at_window_1(q, cache)
    with pytest.raises(RatingError, match="不是在2号窗口办结的"):
        ratings.rate(2, view.uid, "satisfied")
    with pytest.raises(RatingError, match="找不到") as missing:
        ratings.rate(1, "0" * 8 + "-0000-4000-8000-" + "0" * 12, "satisfied")
    assert missing.value.status == 404
    with pytest.raises(RatingError, match="没有9号窗口"):
        ratings.pending(9)
    clock.advance(minutes=11)
    assert ratings.pending(1) is None
    with pytest.raises(RatingError, match="二维码"):
        ratings.rate(1, view.uid, "satisfied")
    with cache.reading() as s:
        assert s.scalar(select(Rating.id)) is None and s.scalar(select(Outbox.id).where(Outbox.kind == "rating")) is None


@pytest.mark.parametrize(("level", "reasons", "comment", "what"), [
    ("great", [], "", "评价等级不对"),
    ("satisfied", ["slow"], "", "原因不对"),
    ("satisfied", ["other", "other"], "", "原因不对"),
    ("satisfied", [], "长" * 201, "留言太长：最多 200 字（现在 201 字）"),
])
def test_bad_input_says_what_and_stores_nothing(hall, cache, level, reasons, comment, what):
    q, ratings, _ = hall
    view = served_at_window_1(q, cache)
    with pytest.raises(RatingError, match=what) as bad:
        ratings.rate(1, view.uid, level, reasons, comment)
    assert bad.value.status == 422
    assert ratings.pending(1) is not None  # still to be rated


def test_a_pad_someone_keeps_pressing_is_slowed_down(hall, cache, clock):
    q, ratings, _ = hall
    for _ in range(3):
        ratings.rate(1, served_at_window_1(q, cache).uid, "very_satisfied")
    fourth = served_at_window_1(q, cache)
    with pytest.raises(RatingError, match="太频繁") as busy:
        ratings.rate(1, fourth.uid, "very_satisfied")
    assert busy.value.status == 429
    assert ratings.month_rate() == (3, 3)
