"""The counter consoles' reads (in process and over the LAN API) never take the cache's write
lock: while a counter action holds it, the login picker, windows, businesses, a window's state
and the status line (with the sync worker's outbox count) still answer from the last commit,
instead of waiting for the lock and holding up the next action in turn."""

from __future__ import annotations

import pytest

from kiosk.hall import Hall
from kiosk.lan.api import HallApiServer, create_app
from kiosk.lan.client import LocalCounterClient, RemoteCounterClient
from sync.client import SyncWorker
from tests.sync.writelock import write_lock_held

TOKEN = "lan-reads-token"


def refuse(*_args) -> None:
    raise AssertionError("nothing is pulled in this test")


@pytest.fixture
def counters(hall_config):
    hall = Hall(hall_config)  # the bundled sample: businesses and windows
    hall.sync = SyncWorker(hall.cache, "http://127.0.0.1:9", "t", apply_content=refuse)  # never started
    auth = hall.auth  # (the sample has counter staff)
    queue = hall.queue
    business = queue.businesses()[0].code
    queue.issue_ticket(business)
    queue.issue_ticket(business)
    local = LocalCounterClient(queue, auth, None, hall)
    server = HallApiServer(create_app(local, TOKEN)).start()
    window = next(w.number for w in queue.windows() if business in w.business_codes)
    queue.call_next(window)
    try:
        yield hall, local, RemoteCounterClient(server.url, TOKEN), window
    finally:
        server.stop()
        hall.close()


def test_console_reads_answer_while_a_counter_action_holds_the_write_lock(counters):
    hall, local, remote, window = counters
    before = local.window_state(window)
    names = local.staff_names()
    assert names
    assert before.current is not None and local.status().sync_text == "同步：离线，待发 3 条"
    with write_lock_held(hall.cache) as other:
        other.execute("UPDATE ticket SET state = 'served'")  # not committed: not seen
        for client in (local, remote):
            assert client.staff_names() == names
            assert [w.number for w in client.windows()] == [w.number for w in local.windows()]
            assert {b.code: b.waiting for b in client.businesses()} == {
                b.code: b.waiting for b in local.businesses()}
            state = client.window_state(window)
            assert state.current.label == before.current.label and state.waiting_total == 1
            status = client.status()
            assert status.sync_text == "同步：离线，待发 3 条" and not status.sync_ok  # offline, not "unknown"
