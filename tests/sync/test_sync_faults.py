"""Through a proxy that drops, resets, delays, fails and truncates, nothing is lost or doubled."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from test_sync_hall import (
    HEAD,
    Clock,
    local_content,
    local_ticket_events,
    local_tickets,
    make_hall,
    office_content,
    work_a_day,
    worker_for,
)

from kiosk.services.editor import EditorService
from kiosk.services.queue import QueueService
from sync.cache import models as m
from sync.client import SyncError
from sync.office.models import PushEntry
from tests.sync.faultproxy import FaultProxy
from tests.sync.office_world import office_events, office_tickets


def test_faulty_network_loses_and_doubles_nothing(office, tmp_path, hall_config, sample_records):
    token = office.add_hall("幸福社区工作站", "xingfu")
    office.publish(sample_records, "all")
    hall = make_hall(tmp_path, hall_config, "hall")
    proxy = FaultProxy(int(office.url.rsplit(":", 1)[1]), fault_rate=0.6, seed=11, max_delay_s=1.2)
    # A short timeout so some delayed replies arrive after the hall gave up (the office did the work).
    worker = worker_for(hall, proxy.url, token, batch_size=25, pull_limit=10)
    worker.timeout_s = 0.8
    clock = Clock(datetime(2026, 11, 25, 0, 30, tzinfo=UTC))
    queue = QueueService(hall.cache, hall.events, tz=hall.tz, clock=clock)
    editor = EditorService.for_hall(hall)
    rng = random.Random(5)
    guides = [r for r in sample_records if r["kind"] == "guide"]
    notices = [r for r in sample_records if r["kind"] == "notice"]
    failures = 0
    for round_no in range(30):
        work_a_day(queue, clock, 4)
        if round_no % 4 == 0:  # the hall edits a notice...
            state = editor.load("notice", notices[0]["data"]["uid"])
            state.data["body"] = f"第 {round_no} 次修改"
            editor.publish(HEAD, state)
        if round_no % 5 == 2:  # ...while the office edits guides
            g = rng.choice(guides)
            g = {"kind": "guide", "data": {**g["data"], "hours": f"周一至周五 {8 + round_no % 3}:00-17:00"}}
            office.publish([g], "all")
        try:
            worker.sync_once()
        except SyncError:
            failures += 1
        clock.now += timedelta(minutes=7)
    assert failures > 5 and sum(v for k, v in proxy.counts.items() if k != "pass") > 10

    proxy.fault_rate = 0.0
    worker.timeout_s = 10  # the network is healthy again (and a busy CI machine is not a fault)
    worker.sync_once()
    assert worker.status().waiting == 0
    proxy.close()

    tickets = local_tickets(hall)
    assert len(tickets) == 120
    assert tickets == office_tickets(office.db)
    assert local_ticket_events(hall) == office_events(office.db)
    assert local_content(hall) == office_content(office, "xingfu")
    with hall.cache.sessions() as s:
        outbox = s.scalar(select(func.count()).select_from(m.Outbox))
        results = dict(s.execute(select(m.Outbox.result, func.count()).group_by(m.Outbox.result)).all())
    with office.db.sessions() as s:
        received = s.scalar(select(func.count()).select_from(PushEntry))
    assert received == outbox  # every entry once: retries were answered "duplicate", not stored again
    assert set(results) <= {"stored", "duplicate"}, results
    hall.close()
