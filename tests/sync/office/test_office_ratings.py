"""好差评 end to end over real HTTP on loopback: the counter's rating reaches the office exactly
once through the hall's outbox, the phone rates on the ticket page, the first of the two wins,
差评 open follow-ups (待回访 -> 已回访 -> 已整改) that the hall's head sees, and 满意率."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select, update

from kiosk.hall import Hall as HallApp
from kiosk.services.queue import QueueService
from kiosk.services.ratings import RatingService
from sync.cache.models import Outbox, Staff
from sync.client import SyncWorker
from sync.follow_ups import open_follow_ups
from sync.office.models import FollowUp, Rating


def ignore(*_args) -> None:
    pass


@pytest.fixture
def hall(office, hall_config):
    token = office.add_hall("幸福社区", "xingfu")
    h = HallApp(hall_config)  # the bundled sample: businesses, windows, staff
    q = QueueService(h.cache, h.events, tz=h.tz, config=h.config)
    ratings = RatingService(h.cache, events=h.events)
    worker = SyncWorker(h.cache, office.url, token, apply_content=ignore)
    with h.cache.reading() as s:
        clerk = s.execute(select(Staff.id, Staff.name).where(Staff.role == "clerk")).first()
    business = q.businesses()[0].code
    window = next(w.number for w in q.windows() if business in w.business_codes)
    try:
        yield h, q, ratings, worker, clerk, business, window, token
    finally:
        h.close()


def served(q, business, window, clerk_id):
    q.issue_ticket(business)
    q.call_next(window, staff_id=clerk_id)
    return q.finish(window, staff_id=clerk_id)


def admin(office):
    return {"Authorization": f"Bearer {office.admin_token}"}


def phone_rate(office, uid, **form):
    return requests.post(f"{office.url}/t/{uid}/rating", data=form, allow_redirects=False, timeout=10)


def test_counter_rating_reaches_the_office_once_and_a_bad_one_is_followed_up(office, hall):
    h, q, ratings, worker, (clerk_id, clerk), business, window, token = hall
    ticket = served(q, business, window, clerk_id)
    ratings.rate(window, ticket.uid, "very_dissatisfied", ["not_done", "other"], "材料说了三次都不一样")
    worker.sync_once()
    # the outbox entry sent again (an answer lost on the way back): the office keeps one rating
    with h.cache.transaction() as s:
        s.execute(update(Outbox).where(Outbox.kind == "rating").values(done_at=None))
    worker.sync_once()
    with h.cache.reading() as s:
        assert s.scalars(select(Outbox.result).where(Outbox.kind == "rating")).all() == ["duplicate"]
    with office.db.sessions() as s:
        rows = s.scalars(select(Rating)).all()
        assert [(r.ticket_uid, r.level, r.source, r.window_number, r.clerk, r.business_code) for r in rows] == [
            (ticket.uid, "very_dissatisfied", "counter", window, clerk, business)]
        assert s.scalar(select(FollowUp.state)) == "open"

    # the station head's list: this hall's open follow-ups (hall token)
    mine = requests.get(f"{office.url}/api/v1/follow-ups", headers={"Authorization": f"Bearer {token}"},
                        timeout=10).json()["follow_ups"]
    assert [(f["label"], f["clerk"], f["reasons"], f["comment"], f["state"]) for f in mine] == [
        (ticket.label, clerk, ["not_done", "other"], "材料说了三次都不一样", "open")]
    # the sync worker brought the list down in the round that pushed the rating
    assert [(f.label, f.level, f.state) for f in open_follow_ups(h.cache)] == [
        (ticket.label, "very_dissatisfied", "open")]
    other = office.add_hall("和平社区", "heping")
    assert requests.get(f"{office.url}/api/v1/follow-ups", headers={"Authorization": f"Bearer {other}"},
                        timeout=10).json()["follow_ups"] == []

    # the office: 待回访 -> 已回访 -> 已整改, one step at a time, with who did it
    listed = requests.get(f"{office.url}/api/v1/admin/follow-ups", params={"state": "open"}, headers=admin(office),
                          timeout=10).json()
    fid = listed[0]["id"]
    skip = requests.post(f"{office.url}/api/v1/admin/follow-ups/{fid}", json={"state": "rectified"},
                         headers=admin(office), timeout=10)
    assert skip.status_code == 409 and "visited" in skip.json()["detail"]["message"]
    visited = requests.post(f"{office.url}/api/v1/admin/follow-ups/{fid}",
                            json={"state": "visited", "note": "已电话回访"}, headers=admin(office), timeout=10).json()
    assert visited["state"] == "visited" and visited["visited_by"] == "街道办 测试" and visited["visit_note"] == "已电话回访"
    done = requests.post(f"{office.url}/api/v1/admin/follow-ups/{fid}", json={"state": "rectified", "note": "材料清单已统一"},
                         headers=admin(office), timeout=10).json()
    assert done["state"] == "rectified" and done["rectified_by"] == "街道办 测试"
    assert requests.get(f"{office.url}/api/v1/follow-ups", headers={"Authorization": f"Bearer {token}"},
                        timeout=10).json()["follow_ups"] == []
    worker.sync_once()
    assert [f.state for f in open_follow_ups(h.cache)] == ["open"]  # not asked again within 5 minutes
    worker.follow_ups_every_s = 0
    worker.sync_once()
    assert open_follow_ups(h.cache) == []  # 已整改: off the head's list
    assert requests.post(f"{office.url}/api/v1/admin/follow-ups/{fid}", json={"state": "visited"},
                         headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 403


def test_phone_first_then_counter_keeps_the_phone_rating(office, hall):
    h, q, ratings, worker, (clerk_id, clerk), business, window, _token = hall
    ticket = served(q, business, window, clerk_id)
    waiting = q.issue_ticket(business)
    worker.sync_once()
    early = phone_rate(office, waiting.uid, level="satisfied")
    assert early.status_code == 409 and "办结后才能评价" in early.text  # still waiting
    bad = phone_rate(office, ticket.uid, level="great")
    assert bad.status_code == 422 and "level" in bad.text
    first = phone_rate(office, ticket.uid, level="satisfied", reasons="long_wait", comment="还行")
    assert first.status_code == 303 and first.headers["location"] == f"/t/{ticket.uid}"
    assert "感谢您的评价" in requests.get(f"{office.url}/t/{ticket.uid}", timeout=10).text
    again = phone_rate(office, ticket.uid, level="very_dissatisfied")
    assert again.status_code == 409 and "已经评价过了" in again.text

    ratings.rate(window, ticket.uid, "very_dissatisfied", ["attitude"])  # the pad, later
    worker.sync_once()
    with h.cache.reading() as s:
        assert s.scalar(select(Outbox.result).where(Outbox.kind == "rating")) == "duplicate"
    with office.db.sessions() as s:
        # the phone does not know who served; the office does, from the hall's ticket events
        assert [(r.level, r.source, r.reasons, r.window_number, r.clerk, r.business_code)
                for r in s.scalars(select(Rating))] == [("satisfied", "phone", ["long_wait"], window, clerk, business)]
        assert s.scalar(select(FollowUp.id)) is None  # a good rating opens none


def test_counter_first_then_phone_is_refused(office, hall):
    h, q, ratings, worker, (clerk_id, _clerk), business, window, _token = hall
    ticket = served(q, business, window, clerk_id)
    ratings.rate(window, ticket.uid, "basic")
    worker.sync_once()
    late = phone_rate(office, ticket.uid, level="very_satisfied")
    assert late.status_code == 409
    with office.db.sessions() as s:
        assert [(r.level, r.source) for r in s.scalars(select(Rating))] == [("basic", "counter")]
    page = requests.get(f"{office.url}/t/{ticket.uid}", timeout=10).text
    assert 'id=rating hidden' in page and "感谢您的评价" in page


def test_phone_ratings_are_rate_limited_per_address(office, hall):
    h, q, ratings, worker, (clerk_id, _clerk), business, window, _token = hall
    tickets = [served(q, business, window, clerk_id) for _ in range(6)]
    worker.sync_once()
    answers = [phone_rate(office, t.uid, level="satisfied").status_code for t in tickets]
    assert answers == [303] * 5 + [429]
    with office.db.sessions() as s:
        assert len(s.scalars(select(Rating)).all()) == 5


def test_satisfaction_per_hall_window_clerk_business_and_month(office, hall):
    h, q, ratings, worker, (clerk_id, clerk), business, window, _token = hall
    levels = ["very_satisfied", "satisfied", "basic", "dissatisfied"]
    for level in levels:
        ratings.rate(window, served(q, business, window, clerk_id).uid, level)
    worker.sync_once()
    reply = requests.get(f"{office.url}/api/v1/stats/satisfaction", headers=admin(office), timeout=10).json()
    sat = reply["satisfaction"]
    assert sat["total"]["rated"] == 4 and sat["total"]["satisfied"] == 3 and sat["total"]["rate"] == 0.75
    assert [(r["hall"], r["window"], r["rate"]) for r in sat["by_window"]] == [("xingfu", window, 0.75)]
    assert [(r["clerk"], r["rated"]) for r in sat["by_clerk"]] == [(clerk, 4)]
    assert [(r["business"], r["levels"]["dissatisfied"]) for r in sat["by_business"]] == [(business, 1)]
    assert len(sat["by_month"]) == 1 and sat["by_month"][0]["satisfied"] == 3
    assert requests.get(f"{office.url}/api/v1/stats/satisfaction", params={"hall": "nowhere"}, headers=admin(office),
                        timeout=10).json()["satisfaction"]["total"]["rate"] is None
    # the same figures inside /api/v1/stats, on the row of the tickets' hall, business and day
    rows = requests.get(f"{office.url}/api/v1/stats", headers=admin(office), timeout=10).json()
    rated = [r for r in rows if r["satisfaction"]["rated"]]
    assert [(r["hall"], r["business"], r["served"]) for r in rated] == [("xingfu", business, 4)]
    assert rated[0]["satisfaction"] == {"rated": 4, "satisfied": 3, "rate": 0.75, "levels": {
        "very_satisfied": 1, "satisfied": 1, "basic": 1, "dissatisfied": 1, "very_dissatisfied": 0}}
    other = next(b.code for b in q.businesses() if b.code != business)
    q.issue_ticket(other)  # waiting, not rated
    worker.sync_once()
    rows = requests.get(f"{office.url}/api/v1/stats", headers=admin(office), timeout=10).json()
    assert [(r["business"], r["satisfaction"]["rated"], r["satisfaction"]["rate"]) for r in rows
            if r["business"] == other] == [(other, 0, None)]
    bad = requests.get(f"{office.url}/api/v1/stats/satisfaction", params={"since": "2026-13-01"},
                       headers=admin(office), timeout=10)
    assert bad.status_code == 422 and "since" in bad.text
