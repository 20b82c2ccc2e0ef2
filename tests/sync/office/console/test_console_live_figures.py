"""What keeps the console fast at a thousand halls gives the numbers of a recomputation: today's
tickets kept per hall (live_figures) are read again for the halls that pushed, in this process
and, on PostgreSQL, when another process pushed; the roll-up is made by the server in the
background; percentiles of a rolled-up part and a live part are those of all the values."""

from __future__ import annotations

import asyncio
import random
import threading
import time
import uuid
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from sync import wire
from sync.client import wait_until
from sync.office import store
from sync.office.api import create_app
from sync.office.console.halls import HallGlance, glance, rows_html
from sync.office.db import OfficeDB
from sync.office.models import utcnow
from tests.sync.office.console.test_console_figures import ticket_entry
from tests.sync.office_world import BACKENDS, PG_URL, drop_pg_schema, pg_schema_db

GROUPINGS = [["hall"], ["day"], ["business", "window"], ["clerk"], ["hall", "business", "day"]]


def push(db: OfficeDB, caller: store.Caller, entries: list[dict]) -> None:
    with db.sessions.begin() as s:
        store.push(s, caller, wire.PushBatch.model_validate({"entries": entries}))


def figures(db: OfficeDB, *, roll_up: bool = True) -> dict:
    with db.sessions() as s:
        return {tuple(by): store.ticket_figures(s, None, None, None, by, roll_up=roll_up) for by in GROUPINGS}


def halls(db: OfficeDB, names: list[str]) -> list[store.Caller]:
    out = []
    with db.sessions.begin() as s:
        for name in names:
            hall, _token = store.add_hall(s, name, name)
            out.append(store.Caller("hall", hall.id, name, name))
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_only_the_halls_that_pushed_are_read_again_and_the_numbers_match(office_db_factory, backend):
    db = office_db_factory(backend)
    today = utcnow().date()
    a, b, c = halls(db, ["xingfu", "yulin", "jiangxi"])
    for hall in (a, b, c):
        push(db, hall, [ticket_entry(today - timedelta(days=d), n, ["served", "skipped", "waiting"][n % 3],
                                     n % 9 + 1, 1 + n % 2, ["张三", None][n % 2]) for d in range(3) for n in range(12)])
    store.roll_up_finished(db.sessions)
    assert figures(db) == figures(db, roll_up=False)
    cache = db.live_figures
    reads, read_halls = cache.reads, cache.halls_read
    assert figures(db) == figures(db, roll_up=False)
    assert cache.reads == reads  # nothing changed: nothing read
    # Hall a calls and finishes tickets of today; only a is read again, and it counts.
    push(db, a, [ticket_entry(today, 40 + n, "served", 30, 2, "李四") for n in range(3)])
    after = figures(db)
    assert after == figures(db, roll_up=False)
    assert cache.halls_read == read_halls + len(GROUPINGS)  # one hall, once per question
    (row,) = [f for f in after[("hall",)] if f.key["hall"] == "xingfu"]
    assert row.issued == 36 + 3
    # The halls page's today, from the same parts: equal to counting the tickets.
    with db.sessions() as s:
        rows = {g.code: g for g in glance(s, today, utcnow(), 10)}
        counted = store.ticket_figures(s, today, today, None, ["hall"], roll_up=False)
    for f in counted:
        g = rows[f.key["hall"]]
        assert (g.issued, g.served, g.waiting, g.mean_wait_min) == (f.issued, f.served, f.waiting, f.avg_wait_min)


