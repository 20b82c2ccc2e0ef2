"""The LAN API and its client share one set of messages (kiosk/lan/schema.py): every route
declares its answer, and over real HTTP the console gets the very objects it gets in process."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from kiosk.hall import Hall
from kiosk.lan import schema
from kiosk.lan.api import HallApiServer, create_app
from kiosk.lan.client import LocalCounterClient, RemoteCounterClient
from kiosk.services.auth import AuthService
from kiosk.services.queue import QueueService

TOKEN = "lan-schema-token"


@pytest.fixture
def counters(hall_config):
    hall = Hall(hall_config)  # the bundled sample: businesses, windows, counter staff
    auth = AuthService(hall.cache)
    auth.add_staff("测试员", "clerk", "2468")
    queue = QueueService(hall.cache, hall.events, tz=hall.tz, config=hall.config)
    business = queue.businesses()[0].code
    window = next(w.number for w in queue.windows() if business in w.business_codes)
    for _ in range(3):
        queue.issue_ticket(business)
    local = LocalCounterClient(queue, auth, None, hall)
    server = HallApiServer(create_app(local, TOKEN, hall_name="测试大厅")).start()
    try:
        yield local, RemoteCounterClient(server.url, TOKEN), window
    finally:
        server.stop()
        hall.close()


def test_every_route_declares_its_answer():
    app = create_app(LocalCounterClient(None), TOKEN)
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 10
    untyped = [r.path for r in routes if r.response_model in (None, Any)]
    assert untyped == []


def test_the_console_gets_the_same_objects_over_the_lan_as_in_process(counters):
    local, remote, window = counters
    staff = remote.login("测试员", "2468")
    assert isinstance(staff, schema.Staff) and staff.session and staff.name == "测试员"
    assert remote.staff_names() == local.staff_names()
    assert remote.windows() == local.windows()
    assert remote.businesses() == local.businesses()
    assert remote.status() == local.status()

    called = remote.call_next(staff, window)
    assert called == local.window_state(window).current  # datetimes and dates read back as such
    assert remote.window_state(window) == local.window_state(window)
    skipped = remote.skip(staff, window)
    assert skipped.state == "skipped" and skipped.uid == called.uid
    assert remote.return_skipped(staff, skipped.label) == local.queue.ticket(skipped.uid)
    assert remote.reprint(staff, skipped.label) == schema.ReprintResult(False, "未配置打印机")
    assert remote.pause(staff, window) is None
    assert remote.ping()["hall"] == "测试大厅"
