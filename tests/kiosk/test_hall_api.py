"""The hall LAN API over real HTTP on loopback: token, PIN login, every counter action, errors,
and a remote client that notices the hall going away and coming back."""

from __future__ import annotations

import pytest
import requests

from kiosk.config import HallConfig  # noqa: E402
from kiosk.lan.api import HallApiServer, create_app, lan_token  # noqa: E402
from kiosk.lan.client import (  # noqa: E402
    HallUnreachable,
    LocalCounterClient,
    LoginError,
    RemoteCounterClient,
    hall_status,
)
from kiosk.services.auth import AuthService  # noqa: E402
from kiosk.services.printer import TicketPrinter  # noqa: E402
from kiosk.services.queue import QueueError  # noqa: E402
from tests.kiosk.services.queue_world import Recorder, add_clerks, make_queue, seed_hall  # noqa: E402

TOKEN = "test-token-123"


@pytest.fixture
def hall(cache, tmp_path):
    seed_hall(cache)
    add_clerks(cache)
    q, bus = make_queue(cache)
    config = HallConfig()
    config.hall.data_dir = tmp_path
    config.printer.connection = "dummy"
    printer = TicketPrinter(config)
    local = LocalCounterClient(q, AuthService(cache), printer)
    server = HallApiServer(create_app(local, TOKEN, hall_name="幸福社区工作站")).start()
    yield q, bus, server, printer
    server.stop()


def test_token_is_required(hall):
    _, _, server, _ = hall
    r = requests.get(f"{server.url}/api/v1/windows", timeout=5)
    assert r.status_code == 401 and "令牌" in r.json()["error"]
    r = requests.get(f"{server.url}/api/v1/windows", headers={"Authorization": "Bearer wrong"}, timeout=5)
    assert r.status_code == 401
    with pytest.raises(LoginError, match="令牌"):
        RemoteCounterClient(server.url, "wrong").windows()


def test_login_and_every_action_over_http(hall):
    q, bus, server, printer = hall
    rec = Recorder(bus)
    c = RemoteCounterClient(server.url, TOKEN)
    assert c.ping()["hall"] == "幸福社区工作站"
    assert c.staff_names() == ["李强", "王芳", "陈静"]
    with pytest.raises(LoginError, match="PIN 错误"):
        c.login("王芳", "0000")
    clerk = c.login("王芳", "2468")
    assert clerk.name == "王芳" and clerk.session
    assert [w.number for w in c.windows()] == [1, 2, 3, 4]
    for _ in range(3):
        q.issue_ticket("labor")
    q.issue_ticket("civil")
    assert {b.code: b.waiting for b in c.businesses()}["labor"] == 3

    assert c.call_next(clerk, 1).label == "A001"
    assert c.recall(clerk, 1).call_count == 2
    assert c.skip(clerk, 1).state == "skipped"
    assert c.return_skipped(clerk, "A001").state == "waiting"
    assert c.call_next(clerk, 1).label == "A002"
    assert c.hold(clerk, 1).state == "held"
    assert c.bring_back(clerk, 1, "A002").state == "called"
    t = c.transfer(clerk, 1, business_code="civil")
    assert (t.label, t.business_code) == ("A002", "civil")
    assert c.call_ticket(clerk, 1, "A003", "老人优先").label == "A003"
    assert c.finish(clerk, 1).state == "served"
    assert c.cancel(clerk, "B001", "离开").state == "cancelled"
    c.pause(clerk, 1)
    with pytest.raises(QueueError, match="暂停服务"):
        c.call_next(clerk, 1)
    c.resume(clerk, 1)
    r = c.reprint(clerk, "A003")
    assert r.printed and b"A003" in printer.last_bytes

    state = c.window_state(1)
    assert state.current is None and state.served_today == 1
    assert [t.label for t in state.waiting] == ["A001"]
    assert state.waiting[0].issued_at.tzinfo is not None
    status = c.status()
    assert status.sync_text == "同步：未启用" and "打印机" in status.printer_text
    # the clerk's id is in the ticket log, and the board/voice saw the calls through the hall's bus
    assert "ticket.called" in rec.topics() and "window.paused" in rec.topics()
    with q.cache.sessions() as s:
        from sqlalchemy import select

        from sync.cache.models import Staff, TicketEvent
        wang = s.scalar(select(Staff.id).where(Staff.name == "王芳"))
        assert set(s.scalars(select(TicketEvent.staff_id).where(TicketEvent.kind != "issued"))) == {wang}


def test_errors_are_clear(hall):
    q, _, server, _ = hall
    c = RemoteCounterClient(server.url, TOKEN)
    clerk = c.login("李强", "1357")
    with pytest.raises(QueueError, match="1号窗口当前没有正在办理的号"):
        c.recall(clerk, 1)
    with pytest.raises(QueueError, match="没有9号窗口"):
        c.call_next(clerk, 9)
    with pytest.raises(QueueError, match="原因"):
        c.call_ticket(clerk, 1, "A001", "")
    forged = type(clerk)(clerk.staff_id, clerk.name, clerk.role, "not-a-session")
    with pytest.raises(LoginError, match="重新登录"):
        c.call_next(forged, 1)
    r = requests.post(f"{server.url}/api/v1/windows/1/call_next", json={"surprise": 1},
                      headers={"Authorization": f"Bearer {TOKEN}", "X-Staff-Session": clerk.session}, timeout=5)
    assert r.status_code == 422
    r = requests.post(f"{server.url}/api/v1/windows/1/explode",
                      headers={"Authorization": f"Bearer {TOKEN}", "X-Staff-Session": clerk.session}, timeout=5)
    assert r.status_code == 404 and "没有这个操作" in r.json()["error"]


def test_remote_client_notices_the_hall_going_away_and_back(cache, tmp_path):
    seed_hall(cache)
    add_clerks(cache)
    q, _ = make_queue(cache)
    local = LocalCounterClient(q, AuthService(cache))
    server = HallApiServer(create_app(local, TOKEN)).start()
    port = server.port
    c = RemoteCounterClient(server.url, TOKEN, timeout=1.0)
    assert c.window_state(1).number == 1
    server.stop()
    with pytest.raises(HallUnreachable, match="连接不上大厅主机"):
        c.window_state(1)
    server = HallApiServer(create_app(local, TOKEN), port=port).start()
    try:
        assert c.window_state(1).number == 1  # same client, works again
    finally:
        server.stop()


def test_lan_token_created_once(tmp_path):
    config = HallConfig()
    config.hall.data_dir = tmp_path
    first = lan_token(config)
    assert len(first) >= 24 and lan_token(config) == first
    assert (tmp_path / "lan-token.txt").stat().st_mode & 0o077 == 0
    config.lan.token = "configured"
    assert lan_token(config) == "configured"


def test_port_in_use_is_a_clear_error(hall):
    _, _, server, _ = hall
    from fastapi import FastAPI

    with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{server.port}: Address already in use"):
        HallApiServer(FastAPI(), port=server.port).start()


def test_the_status_says_connecting_while_sync_starts(hall_config):
    from kiosk.hall import Hall

    h = Hall(hall_config)
    try:
        h.sync_starting = True  # start_sync still connecting in the background
        assert hall_status(h, None).sync_text == "同步：连接中"  # not "not enabled"
    finally:
        h.close()
