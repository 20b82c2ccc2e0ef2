"""Counter actions over the LAN happen at most once per request id, and a console that lost an
answer learns whether the action was done: the request log alone, the API over real HTTP on
loopback, and the remote client through a relay that loses answers or never answers."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent

from kiosk.lan.api import HallApiServer, create_app  # noqa: E402
from kiosk.lan.client import (  # noqa: E402
    ActionNotDone,
    ActionUnconfirmed,
    HallUnreachable,
    LocalCounterClient,
    RemoteCounterClient,
)
from kiosk.lan.once import ABANDONED, RequestLog  # noqa: E402
from kiosk.services.auth import AuthService  # noqa: E402
from tests.kiosk.lan.lanproxy import LanProxy  # noqa: E402
from tests.kiosk.services.queue_world import add_clerks, make_queue, seed_hall  # noqa: E402

TOKEN = "tok"


@pytest.fixture
def hall(cache):
    seed_hall(cache)
    add_clerks(cache)
    q, _ = make_queue(cache)
    server = HallApiServer(create_app(LocalCounterClient(q, AuthService(cache)), TOKEN)).start()
    yield q, server
    server.stop()


@pytest.fixture
def relay(hall):
    """A relay in front of the hall's API whose `mode` the test sets (see lanproxy.py)."""
    proxy = LanProxy(hall[1].port)
    yield proxy
    proxy.close()


def test_request_log_runs_each_id_once_even_concurrently():
    log = RequestLog()
    started, release = threading.Event(), threading.Event()
    runs = []

    def action():
        runs.append(1)
        started.set()
        release.wait(5)
        return 200, {"n": len(runs)}

    answers = []
    first = threading.Thread(target=lambda: answers.append(log.run("s", "id1", action)))
    first.start()
    assert started.wait(5)
    second = threading.Thread(target=lambda: answers.append(log.run("s", "id1", action)))  # a retry, mid-run
    second.start()
    release.set()
    first.join(5)
    second.join(5)
    assert runs == [1] and answers == [(200, {"n": 1}), (200, {"n": 1})]
    assert log.run("other-session", "id1", lambda: (200, "x")) == (200, "x")  # ids are per session
    assert log.settle("s", "id1") == (200, {"n": 1})
    assert log.settle("s", "never-sent") is None
    assert log.run("s", "never-sent", action) == (409, {"error": ABANDONED})  # late original: refused
    assert runs == [1]


def test_request_log_forgets_the_oldest():
    log = RequestLog(keep=3)
    for i in range(5):
        log.run("s", f"id{i}", lambda i=i: (200, i))
    assert log.settle("s", "id4") == (200, 4)
    assert log.settle("s", "id0") is None  # forgotten: treated as never seen


def post(server, path, session, request_id="", **body):
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Staff-Session": session}
    if request_id:
        headers["X-Request-Id"] = request_id
    return requests.post(f"{server.url}/api/v1{path}", json=body or None, headers=headers, timeout=5)


def test_a_repeated_request_id_acts_once_over_http(hall):
    q, server = hall
    for _ in range(3):
        q.issue_ticket("labor")
    session = RemoteCounterClient(server.url, TOKEN).login("王芳", "2468").session
    first = post(server, "/windows/1/call_next", session, "press-1")
    again = post(server, "/windows/1/call_next", session, "press-1")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and first.json()["ticket"]["label"] == "A001"
    assert q.ticket("A002").state == "waiting"  # not skipped by the retry
    assert post(server, "/windows/1/call_next", session, "press-2").json()["ticket"]["label"] == "A002"
    # a refusal is an answer too, replayed the same
    refused = [post(server, "/windows/9/recall", session, "press-3") for _ in range(2)]
    assert [r.status_code for r in refused] == [404, 404] and refused[0].json() == refused[1].json()
    # settle: done (with the answer), or not seen and from now on never
    settled = post(server, "/requests/press-2/settle", session).json()
    assert settled["done"] and settled["status"] == 200 and settled["body"]["ticket"]["label"] == "A002"
    assert post(server, "/requests/lost-4/settle", session).json() == {"done": False}
    late = post(server, "/windows/1/call_next", session, "lost-4")
    assert late.status_code == 409 and late.json()["error"] == ABANDONED
    assert q.ticket("A003").state == "waiting"
    # without an id (an older console) it acts as before
    assert post(server, "/windows/1/call_next", session).json()["ticket"]["label"] == "A003"
    too_long = post(server, "/windows/1/recall", session, "x" * 65)
    assert too_long.status_code == 422
    assert post(server, "/requests/press-2/settle", "forged").status_code == 401


