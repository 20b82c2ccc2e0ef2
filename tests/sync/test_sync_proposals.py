"""Shared content is reviewed, not overwritten: real halls (cache, editor) and a real office over
HTTP on loopback (SQLite and PostgreSQL). A hall's edit of a record published to several halls
becomes a proposal that office editors accept, merge field by field or reject; the hall learns
the state through sync and its editor shows it. A hall's own content goes straight through."""

from __future__ import annotations

import uuid

import pytest
import requests
from sqlalchemy import func, select

from kiosk.hall import Hall
from kiosk.services.auth import StaffSession
from kiosk.services.content import apply_content
from kiosk.services.editor import EditorService
from kiosk.services.events import ContentProposal
from sync.client import SyncWorker
from sync.content import derive_uid
from sync.office.models import ContentRecord, Feed, Proposal

HEAD = StaffSession(3, "王建国", "head")
LD001 = derive_uid("guide", "LD-001")
BAD_FEES = "请先扫码缴纳手续费50元"


def hdr(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_hall(tmp_path, hall_config, name: str) -> Hall:
    config = hall_config.model_copy(deep=True)
    config.hall.data_dir = tmp_path / name
    return Hall(config)


def worker_for(hall: Hall, url: str, token: str) -> SyncWorker:
    return SyncWorker(hall.cache, url, token, apply_content=apply_content, publish=hall.events.publish,
                      timeout_s=5)


def office_record(office, uid: str) -> tuple[int, dict]:
    with office.db.sessions() as s:
        rec = s.get(ContentRecord, uid)
        return rec.version, rec.data


def feed_rows(office) -> int:
    with office.db.sessions() as s:
        return s.scalar(select(func.count()).select_from(Feed))


def local(hall: Hall, uid: str = LD001) -> tuple[dict, int]:
    with hall.cache.sessions() as s:
        return EditorService.for_hall(hall).current(s, "guide", uid)


def edit(hall: Hall, **fields) -> int:
    editor = EditorService.for_hall(hall)
    state = editor.load("guide", LD001)
    state.data.update(fields)
    return editor.publish(HEAD, state)


def admin(office, method: str, path: str, **kw) -> requests.Response:
    return requests.request(method, f"{office.url}/api/v1/admin/proposals{path}", headers=hdr(office.admin_token),
                            timeout=10, **kw)


@pytest.fixture
def two_halls(office, tmp_path, hall_config, sample_records):
    t1, t2 = office.add_hall("幸福社区工作站", "xingfu"), office.add_hall("和平社区工作站", "heping")
    office.publish(sample_records, "all")
    h1, h2 = make_hall(tmp_path, hall_config, "h1"), make_hall(tmp_path, hall_config, "h2")
    w1, w2 = worker_for(h1, office.url, t1), worker_for(h2, office.url, t2)
    w1.sync_once()
    w2.sync_once()
    yield h1, h2, w1, w2, t1, t2
    h1.close()
    h2.close()


def test_an_edit_of_a_shared_guide_becomes_a_proposal_and_is_rejected(office, two_halls):
    h1, h2, w1, w2, t1, _t2 = two_halls
    original_version, original = office_record(office, LD001)
    feeds = feed_rows(office)
    events: list[ContentProposal] = []
    h1.events.subscribe(ContentProposal, events.append)

    assert edit(h1, fees=BAD_FEES) == original_version + 1
    result = w1.sync_once()
    assert result.proposed == 1
    # Stored at the office for review: not applied, not queued to any hall, not on the public page.
    assert office_record(office, LD001) == (original_version, original)
    assert feed_rows(office) == feeds
    assert BAD_FEES not in requests.get(f"{office.url}/g/{LD001}", timeout=10).text
    assert w2.sync_once().pulled == 0 and local(h2)[0]["fees"] == original["fees"]
    # The hall that proposed it shows the office's copy until the office decides, and says so.
    data, version = local(h1)
    assert data["fees"] == original["fees"] and version == original_version
    state, line = EditorService.for_hall(h1).proposal_note("guide", LD001)
    assert state == "pending" and "已提交审核" in line
    assert events and events[-1].state == "pending"

    # Office editors see it with the field that differs.
    [row] = admin(office, "GET", "", params={"state": "pending"}).json()
    assert row["hall"] == "xingfu" and row["uid"] == LD001 and row["state_word"] == "已提交审核"
    assert [c["field"] for c in row["changes"]] == ["fees"] and row["changes"][0]["proposed"] == BAD_FEES
    # ...and reject it, with a note the hall reads after its next round.
    r = admin(office, "POST", f"/{row['id']}/reject", json={"note": "收费须按统一标准，不得自行增加"})
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    assert admin(office, "POST", f"/{row['id']}/accept", json={}).status_code == 409  # decided once
    assert w1.sync_once().decided == 1
    state, line = EditorService.for_hall(h1).proposal_note("guide", LD001)
    assert state == "rejected" and "已驳回" in line and "不得自行增加" in line
    assert events[-1].state == "rejected"
    assert office_record(office, LD001) == (original_version, original)
    # Nothing pending: a round asks nothing more about proposals.
    assert w1.sync_once().requests == 1


def test_merge_field_by_field_then_accept(office, two_halls):
    h1, h2, w1, w2, _t1, _t2 = two_halls
    v0, original = office_record(office, LD001)
    edit(h1, hours="周一至周六 9:00-17:00", phone="028-85550199（示例）")
    w1.sync_once()
    [row] = admin(office, "GET", "", params={"state": "pending"}).json()
    assert {c["field"] for c in row["changes"]} == {"hours", "phone"}
    bad = admin(office, "POST", f"/{row['id']}/merge", json={"take": ["name"]})
    assert bad.status_code == 422 and "do not differ" in bad.json()["detail"]["message"]
    merged = admin(office, "POST", f"/{row['id']}/merge", json={"take": ["hours"]}).json()
    assert merged["state"] == "merged" and merged["result_version"] == v0 + 1
    version, data = office_record(office, LD001)
    assert version == v0 + 1 and data["hours"] == "周一至周六 9:00-17:00" and data["phone"] == original["phone"]
    # Every hall that has the guide hears of the new version; the proposer learns "merged".
    assert w2.sync_once().pulled == 1 and local(h2) == (data, v0 + 1)
    assert w1.sync_once().decided == 1
    assert local(h1) == (data, v0 + 1)
    assert EditorService.for_hall(h1).proposal_note("guide", LD001)[0] == "merged"

    # Hall 2 proposes, the office accepts it as it is.
    editor = EditorService.for_hall(h2)
    state = editor.load("guide", LD001)
    state.data["complaint_phone"] = "028-12345（示例）"
    editor.publish(HEAD, state)
    assert w2.sync_once().proposed == 1
    [row] = admin(office, "GET", "", params={"state": "pending", "hall": "heping"}).json()
    accepted = admin(office, "POST", f"/{row['id']}/accept", json={"note": "好"}).json()
    assert accepted["state"] == "accepted" and accepted["state_word"] == "已采纳"
    w2.sync_once()
    w1.sync_once()
    for hall in (h1, h2):
        assert local(hall)[0]["complaint_phone"] == "028-12345（示例）"
    assert EditorService.for_hall(h2).proposal_note("guide", LD001)[0] == "accepted"


def test_own_content_goes_straight_through(office, tmp_path, hall_config, sample_records):
    t1 = office.add_hall("幸福社区工作站", "xingfu")
    office.add_hall("和平社区工作站", "heping")
    office.publish(sample_records, ["xingfu"])  # published to this hall only
    hall = make_hall(tmp_path, hall_config, "h1")
    worker = worker_for(hall, office.url, t1)
    worker.sync_once()
    v0, _ = office_record(office, LD001)
    edit(hall, hours="周一至周五 9:00-17:00")
    result = worker.sync_once()
    assert result.proposed == 0
    assert office_record(office, LD001)[0] == v0 + 1
    # A notice the hall wrote itself, then edited.
    editor = EditorService.for_hall(hall)
    state = editor.new_record("notice")
    state.data.update(title="本周四下午停电", body="检修线路，暂停办理。", starts_on="2026-11-26", ends_on="2026-11-27")
    editor.publish(HEAD, state)
    state = editor.load("notice", state.uid)
    state.data["body"] = "检修线路，14:00-17:00 暂停办理。"
    editor.publish(HEAD, state)
    assert worker.sync_once().proposed == 0
    assert office_record(office, state.uid) == (2, state.data)
    with office.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Proposal)) == 0
    hall.close()


