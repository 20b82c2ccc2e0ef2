"""The office over real HTTP on loopback (SQLite and PostgreSQL): tokens, push, pull, refusals,
public pages and statistics."""

from __future__ import annotations

import gzip
import json
import uuid

import requests

from sync import wire
from sync.client import SyncWorker
from tests.sync.office_world import TicketMaker, office_tickets, record_apply


def hdr(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ticket_entry(ticket_uid: str | None = None, event_uid: str | None = None, seq: int = 1,
                 state: str = "waiting", kind: str = "issued") -> dict:
    ticket_uid = ticket_uid or str(uuid.uuid4())
    event_uid = event_uid or str(uuid.uuid4())
    return {"id": event_uid, "seq": seq, "kind": "ticket_event", "payload": {
        "ticket": {"uid": ticket_uid, "label": "A001", "prefix": "A", "number": 1, "service_day": "2026-11-25",
                   "business_code": "labor", "priority": False, "state": state, "window_number": None,
                   "issued_at": "2026-11-25T01:00:00+00:00", "called_at": None, "finished_at": None},
        "event": {"uid": event_uid, "kind": kind, "at": "2026-11-25T01:00:00+00:00", "window_number": None,
                  "business_code": "labor", "detail": {}}}}


def push(office, token, entries, **kw):
    return requests.post(f"{office.url}/api/v1/push", json={"wire": 1, "entries": entries},
                         headers=hdr(token), timeout=10, **kw)


def test_two_halls_separate_tokens_and_feeds(office, make_cache, sample_records):
    t1 = office.add_hall("幸福社区工作站", "xingfu")
    t2 = office.add_hall("和平社区工作站", "heping")
    guides = [r for r in sample_records if r["kind"] == "guide"]
    office.publish(guides[:3], ["xingfu"])
    office.publish(guides[3:5], ["heping"])
    hello = requests.get(f"{office.url}/api/v1/hello", headers=hdr(t1), timeout=10).json()
    assert hello["hall"] == "xingfu" and hello["public_url"] == "http://office.example"

    c1, c2 = make_cache("h1"), make_cache("h2")
    w1 = SyncWorker(c1, office.url, t1, apply_content=record_apply)
    w2 = SyncWorker(c2, office.url, t2, apply_content=record_apply)
    TicketMaker(c1).issue(events=3)
    TicketMaker(c2, prefix="B", business="civil").issue(events=2)
    r1, r2 = w1.sync_once(), w2.sync_once()
    assert (r1.pushed, r1.pulled) == (3, 3)
    assert (r2.pushed, r2.pulled) == (2, 2)
    assert {v[0] for v in office_tickets(office.db, "xingfu").values()} == {"A001"}
    assert {v[0] for v in office_tickets(office.db, "heping").values()} == {"B001"}
    # A second round has nothing to do.
    again = w1.sync_once()
    assert (again.pushed, again.pulled, again.requests) == (0, 0, 1)
    assert w1.status().online and w1.status().waiting == 0

    # One hall cannot touch the other's ticket.
    stolen = next(iter(office_tickets(office.db, "heping")))
    reply = push(office, t1, [ticket_entry(ticket_uid=stolen)])
    assert reply.status_code == 403
    assert "another hall" in reply.json()["detail"]["message"]
    # ... nor edit content not published to it.
    g = guides[3]
    edit = {"id": str(uuid.uuid4()), "seq": 9, "kind": "content", "payload": {
        "kind": "guide", "uid": g["data"]["uid"], "base_version": 1, "version": 2, "data": g["data"]}}
    reply = push(office, t1, [edit])
    assert reply.status_code == 403 and reply.json()["detail"]["entry"] == edit["id"]
    # Admin-only endpoints refuse a hall token, hall endpoints refuse an admin token.
    assert requests.get(f"{office.url}/api/v1/stats", headers=hdr(t1), timeout=10).status_code == 403
    assert requests.get(f"{office.url}/api/v1/pull", headers=hdr(office.admin_token), timeout=10).status_code == 403


def test_push_is_applied_once_and_refusals_change_nothing(office):
    token = office.add_hall("幸福", "xingfu")
    entry = ticket_entry()
    first = push(office, token, [entry])
    assert first.status_code == 200 and first.json()["results"][0]["status"] == "stored"
    again = push(office, token, [entry])
    assert again.json()["results"][0]["status"] == "duplicate"
    # Same id, different content: a replay that is not a retry.
    forged = json.loads(json.dumps(entry))
    forged["payload"]["ticket"]["state"] = "served"
    reply = push(office, token, [forged, ticket_entry()])
    assert reply.status_code == 409 and reply.json()["detail"]["entry"] == entry["id"]
    assert [v[1] for v in office_tickets(office.db).values()] == ["waiting"]
    assert len(office_tickets(office.db)) == 1  # the other entry of the refused batch was not stored

    # Malformed: bad JSON, wrong types, unknown fields, naive time, wrong wire version.
    bad = requests.post(f"{office.url}/api/v1/push", data=b"{not json", headers={**hdr(token),
                        "Content-Type": "application/json"}, timeout=10)
    assert bad.status_code == 422 and bad.json()["detail"]["message"]
    e = ticket_entry()
    e["payload"]["ticket"]["number"] = "many"
    assert push(office, token, [ticket_entry(), e]).json()["detail"]["entry"] == "#1"
    e = ticket_entry()
    e["payload"]["event"]["at"] = "2026-11-25T01:00:00"
    assert push(office, token, [e]).status_code == 422
    e = ticket_entry()
    e["payload"]["extra"] = 1
    assert push(office, token, [e]).status_code == 422
    assert requests.post(f"{office.url}/api/v1/push", json={"wire": 2, "entries": []}, headers=hdr(token),
                         timeout=10).status_code == 422
    # Too many entries, too large, a gzip bomb, truncated gzip.
    assert push(office, token, [ticket_entry() for _ in range(wire.MAX_ENTRIES + 1)]).status_code == 422
    big = b'{"wire":1,"entries":[' + b" " * (wire.MAX_BODY_BYTES + 10) + b"]}"
    assert requests.post(f"{office.url}/api/v1/push", data=big, headers={**hdr(token),
                         "Content-Type": "application/json"}, timeout=30).status_code == 413
    bomb = gzip.compress(b" " * (wire.MAX_BODY_BYTES * 2))
    r = requests.post(f"{office.url}/api/v1/push", data=bomb, headers={**hdr(token), "Content-Encoding": "gzip",
                      "Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 413 and "decompressed" in r.json()["detail"]["message"]
    good = gzip.compress(json.dumps({"wire": 1, "entries": [ticket_entry()]}).encode())
    r = requests.post(f"{office.url}/api/v1/push", data=good[:-9], headers={**hdr(token),
                      "Content-Encoding": "gzip", "Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 400 and "truncated" in r.json()["detail"]["message"]
    r = requests.post(f"{office.url}/api/v1/push", data=good, headers={**hdr(token), "Content-Encoding": "gzip",
                      "Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 200
    assert len(office_tickets(office.db)) == 2
    # Tokens.
    assert push(office, "yzh_wrong", [ticket_entry()]).status_code == 401
    assert requests.post(f"{office.url}/api/v1/push", json={}, timeout=10).status_code == 401
    r = requests.get(f"{office.url}/api/v1/pull", params={"cursor": "garbage"}, headers=hdr(token), timeout=10)
    assert r.status_code == 400 and "cursor" in r.json()["detail"]["message"]


def test_snapshot_order_follows_the_outbox_not_the_clock(office):
    token = office.add_hall("幸福", "xingfu")
    ticket = str(uuid.uuid4())
    later = ticket_entry(ticket, seq=2, state="served", kind="served")
    later["payload"]["event"]["at"] = "2026-11-25T00:00:00+00:00"  # hall clock went backwards
    earlier = ticket_entry(ticket, seq=1, state="called", kind="called")
    assert push(office, token, [later]).status_code == 200
    assert push(office, token, [earlier]).status_code == 200  # arrives late (a retried batch)
    assert [v[1] for v in office_tickets(office.db).values()] == ["served"]


def test_revoked_token_stops_working(office, tmp_path):
    import subprocess
    import sys
    import time

    token = office.add_hall("幸福", "xingfu")
    assert push(office, token, [ticket_entry()]).status_code == 200
    url = office.db.url
    if office.backend == "postgres":
        from sync.office import store

        with office.db.sessions.begin() as s:
            store.revoke_hall(s, "xingfu")
    else:
        out = subprocess.run([sys.executable, "-m", "kiosk.cli", "office", "--database", url, "revoke", "xingfu"],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
    time.sleep(1.2)  # the test server caches tokens for 1 s (30 s by default)
    assert push(office, token, [ticket_entry()]).status_code == 401


def test_public_pages_and_statistics(office, make_cache, sample_records):
    token = office.add_hall("幸福社区工作站", "xingfu")
    office.publish(sample_records, "all")
    guide = next(r["data"] for r in sample_records if r["kind"] == "guide")
    page = requests.get(f"{office.url}/g/{guide['uid']}", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert guide["name"] in page.text and 'name="viewport"' in page.text
    assert requests.get(f"{office.url}/g/{uuid.uuid4()}", timeout=10).status_code == 404

    cache = make_cache()
    maker = TicketMaker(cache)
    served = maker.issue(events=3)
    first = maker.issue(events=1)
    mine = maker.issue(events=1)
    SyncWorker(cache, office.url, token, apply_content=record_apply).sync_once()
    page = requests.get(f"{office.url}/t/{mine}", timeout=10)
    assert page.status_code == 200
    assert "A003" in page.text and "劳动保障业务" in page.text and "<span id=ahead>1</span> 人" in page.text
    assert "大厅最后同步" in page.text
    assert "已办结" in requests.get(f"{office.url}/t/{served}", timeout=10).text
    assert first

    stats = requests.get(f"{office.url}/api/v1/stats", headers=hdr(office.admin_token), timeout=10).json()
    assert stats == [{"hall": "xingfu", "business": "labor", "day": "2026-11-25", "tickets": 3, "served": 1,
                      "avg_wait_min": 5.0, "avg_service_min": 5.0,
                      "satisfaction": {"rated": 0, "satisfied": 0, "rate": None, "levels": {
                          "very_satisfied": 0, "satisfied": 0, "basic": 0, "dissatisfied": 0,
                          "very_dissatisfied": 0}}}]
    html = requests.get(f"{office.url}/stats", auth=("x", office.admin_token), timeout=10)
    assert html.status_code == 200 and "<td>xingfu</td>" in html.text
    unauth = requests.get(f"{office.url}/stats", timeout=10)
    assert unauth.status_code == 401 and "Basic" in unauth.headers["www-authenticate"]


def test_admin_publish_over_http(office):
    token = office.add_hall("幸福", "xingfu")
    office.add_hall("和平", "heping")
    notice = {"kind": "notice", "data": {"uid": str(uuid.uuid4()), "title": "停水通知", "body": "明天停水",
                                         "starts_on": "2026-11-25", "ends_on": "2026-11-30"}}
    r = requests.post(f"{office.url}/api/v1/admin/publish", json={"records": [notice], "halls": ["xingfu"]},
                      headers=hdr(office.admin_token), timeout=10)
    assert r.status_code == 200 and r.json()["records"][0]["version"] == 1
    bad = {"kind": "notice", "data": {**notice["data"], "ends_on": "2026-11-01"}}
    r = requests.post(f"{office.url}/api/v1/admin/publish", json={"records": [bad], "halls": "all"},
                      headers=hdr(office.admin_token), timeout=10)
    assert r.status_code == 422 and "ends_on" in r.json()["detail"]["message"]
    r = requests.post(f"{office.url}/api/v1/admin/publish", json={"records": [notice], "halls": ["nowhere"]},
                      headers=hdr(office.admin_token), timeout=10)
    assert r.status_code == 404
    page = requests.get(f"{office.url}/api/v1/pull", headers=hdr(token), timeout=10).json()
    assert [c["data"]["title"] for c in page["changes"]] == ["停水通知"]


def test_same_batch_sent_twice_at_once_is_stored_once(office):
    import threading

    token = office.add_hall("幸福", "xingfu")
    entries = [ticket_entry(seq=i) for i in range(1, 40)]
    replies = []

    def send() -> None:
        replies.append(push(office, token, entries))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in replies] == [200] * 4
    statuses = sorted(tuple(x["status"] for x in r.json()["results"]) for r in replies)
    assert statuses[-1] == ("stored",) * 39  # one of them stored everything...
    assert all(s == ("duplicate",) * 39 for s in statuses[:-1])  # ...the others were told "duplicate"
    assert len(office_tickets(office.db)) == 39


def test_publish_refuses_a_record_twice_and_tolerates_repeated_halls(office):
    office.add_hall("幸福", "xingfu")
    n = {"kind": "notice", "data": {"uid": str(uuid.uuid4()), "title": "停水", "body": "明天停水",
                                    "starts_on": "2026-11-25", "ends_on": "2026-11-30"}}
    auth = {"Authorization": f"Bearer {office.admin_token}"}
    r = requests.post(f"{office.url}/api/v1/admin/publish", json={"records": [n, n], "halls": "all"},
                      headers=auth, timeout=10)
    assert r.status_code == 422 and "twice" in r.json()["detail"]["message"]
    r = requests.post(f"{office.url}/api/v1/admin/publish", json={"records": [n], "halls": ["xingfu", "xingfu"]},
                      headers=auth, timeout=10)
    assert r.status_code == 200
