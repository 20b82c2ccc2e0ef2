"""The LAN API and its clients share one set of messages (kiosk/lan/schema.py): every route,
the rating pad's included, declares its answer, and over real HTTP the console and the pad get
the very objects they get in process."""

from __future__ import annotations

import pytest

from kiosk.hall import Hall
from kiosk.lan import schema
from kiosk.lan.api import HallApiServer, create_app
from kiosk.lan.client import LocalCounterClient, RemoteCounterClient
from kiosk.lan.rating_client import LocalRatingClient, RatingRefused, RemoteRatingClient
from kiosk.services.ratings import RatingDone, RatingPrompt, RatingService

TOKEN = "lan-schema-token"


@pytest.fixture
def counters(hall_config):
    hall = Hall(hall_config)  # the bundled sample: businesses, windows, counter staff
    auth = hall.auth
    auth.add_staff("测试员", "clerk", "2468")
    queue = hall.queue
    business = queue.businesses()[0].code
    window = next(w.number for w in queue.windows() if business in w.business_codes)
    for _ in range(3):
        queue.issue_ticket(business)
    local = LocalCounterClient(queue, auth, None, hall)
    ratings = hall.ratings
    server = HallApiServer(create_app(local, TOKEN, hall_name="测试大厅", ratings=ratings)).start()
    try:
        yield local, RemoteCounterClient(server.url, TOKEN), window, server, ratings
    finally:
        server.stop()
        hall.close()


def test_every_route_declares_its_answer(hall_config):
    hall = Hall(hall_config)
    try:
        app = create_app(LocalCounterClient(None), TOKEN, ratings=RatingService(hall.cache))
    finally:
        hall.close()
    # read from the OpenAPI description: it also lists the routes of included routers (the pad's)
    answers = {(method.upper(), path): op["responses"]["200"]["content"]["application/json"]["schema"]
               for path, ops in app.openapi()["paths"].items() for method, op in ops.items()}
    assert len(answers) >= 12
    assert {("GET", "/api/v1/windows/{number}/rating"), ("POST", "/api/v1/windows/{number}/rating")} <= set(answers)
    # an untyped route's answer (Any, a dict) is described by a bare title and nothing else
    untyped = [route for route, schema in answers.items() if not {"$ref", "type", "anyOf"} & set(schema)]
    assert untyped == []


def test_the_console_gets_the_same_objects_over_the_lan_as_in_process(counters):
    local, remote, window, _server, _ratings = counters
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


def test_the_pad_gets_the_same_objects_over_the_lan_as_in_process(counters):
    local, remote, window, server, ratings = counters
    pad, here = RemoteRatingClient(server.url, TOKEN, window), LocalRatingClient(ratings, window)
    assert pad.prompt() is None and here.prompt() is None  # nothing finished at this window yet

    staff = remote.login("测试员", "2468")
    remote.call_next(staff, window)
    finished = remote.finish(staff, window)
    asked = pad.prompt()
    assert isinstance(asked, RatingPrompt) and asked == here.prompt()  # finished_at read back as a datetime
    assert (asked.ticket_uid, asked.label, asked.window_number) == (finished.uid, finished.label, window)

    done = pad.rate(asked.ticket_uid, "dissatisfied", ["long_wait"], "等太久")
    assert isinstance(done, RatingDone)
    assert (done.ticket_uid, done.level, done.reasons, done.comment) == (finished.uid, "dissatisfied",
                                                                        ["long_wait"], "等太久")
    assert pad.prompt() is None
    with pytest.raises(RatingRefused, match="已经评价过了") as twice:  # a refusal is still {"error"} + status
        pad.rate(asked.ticket_uid, "satisfied", [], "")
    assert twice.value.status == 409