def test_client_through_a_relay_that_loses_the_answer(hall, relay):
    q, _ = hall
    for _ in range(3):
        q.issue_ticket("labor")
    c = RemoteCounterClient(relay.url, TOKEN, timeout=1.0)
    clerk = c.login("王芳", "2468")
    relay.mode = "lose_answer"
    with pytest.raises(ActionUnconfirmed) as lost:
        c.call_next(clerk, 1)
    assert relay.requests_in("lose_answer", "call_next") == 2  # asked once more, same id
    assert q.ticket("A001").state == "called" and q.ticket("A001").call_count == 1
    assert q.ticket("A002").state == "waiting"  # the second request did not call again
    relay.mode = "pass"
    assert c.settle(clerk, lost.value).label == "A001"
    assert c.call_next(clerk, 1).label == "A002"


def test_client_through_a_silent_relay_learns_it_was_not_done(hall, relay):
    q, _ = hall
    q.issue_ticket("labor")
    c = RemoteCounterClient(relay.url, TOKEN, timeout=10)
    clerk = c.login("王芳", "2468")  # (a slow sign-in on a loaded machine is not what is tested)
    c.timeout = 0.5  # the silent relay: the press times out quickly
    relay.mode = "silent"
    with pytest.raises(ActionUnconfirmed) as lost:
        c.call_next(clerk, 1)
    with pytest.raises(HallUnreachable):
        c.settle(clerk, lost.value)  # still silent: no answer either way yet
    relay.mode = "pass"
    with pytest.raises(ActionNotDone):
        c.settle(clerk, lost.value)
    assert q.ticket("A001").state == "waiting"


def test_client_knows_nothing_was_sent_to_a_closed_port(hall):
    q, server = hall
    q.issue_ticket("labor")
    c = RemoteCounterClient(server.url, TOKEN, timeout=5.0)
    clerk = c.login("王芳", "2468")
    server.stop()
    with pytest.raises(HallUnreachable) as gone:
        c.call_next(clerk, 1)
    assert not isinstance(gone.value, ActionUnconfirmed) and gone.value.sent is False
    assert q.ticket("A001").state == "waiting"


def test_settle_after_a_hall_restart_keeps_the_login_and_says_not_done(hall, relay, cache):
    """The sign-in survives the restart (it is in the hall cache); the press that never reached
    the hall is reported not done, so the clerk can press again without a new PIN."""
    q, server = hall
    q.issue_ticket("labor")
    c = RemoteCounterClient(relay.url, TOKEN, timeout=10)
    clerk = c.login("王芳", "2468")  # (a slow sign-in on a loaded machine is not what is tested)
    c.timeout = 0.5  # the silent relay: the press times out quickly
    relay.mode = "silent"
    with pytest.raises(ActionUnconfirmed) as lost:
        c.call_next(clerk, 1)
    port = server.port
    server.stop()
    server = HallApiServer(create_app(LocalCounterClient(q, AuthService(cache)), TOKEN), port=port).start()
    try:
        c = RemoteCounterClient(server.url, TOKEN, timeout=1.0)
        with pytest.raises(ActionNotDone):
            c.settle(clerk, lost.value)
        assert q.ticket("A001").state == "waiting"
        assert c.call_next(clerk, 1).label == "A001"  # the same session, no new login
    finally:
        server.stop()
