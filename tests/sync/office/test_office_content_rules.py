"""One validation for every path, at the office: `yizhan office publish`, the admin API and a
hall's push refuse what the hall editor refuses (markup, script links, U+202E, a second LD-001),
name the record and the field, and store nothing."""

from __future__ import annotations

import uuid

import pytest
import requests
from sqlalchemy import func, select

from kiosk.cli import main
from sync.office.models import ContentRecord, Feed
from tests.sync.content_bad_inputs import (
    BAD_IDS,
    BAD_TEXT,
    OTHER_LD001,
    folder_with,
    second_ld001,
    spoil_guide,
)


def hdr(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ld001(records):
    return next(r for r in records if r["kind"] == "guide" and r["data"]["code"] == "LD-001")


def office_state(db) -> tuple[int, int, list]:
    with db.sessions() as s:
        return (s.scalar(select(func.count()).select_from(ContentRecord)),
                s.scalar(select(func.count()).select_from(Feed)),
                sorted(s.scalars(select(ContentRecord.data["name"].as_string())
                                 .where(ContentRecord.kind == "guide")).all()))


@pytest.mark.parametrize(("what", "field", "value", "words"), BAD_TEXT, ids=BAD_IDS)
def test_admin_api_refuses_bad_text(office, sample_records, what, field, value, words):
    office.add_hall("幸福社区工作站", "xingfu")
    office.publish(sample_records, "all")
    before = office_state(office.db)
    guide = ld001(sample_records)
    bad = {"kind": "guide", "data": spoil_guide(guide["data"], field, value)}
    r = requests.post(f"{office.url}/api/v1/admin/publish", json={"records": [bad], "halls": "all"},
                      headers=hdr(office.admin_token), timeout=10)
    assert r.status_code == 422, r.text
    message = r.json()["detail"]["message"]
    assert "LD-001" in message and f"field {field}" in message and words in message
    assert office_state(office.db) == before


def test_admin_api_refuses_a_second_ld001(office, sample_records):
    office.add_hall("幸福社区工作站", "xingfu")
    office.publish(sample_records, "all")
    before = office_state(office.db)
    other = {"kind": "guide", "data": second_ld001(ld001(sample_records)["data"])}
    r = requests.post(f"{office.url}/api/v1/admin/publish", json={"records": [other], "halls": ["xingfu"]},
                      headers=hdr(office.admin_token), timeout=10)
    assert r.status_code == 409, r.text
    message = r.json()["detail"]["message"]
    assert "LD-001" in message and "field code" in message and OTHER_LD001 in message
    assert office_state(office.db) == before
    # Two in one batch are refused too, even to a fresh office.
    r = requests.post(f"{office.url}/api/v1/admin/publish",
                      json={"records": [ld001(sample_records), other], "halls": "all"},
                      headers=hdr(office.admin_token), timeout=10)
    assert r.status_code in (409, 422) and "LD-001" in r.json()["detail"]["message"]


def test_the_same_code_in_two_halls_that_never_meet_is_fine(office, sample_records):
    # Each hall may have its own LD-001 (hall-own content); only one hall receiving both is refused.
    office.add_hall("幸福", "xingfu")
    office.add_hall("和平", "heping")
    guide = ld001(sample_records)
    cats = [r for r in sample_records if r["kind"] in ("category", "business_type")]
    office.publish([*cats, guide], ["xingfu"])
    office.publish([{"kind": "guide", "data": second_ld001(guide["data"])}], ["heping"])
    r = requests.post(f"{office.url}/api/v1/admin/publish",
                      json={"records": [guide], "halls": ["heping"]}, headers=hdr(office.admin_token), timeout=10)
    assert r.status_code == 409 and "LD-001" in r.json()["detail"]["message"]


@pytest.mark.parametrize(("what", "field", "value", "words"), BAD_TEXT, ids=BAD_IDS)
def test_hall_push_refuses_bad_text(office, sample_records, what, field, value, words):
    token = office.add_hall("幸福社区工作站", "xingfu")
    office.publish(sample_records, ["xingfu"])
    before = office_state(office.db)
    guide = ld001(sample_records)["data"]
    entry = {"id": str(uuid.uuid4()), "seq": 1, "kind": "content", "payload": {
        "kind": "guide", "uid": guide["uid"], "base_version": 1, "version": 2,
        "data": spoil_guide(guide, field, value)}}
    r = requests.post(f"{office.url}/api/v1/push", json={"wire": 1, "entries": [entry]}, headers=hdr(token),
                      timeout=10)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["entry"] == entry["id"]
    message = r.json()["detail"]["message"]
    assert "LD-001" in message and f"field {field}" in message and words in message
    assert office_state(office.db) == before


def test_hall_push_refuses_a_second_ld001(office, sample_records):
    token = office.add_hall("幸福社区工作站", "xingfu")
    office.publish(sample_records, ["xingfu"])
    before = office_state(office.db)
    entry = {"id": str(uuid.uuid4()), "seq": 1, "kind": "content", "payload": {
        "kind": "guide", "uid": OTHER_LD001, "base_version": 0, "version": 1,
        "data": second_ld001(ld001(sample_records)["data"])}}
    r = requests.post(f"{office.url}/api/v1/push", json={"wire": 1, "entries": [entry]}, headers=hdr(token),
                      timeout=10)
    assert r.status_code == 409 and "LD-001" in r.json()["detail"]["message"]
    assert office_state(office.db) == before


# --- yizhan office publish ---------------------------------------------------------------------


def publish_cli(db_url: str, folder, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["office", "publish", str(folder), "--database", db_url])
    return code, capsys.readouterr().err


@pytest.fixture
def office_url(tmp_path):
    return f"sqlite:///{tmp_path / 'office.sqlite3'}"


@pytest.mark.parametrize(("what", "field", "value", "words"), BAD_TEXT, ids=BAD_IDS)
def test_office_publish_cli_refuses_bad_text(tmp_path, office_url, capsys, what, field, value, words):
    assert main(["office", "add-hall", "幸福社区工作站", "--code", "xingfu", "--database", office_url]) == 0
    folder = folder_with(tmp_path, field, value)
    code, err = publish_cli(office_url, folder, capsys)
    assert code != 0
    assert "labor.yaml" in err and "entry guide LD-001" in err and f"field {field}" in err and words in err


def test_office_publish_cli_refuses_a_second_ld001(tmp_path, office_url, capsys):
    from sync.office.db import OfficeDB

    assert main(["office", "add-hall", "幸福社区工作站", "--code", "xingfu", "--database", office_url]) == 0
    code, err = publish_cli(office_url, folder_with(tmp_path, duplicate=True), capsys)
    assert code != 0 and "LD-001" in err and "field code" in err
    # The sample goes out, then a folder whose LD-001 is another record: refused, nothing changes.
    assert publish_cli(office_url, folder_with(tmp_path), capsys)[0] == 0
    db = OfficeDB(office_url)
    before = office_state(db)
    code, err = publish_cli(office_url, folder_with(tmp_path, own_uid_for_ld001=OTHER_LD001), capsys)
    assert code != 0 and "LD-001" in err and "field code" in err
    assert office_state(db) == before
    db.close()
