"""A real hall (cache, queue) reports its state and its clerks to a real office over loopback:
what the console's halls page and per-clerk statistics show."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from kiosk.hall import Hall
from kiosk.services.content import apply_content
from kiosk.services.embedded_office import hall_state
from kiosk.services.queue import QueueService
from sync.cache import models as m
from sync.client import SyncWorker
from sync.office import store
from sync.office.console.halls import glance
from sync.office.models import HallReport, Ticket, utcnow


def test_hall_reports_devices_outbox_and_clerk(office, tmp_path, hall_config, sample_records):
    token = office.add_hall("幸福社区工作站", "xingfu")
    office.publish(sample_records, "all")
    config = hall_config.model_copy(deep=True)
    config.hall.data_dir = tmp_path / "hall"
    hall = Hall(config)
    try:
        worker = SyncWorker(hall.cache, office.url, token, apply_content=apply_content, timeout_s=5)
        worker.hall_state = lambda: hall_state(hall)
        worker.sync_once()  # the content (business types, windows) arrives
        with hall.cache.sessions() as s:
            clerk = s.scalars(select(m.Staff).order_by(m.Staff.id)).first()
        queue = QueueService(hall.cache, hall.events, tz=hall.tz)
        ticket = queue.issue_ticket("labor")
        called = queue.call_next(1, staff_id=clerk.id)
        assert called is not None and called.uid == ticket.uid
        worker.state_every_s = 0  # report in this round too
        worker.sync_once()
        with office.db.sessions() as s:
            assert s.scalar(select(Ticket.clerk).where(Ticket.uid == ticket.uid)) == clerk.name
            report = s.scalars(select(HallReport)).one().data
            today = utcnow().astimezone(hall.tz).date()
            (row,) = glance(s, today, datetime.now(UTC), 10)
            by_clerk = store.ticket_figures(s, today, today, None, ["clerk"])
        # No board, printer or voice in this test hall: said so, not shown as faults.
        assert report["board"] == {"ok": True, "text": "LED屏：未接入"}
        assert report["printer"] == {"ok": True, "text": "打印机：未配置"}
        assert report["outbox_waiting"] == 0 and report["outbox_rejected"] == 0
        assert row.online and not row.silent and row.problems == []
        assert (row.issued, row.waiting) == (1, 1)
        assert [(f.key["clerk"], f.issued) for f in by_clerk] == [(clerk.name, 1)]
    finally:
        hall.close()
