"""The sync worker's own rules: backoff with jitter, wake-up (also during a backoff), status,
refused entries set aside, and the `yizhan office` command."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from sync.cache.models import Outbox
from sync.client import SyncError, SyncWorker, wait_until
from tests.sync.office_world import TicketMaker, office_tickets, record_apply


def test_backoff_grows_with_jitter_and_is_capped(make_cache):
    worker = SyncWorker(make_cache(), "http://127.0.0.1:9", "t", apply_content=record_apply, timeout_s=1,
                        max_backoff_s=60)
    delays = []
    for _ in range(8):
        with pytest.raises(SyncError):
            worker.sync_once()
        delays.append(worker.backoff_delay())
    assert delays[0] <= 4 and delays[3] > 8  # doubles...
    assert all(30 <= d <= 60 for d in delays[5:])  # ...up to the cap, spread over its upper half
    assert len({round(worker.backoff_delay(), 6) for _ in range(20)}) > 10  # jitter
    status = worker.status()
    assert not status.online and status.last_success is None and "cannot reach" in status.last_error


def test_worker_thread_wakes_on_local_change(office, make_cache):
    token = office.add_hall("幸福", "xingfu")
    cache = make_cache()
    worker = SyncWorker(cache, office.url, token, apply_content=record_apply, interval_s=3600)
    worker.start()
    try:
        assert wait_until(lambda: worker.status().online, 10)
        maker = TicketMaker(cache)
        maker.issue(events=2)
        worker.wake()  # what the hall's event bus does after a ticket is issued
        assert wait_until(lambda: worker.status().waiting == 0, 10)
        assert len(office_tickets(office.db)) == 1
    finally:
        worker.stop()
    assert worker.status().last_success is not None


def test_wake_ups_during_backoff_retry_early_but_not_often(make_cache, monkeypatch):
    from tests.sync.office_world import free_port

    worker = SyncWorker(make_cache(), f"http://127.0.0.1:{free_port()}", "t", apply_content=record_apply,
                        timeout_s=1, min_retry_s=1.0)  # nothing listens on that port
    monkeypatch.setattr(worker, "backoff_delay", lambda: 600.0)  # deep in an outage
    worker.start()
    try:
        assert wait_until(lambda: worker.requests_made == 1, 10)
        worker.wake()
        assert wait_until(lambda: worker.requests_made == 2, 10)  # brought forward, not 10 minutes away
        end = time.monotonic() + 3
        while time.monotonic() < end:  # a busy hall: a wake-up per event
            worker.wake()
            time.sleep(0.02)
        assert worker.requests_made <= 2 + 3 + 1  # at most one attempt per min_retry_s, not one per wake-up
        assert not worker.status().online
    finally:
        worker.stop()


def test_a_new_ticket_ends_the_backoff_once_the_office_is_back(office_db_factory, hall_config, monkeypatch):
    """The hall as the app wires it (start_sync): the office is down, the worker backs off; the
    office comes back; the next ticket's event wakes the worker, which syncs at once."""
    from kiosk.hall import Hall
    from kiosk.services.embedded_office import start_sync
    from kiosk.services.queue import QueueService
    from sync.office import store
    from sync.office.api import create_app
    from tests.sync.office_world import ServerThread

    db = office_db_factory("sqlite")
    with db.sessions.begin() as s:
        _hall, token = store.add_hall(s, "幸福", "xingfu")
    server = ServerThread(create_app(db))  # its port is chosen, nothing listens yet
    hall_config.office.url, hall_config.office.token = server.url, token
    monkeypatch.setattr(SyncWorker, "backoff_delay", lambda self: 600.0)  # deep in an outage
    hall = Hall(hall_config)
    try:
        start_sync(hall, background=False)
        worker = hall.sync
        assert wait_until(lambda: worker.requests_made >= 1 and not worker.status().online, 10)
        server.start()
        QueueService(hall.cache, hall.events, tz=hall.tz).issue_ticket("labor")
        assert wait_until(lambda: worker.status().online and worker.status().waiting == 0, 30)
        assert len(office_tickets(db)) == 1
    finally:
        hall.close()
        server.stop()


def test_refused_and_malformed_entries_are_set_aside_not_lost(office, make_cache, sample_records):
    t1 = office.add_hall("幸福", "xingfu")
    office.add_hall("和平", "heping")
    guide = next(r for r in sample_records if r["kind"] == "guide")
    office.publish([guide], ["heping"])  # not published to xingfu
    cache = make_cache()
    maker = TicketMaker(cache)
    maker.issue(events=1)
    with cache.transaction() as s:
        s.add(Outbox(kind="content", payload={"kind": "guide", "uid": guide["data"]["uid"], "base_version": 1,
                                              "version": 2, "data": guide["data"], "author": "陈静"}))
        s.add(Outbox(kind="ticket_event", payload={"ticket": {"uid": "not-a-uuid"}}))
    maker.issue(events=1)
    worker = SyncWorker(cache, office.url, t1, apply_content=record_apply)
    result = worker.sync_once()
    assert result.rejected == 2 and result.pushed == 2
    assert len(office_tickets(office.db)) == 2
    with cache.sessions() as s:
        rows = s.scalars(select(Outbox).order_by(Outbox.id)).all()
    assert [r.result for r in rows] == ["stored", "rejected", "rejected", "stored"]
    assert "not published to this hall" in rows[1].last_error
    assert "malformed outbox entry" in rows[2].last_error
    assert rows[1].payload["data"] == guide["data"]  # kept for a person to look at
    assert worker.status().waiting == 0 and worker.status().rejected == 2


def test_office_command_line(tmp_path, sample_records):
    db = f"sqlite:///{tmp_path / 'office.sqlite3'}"

    def office(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "kiosk.cli", "office", "--database", db, *args],
                              capture_output=True, text=True, timeout=60)

    added = office("add-hall", "幸福社区工作站", "--code", "xingfu")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]
    assert token.startswith("yzh_") and len(token) > 40
    assert token not in (tmp_path / "office.sqlite3").read_bytes().decode("latin-1")  # stored hashed only
    again = office("add-hall", "别的", "--code", "xingfu")
    assert again.returncode == 1 and "already taken" in again.stderr
    bad = office("add-hall", "别的", "--code", "Bad Code!")
    assert bad.returncode == 1 and "--code" in bad.stderr
    published = office("publish", "assets/sample", "--halls", "all")
    assert published.returncode == 0, published.stderr
    assert f'"records": {len(sample_records)}' in published.stdout
    assert "xingfu\tactive" in office("halls").stdout
    assert office("revoke", "xingfu").returncode == 0
    assert "xingfu\trevoked" in office("halls").stdout
    assert office("revoke", "nowhere").returncode == 1
    admin = office("add-admin", "王五")
    assert admin.stdout.strip().splitlines()[-1].startswith("yza_")
    bad_db = subprocess.run([sys.executable, "-m", "kiosk.cli", "office", "--database", "mysql://x", "halls"],
                            capture_output=True, text=True, timeout=60)
    assert bad_db.returncode == 2 and "postgresql" in bad_db.stderr
