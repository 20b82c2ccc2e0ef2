"""Real halls (cache, queue, editor) syncing with a real office over HTTP on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from kiosk.hall import Hall
from kiosk.services.auth import StaffSession
from kiosk.services.content import apply_content
from kiosk.services.editor import EditorService
from kiosk.services.events import ContentChanged, ContentConflict
from kiosk.services.queue import QueueService
from sync.cache import models as m
from sync.client import SyncError, SyncWorker
from tests.sync.office_world import office_events, office_tickets

HEAD = StaffSession(3, "王建国", "head")


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def make_hall(tmp_path, hall_config, name: str) -> Hall:
    config = hall_config.model_copy(deep=True)
    config.hall.data_dir = tmp_path / name
    return Hall(config)


def worker_for(hall: Hall, url: str, token: str, **kw) -> SyncWorker:
    return SyncWorker(hall.cache, url, token, apply_content=apply_content, publish=hall.events.publish,
                      timeout_s=5, **kw)


def local_tickets(hall: Hall) -> dict[str, tuple]:
    with hall.cache.sessions() as s:
        return {t.uid: (t.label, t.state, t.called_at, t.finished_at) for t in s.scalars(select(m.Ticket))}


def local_ticket_events(hall: Hall) -> set[str]:
    with hall.cache.sessions() as s:
        return set(s.scalars(select(m.TicketEvent.uid)).all())


def local_content(hall: Hall) -> dict[str, tuple[int, str]]:
    from kiosk.services.content import export_bundle

    with hall.cache.sessions() as s:
        bundle = export_bundle(s)
        versions = {}
        for row_cls in (m.Category, m.ServiceGuide, m.BusinessType, m.Window, m.Notice, m.Disclosure):
            versions.update(dict(s.execute(select(row_cls.uid, row_cls.version)).all()))
    out = {}
    for items in (bundle.categories, bundle.guides, bundle.businesses, bundle.windows, bundle.notices,
                  bundle.disclosures):
        for r in items:
            out[r.uid] = (versions[r.uid], r.model_dump_json())
    return out


def office_content(office, hall_code: str) -> dict[str, tuple[int, str]]:
    from sync.content_rules import KINDS as models
    from sync.office.models import ContentRecord, Publication
    from sync.office.models import Hall as OfficeHall

    with office.db.sessions() as s:
        hall_id = s.scalar(select(OfficeHall.id).where(OfficeHall.code == hall_code))
        rows = s.scalars(select(ContentRecord).join(Publication, Publication.record_uid == ContentRecord.uid)
                         .where(Publication.hall_id == hall_id)).all()
        return {r.uid: (r.version, models[r.kind].model_validate(r.data).model_dump_json()) for r in rows}


def work_a_day(queue: QueueService, clock: Clock, tickets: int) -> None:
    """Issue, call and finish tickets through the real queue, over a simulated day."""
    for i in range(tickets):
        clock.now += timedelta(minutes=3)
        queue.issue_ticket(["labor", "civil", "health"][i % 3])
        if i % 2 == 1:
            for window in (1, 2, 3):
                clock.now += timedelta(minutes=1)
                try:
                    if queue.call_next(window):
                        clock.now += timedelta(minutes=4)
                        queue.finish(window)
                except Exception:  # noqa: BLE001 - a window may not serve that business
                    pass


def test_offline_day_then_catch_up(office, tmp_path, hall_config, sample_records):
    token = office.add_hall("幸福社区工作站", "xingfu")
    office.publish(sample_records, "all")
    hall = make_hall(tmp_path, hall_config, "hall")
    clock = Clock(datetime(2026, 11, 25, 0, 30, tzinfo=UTC))
    queue = QueueService(hall.cache, hall.events, tz=hall.tz, clock=clock)
    conflicts: list[ContentConflict] = []
    hall.events.subscribe(ContentConflict, conflicts.append)

    # The network is down all day: the hall keeps working, the outbox fills up.
    offline = worker_for(hall, "http://127.0.0.1:9", token)
    work_a_day(queue, clock, 60)
    with pytest.raises(SyncError):
        offline.sync_once()
    status = offline.status()
    assert not status.online and status.waiting > 60 and "cannot reach" in status.last_error
    assert offline.backoff_delay() > 0

    # Meanwhile the office publishes a changed guide.
    guide = next(r for r in sample_records if r["kind"] == "guide")
    changed = {"kind": "guide", "data": {**guide["data"], "hours": "周一至周六 9:00-17:00"}}
    office.publish([changed], "all")

    online = worker_for(hall, office.url, token)
    changes: list[ContentChanged] = []
    hall.events.subscribe(ContentChanged, changes.append)
    result = online.sync_once()
    assert result.pushed == status.waiting
    assert online.status().waiting == 0 and online.status().online
    assert local_tickets(hall) == office_tickets(office.db)
    assert local_ticket_events(hall) == office_events(office.db)
    assert local_content(hall) == office_content(office, "xingfu")
    assert ContentChanged("guide", guide["data"]["uid"], source="office") in changes
    assert conflicts == []
    # Statistics on the office reflect the day.
    stats = requests.get(f"{office.url}/api/v1/stats", headers={"Authorization": f"Bearer {office.admin_token}"},
                         timeout=10).json()
    assert sum(r["tickets"] for r in stats) == 60
    hall.close()


def test_content_conflict_resolved_through_the_editor(office, tmp_path, hall_config, sample_records):
    # A record published to this hall only (shared records become proposals instead, see
    # test_sync_proposals.py): the office edits it while the hall does.
    t2 = office.add_hall("和平", "heping")
    office.add_hall("幸福", "xingfu")
    office.publish(sample_records, ["heping"])
    h2 = make_hall(tmp_path, hall_config, "h2")
    w2 = worker_for(h2, office.url, t2)
    w2.sync_once()
    conflicts: list[ContentConflict] = []
    h2.events.subscribe(ContentConflict, conflicts.append)
    guide = next(r for r in sample_records if r["kind"] == "guide")
    guide_uid = guide["data"]["uid"]

    office.publish([{"kind": "guide", "data": {**guide["data"], "phone": "028-11111111"}}], ["heping"])
    e2 = EditorService.for_hall(h2)
    s2 = e2.load("guide", guide_uid)  # the hall starts from version 1
    s2.data["hours"] = "周一至周五 8:30-18:00"
    assert e2.publish(HEAD, s2) == 2
    r2 = w2.sync_once()
    assert r2.conflicts == 1 and len(conflicts) == 1 and r2.proposed == 0
    assert w2.status().conflicts == 1
    # Nothing was overwritten: the office kept its edit, the hall's is in the Conflict row.
    [info] = e2.open_conflicts()
    assert info.office_version == 2 and info.office_data["phone"] == "028-11111111"
    assert info.local_data["hours"] == "周一至周五 8:30-18:00"

    # A person merges: the office's phone, their own hours.
    version = e2.resolve_conflict(HEAD, info.id, {"hours": "mine"})
    assert version == 3
    assert w2.sync_once().conflicts == 0
    assert w2.status().conflicts == 0
    with h2.cache.sessions() as s:
        data, v = EditorService.for_hall(h2).current(s, "guide", guide_uid)
    assert v == 3 and data["phone"] == "028-11111111" and data["hours"] == "周一至周五 8:30-18:00"
    assert local_content(h2) == office_content(office, "heping")
    h2.close()


def test_embedded_office_out_of_the_box(tmp_path, hall_config):
    from kiosk.services.embedded_office import start_sync
    from kiosk.services.links import guide_url, ticket_url

    hall = Hall(hall_config)
    try:
        start_sync(hall, background=False)
        worker = hall.sync
        assert worker is not None and worker.url.startswith("http://127.0.0.1:")
        queue = QueueService(hall.cache, hall.events, tz=hall.tz)
        ticket = queue.issue_ticket("labor")
        from sync.client import wait_until

        # The ticket wakes the worker thread, which pushes it at once.
        assert wait_until(lambda: worker.status().waiting == 0 and worker.status().online, 20)
        page = requests.get(ticket_url(hall.config, ticket.uid, embedded_url=worker.public_url), timeout=10)
        assert page.status_code == 200 and ticket.label in page.text and "等候中" in page.text
        with hall.cache.sessions() as s:
            guide_uid = s.scalar(select(m.ServiceGuide.uid))
        page = requests.get(guide_url(hall.config, guide_uid, embedded_url=worker.public_url), timeout=10)
        assert page.status_code == 200 and "申请材料" in page.text
        # The sample content the office published is the hall's own: nothing to conflict.
        assert worker.status().conflicts == 0
        process = hall.sync.closers[0].__self__.process
    finally:
        hall.close()
    assert process.poll() is not None or process.wait(5) is not None  # the server ended with the hall
