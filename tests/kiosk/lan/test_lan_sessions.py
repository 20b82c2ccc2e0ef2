"""LAN staff sessions end (idle hours, the hall's midnight, a PIN reset, a disabled account) and
every integer in a URL is range-checked: real HTTP on loopback against the real queue and cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from kiosk.hall import Hall
from kiosk.lan.api import HallApiServer, create_app
from kiosk.lan.client import LocalCounterClient

TOKEN = "lan-sessions-token"


class Clock:
    def __init__(self) -> None:
        self.wall = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
        self.mono = 1000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono


@pytest.fixture
def lan(hall_config):
    hall = Hall(hall_config)  # the sample: 李文 (clerk, 1111) and windows
    auth = hall.auth
    queue = hall.queue
    clock = Clock()
    app = create_app(LocalCounterClient(queue, auth, None, hall), TOKEN, session_idle_hours=4,
                     now=clock.now, monotonic=clock.monotonic)
    server = HallApiServer(app).start()
    window = queue.windows()[0].number
    try:
        yield server, auth, clock, window
    finally:
        server.stop()
        hall.close()


def login(server) -> dict:
    r = requests.post(f"{server.url}/api/v1/login", json={"name": "李文", "pin": "1111"},
                      headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {TOKEN}", "X-Staff-Session": r.json()["session"]}


def pause(server, window, headers) -> requests.Response:
    return requests.post(f"{server.url}/api/v1/windows/{window}/pause", headers=headers, timeout=5)


def test_a_pin_reset_ends_the_session(lan):
    server, auth, _clock, window = lan
    headers = login(server)
    assert pause(server, window, headers).status_code == 200
    auth.reset_pin("李文", "975310", actor="cli")
    r = pause(server, window, headers)
    assert r.status_code == 401 and "PIN 已重置" in r.json()["error"]
    assert pause(server, window, headers).status_code == 401  # and it stays ended


def test_a_disabled_account_ends_the_session(lan):
    server, auth, _clock, window = lan
    headers = login(server)
    auth.set_active("李文", False, actor="cli")
    assert pause(server, window, headers).status_code == 401


def test_sessions_end_after_idle_hours_and_at_midnight(lan):
    server, _auth, clock, window = lan
    headers = login(server)
    clock.mono += 3.9 * 3600  # used within the idle time: still signed in, and the idle time restarts
    assert pause(server, window, headers).status_code == 200
    clock.mono += 4.1 * 3600
    r = pause(server, window, headers)
    assert r.status_code == 401 and "未操作" in r.json()["error"]

    headers = login(server)
    clock.wall += timedelta(hours=14)  # past midnight in the hall's zone
    r = pause(server, window, headers)
    assert r.status_code == 401 and "当天" in r.json()["error"]


@pytest.mark.parametrize("number", ["99999999999999999999", "-1", "0", "1000", "٣"])
def test_window_numbers_out_of_range_are_4xx(lan, number):
    server, _auth, _clock, _window = lan
    headers = login(server)
    for r in (requests.post(f"{server.url}/api/v1/windows/{number}/call_next", headers=headers, timeout=5),
              requests.get(f"{server.url}/api/v1/windows/{number}/state", headers=headers, timeout=5)):
        assert r.status_code == 422, r.text
        assert "error" in r.json()


def restart(server, hall, clock, auth):  # type: ignore[no-untyped-def]
    """Stop the LAN server and start a new app on the same hall cache and port: a hall restart."""
    port = server.port
    server.stop()
    queue = hall.queue
    app = create_app(LocalCounterClient(queue, auth, None, hall), TOKEN, session_idle_hours=4,
                     now=clock.now, monotonic=clock.monotonic)
    return HallApiServer(app, port=port).start()


@pytest.fixture
def lan_hall(hall_config):
    hall = Hall(hall_config)
    auth = hall.auth
    clock = Clock()
    queue = hall.queue
    servers = [HallApiServer(create_app(LocalCounterClient(queue, auth, None, hall), TOKEN, session_idle_hours=4,
                                        now=clock.now, monotonic=clock.monotonic)).start()]
    try:
        yield hall, auth, clock, servers, queue.windows()[0].number
    finally:
        servers[-1].stop()
        hall.close()


def test_a_hall_restart_keeps_a_valid_session_and_stores_only_hashes(lan_hall):
    from sqlalchemy import select

    from sync.cache.models import ConsoleSession

    hall, auth, clock, servers, window = lan_hall
    headers = login(servers[-1])
    key = headers["X-Staff-Session"]
    clock.mono = 5.0  # a new process: its monotonic clock starts again
    clock.wall += timedelta(minutes=30)
    servers.append(restart(servers[-1], hall, clock, auth))
    assert pause(servers[-1], window, headers).status_code == 200  # no new login
    with hall.cache.reading() as s:
        [row] = s.scalars(select(ConsoleSession)).all()
        stored = " ".join(str(v) for v in (row.key_hash, row.stamp_hash, row.staff_id))
    assert key not in stored and len(row.key_hash) == 64  # a copy of the cache signs nobody in


@pytest.mark.parametrize(("while_off", "says"), [("idle", "未操作"), ("pin_reset", "PIN"), ("midnight", "当天")])
def test_a_session_that_ended_while_the_hall_was_off_stays_ended(lan_hall, while_off, says):
    hall, auth, clock, servers, window = lan_hall
    headers = login(servers[-1])
    servers[-1].stop()
    if while_off == "idle":  # off longer than the idle limit; the new process's clock starts again
        clock.wall += timedelta(hours=4, minutes=5)
        clock.mono = 5.0
    elif while_off == "pin_reset":
        auth.reset_pin("李文", "9876", actor="test")
    else:  # past midnight in the hall's zone: the day ends first
        clock.wall += timedelta(hours=14)
    servers.append(restart(servers[-1], hall, clock, auth))
    r = pause(servers[-1], window, headers)
    assert r.status_code == 401 and says in r.json()["error"]
