"""The statistics' figures: the daily roll-up gives the same numbers as counting every ticket, a
late ticket of a rolled-up day is counted, and median/p90 are the usual interpolated ones."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from sync import wire
from sync.office import store
from sync.office.models import RolledUpDay, utcnow
from tests.sync.office_world import BACKENDS


def ticket_entry(day: date, n: int, state: str, service_min: int, window: int, clerk: str | None) -> dict:
    issued = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC) + timedelta(minutes=n)
    called = issued + timedelta(minutes=n % 7 + 1) if state != "waiting" else None
    finished = called + timedelta(minutes=service_min) if state == "served" else None
    uid = str(uuid.uuid4())
    return {"id": str(uuid.uuid4()), "seq": n, "kind": "ticket_event", "payload": {
        "ticket": {"uid": uid, "label": f"A{n:03d}", "prefix": "A", "number": n, "service_day": day.isoformat(),
                   "business_code": ["labor", "civil"][n % 2], "state": state, "window_number": window,
                   "issued_at": issued.isoformat(), "called_at": called and called.isoformat(),
                   "finished_at": finished and finished.isoformat()},
        "event": {"uid": str(uuid.uuid4()), "kind": "called", "at": issued.isoformat(), "window_number": window,
                  "clerk": clerk}}}


@pytest.mark.parametrize("backend", BACKENDS)
def test_roll_up_equals_live_and_late_tickets_count(office_db_factory, backend):
    db = office_db_factory(backend)
    today = utcnow().date()
    with db.sessions.begin() as s:
        hall, _token = store.add_hall(s, "幸福", "xingfu")
        store.add_hall(s, "玉林", "yulin")
        caller = store.Caller("hall", hall.id, "xingfu", "幸福")
        entries = [ticket_entry(today - timedelta(days=d), n, ["served", "served", "skipped", "waiting"][n % 4],
                                n % 11 + 2, 1 + n % 3, [None, "张三", "李四"][n % 3])
                   for d in range(0, 9) for n in range(24)]
        store.push(s, caller, wire.PushBatch.model_validate({"entries": entries}))
    groupings = [["hall"], ["day"], ["business", "window"], ["clerk"], ["hall", "business", "day"]]
    with db.sessions() as s:
        live = {tuple(by): store.ticket_figures(s, None, None, None, by, roll_up=False) for by in groupings}
    with db.sessions() as s:  # nothing rolled up yet: every day counted live, same numbers
        assert {tuple(by): store.ticket_figures(s, None, None, None, by) for by in groupings} == live
    assert store.roll_up_finished(db.sessions) == 9 - store.ROLL_UP_AFTER_DAYS  # what the server does, in the background
    with db.sessions() as s:
        assert len(s.scalars(select(RolledUpDay)).all()) == 9 - store.ROLL_UP_AFTER_DAYS
    assert store.roll_up_finished(db.sessions) == 0
    with db.sessions() as s:
        rolled = {tuple(by): store.ticket_figures(s, None, None, None, by) for by in groupings}
    assert rolled == live
    (row,) = live[("hall",)]
    assert (row.issued, row.served, row.not_shown, row.waiting) == (216, 108, 54, 54)
    # A ticket of an old day arrives late (a hall back from a week offline): it is counted.
    old = today - timedelta(days=6)
    with db.sessions.begin() as s:
        store.push(s, caller, wire.PushBatch.model_validate({"entries": [ticket_entry(old, 99, "served", 5, 1, "张三")]}))
    with db.sessions() as s:
        assert s.get(RolledUpDay, old) is None
        after = store.ticket_figures(s, old, old, None, ["day"])
    assert after[0].issued == 25 and after[0].served == 13
    # The API's per hall/business/day rows are the same computation.
    with db.sessions() as s:
        api = store.statistics(s, old, old)
    assert sum(r.tickets for r in api) == 25 and sum(r.served for r in api) == 13


def test_percentiles_interpolate():
    assert store._percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert store._percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == pytest.approx(9.1)
    assert store._percentile([], 0.5) is None


def test_a_range_from_the_year_one_rolls_up_only_days_with_tickets(office_db_factory):
    db = office_db_factory("sqlite")
    day = utcnow().date() - timedelta(days=3)
    with db.sessions.begin() as s:
        hall, _token = store.add_hall(s, "幸福", "xingfu")
        store.push(s, store.Caller("hall", hall.id, "xingfu", "幸福"),
                   wire.PushBatch.model_validate({"entries": [ticket_entry(day, 1, "served", 4, 1, None)]}))
    assert store.roll_up_finished(db.sessions) == 1
    with db.sessions() as s:
        (row,) = store.ticket_figures(s, date(1, 1, 1), date(9999, 12, 31), None, ["day"])
        assert (row.key["day"], row.issued) == (day, 1)
        assert len(s.scalars(select(RolledUpDay)).all()) == 1  # only days that have tickets, not every day between