@pytest.mark.postgres
def test_another_processs_push_reaches_the_cache_through_the_hub():
    schema = f"t_{uuid.uuid4().hex[:12]}"
    writer = pg_schema_db(schema)
    reader = OfficeDB(PG_URL, schema=schema)  # another server process, as far as the cache knows
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(reader.wakeups.start(), loop).result(10)
        today = utcnow().date()
        (hall,) = halls(writer, ["xingfu"])
        push(writer, hall, [ticket_entry(today, n, "served", 5, 1, "张三") for n in range(5)])
        deadline = time.monotonic() + 10
        while reader.live_figures.seq == 0 and time.monotonic() < deadline:
            time.sleep(0.05)  # the listener connects, then hears
        assert figures(reader)[("hall",)][0].issued == 5
        seq = reader.live_figures.seq
        push(writer, hall, [ticket_entry(today, 10 + n, "waiting", 0, 1, None) for n in range(2)])
        deadline = time.monotonic() + 10
        while reader.live_figures.seq == seq and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reader.live_figures.seq > seq, "the other process's push was not heard"
        assert figures(reader) == figures(writer, roll_up=False)
        assert figures(reader)[("hall",)][0].issued == 7
    finally:
        asyncio.run_coroutine_threadsafe(reader.wakeups.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        reader.close()
        writer.close()
        drop_pg_schema(schema)


def test_the_server_rolls_up_finished_days_in_the_background(office_db_factory):
    db = office_db_factory("sqlite")
    today = utcnow().date()
    (hall,) = halls(db, ["xingfu"])
    push(db, hall, [ticket_entry(today - timedelta(days=d), n, "served", 4, 1, None) for d in range(4) for n in range(3)])
    with db.sessions() as s:
        assert len(store.days_to_roll_up(s)) == 4 - store.ROLL_UP_AFTER_DAYS
    with TestClient(create_app(db, roll_up_every_s=0.2)):  # the app's lifespan starts the roller
        assert wait_until(lambda: rolled_up(db), 20)
        # A late ticket of a rolled-up day: counted live at once, rolled up again soon after.
        old = today - timedelta(days=2)
        push(db, hall, [ticket_entry(old, 50, "served", 4, 1, None)])
        with db.sessions() as s:
            assert store.days_to_roll_up(s) == [old]
            (row,) = store.ticket_figures(s, old, old, None, ["day"])
            assert row.issued == 4
        assert wait_until(lambda: rolled_up(db), 20)
    with db.sessions() as s:
        assert store.days_to_roll_up(s) == []
    assert figures(db) == figures(db, roll_up=False)


def rolled_up(db) -> bool:
    with db.sessions() as s:
        return not store.days_to_roll_up(s)


def test_percentiles_of_two_sorted_parts_are_those_of_all_values():
    rnd = random.Random(5)
    for _ in range(300):
        a = sorted(round(rnd.uniform(0, 60), 4) for _ in range(rnd.randrange(0, 40)))
        b = sorted(round(rnd.choice([rnd.uniform(0, 60), 7.0]), 4) for _ in range(rnd.randrange(0, 8)))
        both = sorted(a + b)
        for q in (0.0, 0.5, 0.9, 1.0):
            assert store._percentile2(a, b, q) == store._percentile(both, q)
        assert store._service_total(a) + store._service_total(b) == store._service_total(both)


def test_gaps_between_rolled_up_days():
    d = date(2026, 11, 1)
    days = [d + timedelta(days=i) for i in (1, 2, 5)]
    assert store._gaps(days, d, d + timedelta(days=7)) == [
        (d, d), (d + timedelta(days=3), d + timedelta(days=4)), (d + timedelta(days=6), d + timedelta(days=7))]
    assert store._gaps(days, None, None) == [(None, d), (d + timedelta(days=3), d + timedelta(days=4)),
                                             (d + timedelta(days=6), None)]
    assert store._gaps([d], d, d) == []
    assert store._gaps([date.min, date.max], None, None) == [(date.min + timedelta(days=1), date.max - timedelta(days=1))]


def test_halls_rows_escape_what_halls_report():
    g = HallGlance(code="x<1>", name="<script>alert(1)</script>", tags=["武侯区"], revoked=False, last_seen=None,
                   silent_min=None, online=False, silent=True, app_version="0.1<b>",
                   printer={"ok": False, "text": "<i>缺纸</i>"}, issued=3, mean_wait_min=2.5)
    html = rows_html([g], may_edit=True, csrf="tok")
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;i&gt;缺纸" in html
    assert 'class="silent "' in html and "从未同步" in html and '<span class="bad">离线</span>' in html
    assert '<td class="num issued">3</td>' in html and '<td class="num wait">2.5</td>' in html
    assert 'action="/console/halls/x&lt;1&gt;/tags"' in html
    assert "<form" not in rows_html([g], may_edit=False, csrf="tok")