def test_proposals_are_only_for_their_own_hall_and_office_editors(office, two_halls):
    h1, _h2, w1, _w2, t1, t2 = two_halls
    edit(h1, fees=BAD_FEES)
    w1.sync_once()
    [row] = admin(office, "GET", "").json()
    # A hall token cannot read or decide proposals...
    r = requests.get(f"{office.url}/api/v1/admin/proposals", headers=hdr(t1), timeout=10)
    assert r.status_code == 403
    r = requests.post(f"{office.url}/api/v1/admin/proposals/{row['id']}/accept", json={}, headers=hdr(t2),
                      timeout=10)
    assert r.status_code == 403
    # ...and reads only its own proposals' states.
    mine = requests.get(f"{office.url}/api/v1/proposals", params={"ids": str(row["id"])}, headers=hdr(t1),
                        timeout=10).json()
    theirs = requests.get(f"{office.url}/api/v1/proposals", params={"ids": str(row["id"])}, headers=hdr(t2),
                          timeout=10).json()
    assert [p["state"] for p in mine["proposals"]] == ["pending"] and theirs["proposals"] == []
    assert admin(office, "GET", "/999999").status_code == 404
    # The same push sent again (a lost answer) is the same proposal, not a second one.
    with office.db.sessions() as s:
        entry_id = s.scalar(select(Proposal.entry_id))
    from sync.cache.models import Outbox

    with h1.cache.sessions() as s:
        payload = s.scalar(select(Outbox.payload).where(Outbox.uid == entry_id))
    again = requests.post(f"{office.url}/api/v1/push", headers=hdr(t1), timeout=10, json={
        "wire": 1, "entries": [{"id": entry_id, "seq": 1, "kind": "content", "payload": payload}]}).json()
    assert again["results"][0]["status"] == "proposed" and again["results"][0]["proposal"] == row["id"]
    assert len(admin(office, "GET", "").json()) == 1
    assert uuid.UUID(row["uid"])
