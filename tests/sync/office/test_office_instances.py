"""Several stateless office processes sharing one PostgreSQL: a hall may reach any of them."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests
from sqlalchemy import func, select

from sync.cache.models import ContentRevision
from sync.client import SyncWorker
from sync.office import store
from sync.office.api import create_app
from sync.office.db import OfficeDB
from tests.sync.office_world import (
    PG_URL,
    ServerThread,
    TicketMaker,
    drop_pg_schema,
    local_events,
    office_events,
    office_tickets,
    pg_schema_db,
    record_apply,
)


def notice(title: str) -> dict:
    return {"kind": "notice", "data": {"uid": str(uuid.uuid4()), "title": title, "body": "正文",
                                       "starts_on": "2026-11-25", "ends_on": "2026-11-30"}}


@pytest.mark.postgres
def test_two_instances_one_database(make_cache):
    schema = f"t_{uuid.uuid4().hex[:12]}"
    first = pg_schema_db(schema)
    second = OfficeDB(PG_URL, schema=schema)  # its own engine and pool, like another process
    servers = [ServerThread(create_app(db)).start() for db in (first, second)]
    try:
        with first.sessions.begin() as s:
            _hall, token = store.add_hall(s, "幸福", "xingfu")
            admin = store.add_admin(s, "街道办")
        caches = [make_cache(f"hall-{i}") for i in range(2)]
        workers = [SyncWorker(c, servers[i].url, token, apply_content=record_apply, batch_size=7)
                   for i, c in enumerate(caches)]
        # Publishing on one instance while halls sync through both, at the same time.
        stop = threading.Event()

        def publish() -> None:
            for i in range(30):
                requests.post(f"{servers[i % 2].url}/api/v1/admin/publish", timeout=10,
                              json={"records": [notice(f"通知 {i}")], "halls": "all"},
                              headers={"Authorization": f"Bearer {admin}"}).raise_for_status()
            stop.set()

        def sync(worker: SyncWorker, cache) -> None:
            maker = TicketMaker(cache)
            while not stop.is_set():
                maker.issue(events=2)
                worker.sync_once()
            worker.sync_once()

        threads = [threading.Thread(target=publish)] + [
            threading.Thread(target=sync, args=(w, c)) for w, c in zip(workers, caches, strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        # One more round each, one after the other: a round that ran beside the other copy's push
        # leaves rows behind that running transaction for later (the late-commit-safe cursor).
        for worker in workers:
            worker.sync_once()
        for cache in caches:  # each copy of the hall got every notice exactly once
            with cache.sessions() as s:
                assert s.scalar(select(func.count(func.distinct(ContentRevision.record_uid)))) == 30
                assert s.scalar(select(func.count()).select_from(ContentRevision)) == 30
        assert sum(w.status().waiting for w in workers) == 0
        # Both instances see the same tickets: every event of both hall copies, once.
        assert office_events(first) == office_events(second) == local_events(caches[0]) | local_events(caches[1])
        assert office_tickets(first) == office_tickets(second)
    finally:
        for server in servers:
            server.stop()
        second.close()
        first.close()
        drop_pg_schema(schema)
