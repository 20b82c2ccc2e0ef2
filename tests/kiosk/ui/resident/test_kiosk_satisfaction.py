"""The kiosk's 公示 card shows the hall's 满意率 this month once residents rated services."""

from __future__ import annotations

from kiosk.services.queue import QueueService
from kiosk.services.ratings import RatingService


def test_the_notices_card_shows_this_months_satisfaction(kiosk, kiosk_hall):
    home = kiosk.screens["home"]
    assert home.satisfaction is None  # nobody rated yet: no line
    q = QueueService(kiosk_hall.cache, kiosk_hall.events, tz=kiosk_hall.tz, config=kiosk_hall.config)
    ratings = RatingService(kiosk_hall.cache)
    business = q.businesses()[0].code
    window = next(w.number for w in q.windows() if business in w.business_codes)
    for level in ("very_satisfied", "satisfied", "basic", "dissatisfied"):
        q.issue_ticket(business)
        q.call_next(window)
        ratings.rate(window, q.finish(window).uid, level)
    home.refresh()
    assert home.satisfaction.text() == "本月服务满意率 75.0%（4 人评价）"
