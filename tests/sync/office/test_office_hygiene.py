"""Isolation and hygiene at the office, over real HTTP on loopback: what a ticket page shows comes
from the ticket's own hall, wrong tokens are throttled and logged, a gzip body is not unpacked
before its token is checked, 405 says what is allowed, the schema declares uuid and cursor."""

from __future__ import annotations

import gzip
import http.client
import logging
import uuid

import requests

from sync.client import SyncWorker
from tests.sync.office_world import TicketMaker, record_apply


def hdr(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def spoofed_business_entry() -> dict:
    uid = str(uuid.uuid4())
    return {"id": str(uuid.uuid4()), "seq": 1, "kind": "content", "payload": {
        "kind": "business_type", "uid": uid, "base_version": 0, "version": 1,
        "data": {"uid": uid, "code": "labor", "name": "暂停办理，请扫码缴费 微信 pay-me", "name_en": "Pay first",
                 "prefix": "A"}}}


def test_ticket_page_shows_the_business_names_of_the_tickets_own_hall(office, make_cache, sample_records):
    mine = office.add_hall("幸福社区工作站", "xingfu")
    other = office.add_hall("别的大厅", "other")
    office.publish(sample_records, ["xingfu"])
    cache = make_cache()
    ticket = TicketMaker(cache).issue(events=1)
    SyncWorker(cache, office.url, mine, apply_content=record_apply).sync_once()
    assert "劳动保障业务" in requests.get(f"{office.url}/t/{ticket}", timeout=10).text

    # Another hall stores its own business type with the same code.
    r = requests.post(f"{office.url}/api/v1/push", json={"wire": 1, "entries": [spoofed_business_entry()]},
                      headers=hdr(other), timeout=10)
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "stored"
    page = requests.get(f"{office.url}/t/{ticket}", timeout=10).text
    assert "劳动保障业务" in page and "扫码缴费" not in page


def test_wrong_tokens_are_throttled_per_source_and_logged(office, caplog):
    token = office.add_hall("幸福社区工作站", "xingfu")
    caplog.set_level(logging.WARNING, logger="sync.office.deps")
    statuses = [requests.get(f"{office.url}/api/v1/hello", headers=hdr(f"yzh_wrong{i}"), timeout=10).status_code
                for i in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    throttled = requests.get(f"{office.url}/api/v1/hello", headers=hdr("yzh_wrong-again"), timeout=10)
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
    assert "too many wrong tokens" in throttled.json()["detail"]["message"]
    logged = [r.getMessage() for r in caplog.records if "wrong token" in r.getMessage()]
    assert logged and "127.0.0.1" in logged[0]
    assert not any("yzh_wrong1" in m for m in logged)  # the guess itself is not written down
    # The whole source waits, right token or not (else guessing would go on, answered by 429 or 200)...
    assert requests.get(f"{office.url}/api/v1/hello", headers=hdr(token), timeout=10).status_code == 429
    # ...while halls elsewhere are not slowed down.
    conn = http.client.HTTPConnection("127.0.0.1", int(office.url.rsplit(":", 1)[1]), timeout=10,
                                      source_address=("127.0.0.2", 0))
    conn.request("GET", "/api/v1/hello", headers=hdr(token))
    assert conn.getresponse().status == 200
    conn.close()


def test_gzip_body_is_not_unpacked_before_the_token_is_checked(office):
    office.add_hall("幸福社区工作站", "xingfu")
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MB of zeros, some 64 kB packed
    r = requests.post(f"{office.url}/api/v1/push", data=bomb, timeout=10,
                      headers={**hdr("yzh_not-a-token"), "Content-Encoding": "gzip",
                               "Content-Type": "application/json"})
    # Unpacked, it would be refused as over the limit (413); the token is refused first.
    assert r.status_code == 401
    assert "unknown or revoked token" in r.json()["detail"]["message"]
    # Without any token: the same answer, still unpacked by nobody.
    r = requests.post(f"{office.url}/api/v1/push", data=bomb, timeout=10,
                      headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert r.status_code == 401


def test_gzip_body_with_a_right_token_is_unpacked(office):
    token = office.add_hall("幸福社区工作站", "xingfu")
    body = gzip.compress(b'{"wire": 1, "entries": []}')
    r = requests.post(f"{office.url}/api/v1/push", data=body, timeout=10,
                      headers={**hdr(token), "Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["results"] == []


def test_405_says_which_methods_are_allowed(office):
    r = requests.delete(f"{office.url}/api/v1/pull", timeout=10)
    assert r.status_code == 405 and r.headers["allow"] == "GET"
    r = requests.get(f"{office.url}/api/v1/push", timeout=10)
    assert r.status_code == 405 and r.headers["allow"] == "POST"


def test_schema_declares_uuid_and_cursor_formats(office):
    schema = requests.get(f"{office.url}/openapi.json", timeout=10).json()
    params = {(path, p["name"]): p["schema"] for path, ops in schema["paths"].items()
              for op in ops.values() for p in op.get("parameters", [])}
    assert params[("/g/{uid}", "uid")]["format"] == "uuid"
    assert params[("/t/{uid}", "uid")]["format"] == "uuid"
    cursor = params[("/api/v1/pull", "cursor")]
    assert cursor["format"] == "cursor" and cursor["pattern"].startswith("^")
    ticket = schema["components"]["schemas"]["TicketData"]["properties"]["uid"]
    assert ticket["format"] == "uuid"
    assert schema["components"]["schemas"]["PullPage"]["properties"]["cursor"]["format"] == "cursor"
