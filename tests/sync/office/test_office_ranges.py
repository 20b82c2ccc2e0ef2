"""Every integer the office reads from a hall is range-checked: 4xx, never 500 (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid

import pytest
import requests


def hdr(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def push_with_seq(office, token: str, seq: int) -> requests.Response:
    """One ticket event entry whose only odd value is its sequence number."""
    ticket, event = str(uuid.uuid4()), str(uuid.uuid4())
    entry = {"id": event, "seq": seq, "kind": "ticket_event", "payload": {
        "ticket": {"uid": ticket, "label": "A001", "prefix": "A", "number": 1, "service_day": "2026-12-03",
                   "business_code": "labor", "priority": False, "state": "waiting", "window_number": None,
                   "issued_at": "2026-12-03T01:00:00+00:00", "called_at": None, "finished_at": None},
        "event": {"uid": event, "kind": "issued", "at": "2026-12-03T01:00:00+00:00", "window_number": None,
                  "business_code": "labor", "detail": {}}}}
    return requests.post(f"{office.url}/api/v1/push", json={"wire": 1, "entries": [entry]}, headers=hdr(token),
                         timeout=10)


@pytest.mark.parametrize("cursor", ["v1.9999999999999999999.1", "v1.1.9999999999999999999", "v1.٣.0",
                                    "v1.3.٠", "v1.-1.0", "v1.+1.0", "v1. 1.0"])
def test_pull_cursors_out_of_range_or_not_ascii_are_400(office, cursor):
    token = office.add_hall("幸福", "xingfu")
    r = requests.get(f"{office.url}/api/v1/pull", params={"cursor": cursor}, headers=hdr(token), timeout=10)
    assert r.status_code == 400, r.text
    assert "cursor" in r.json()["detail"]["message"]


def test_the_largest_cursor_is_still_an_answer(office):
    token = office.add_hall("幸福", "xingfu")
    r = requests.get(f"{office.url}/api/v1/pull", params={"cursor": f"v1.{2**63 - 1}.{2**63 - 1}"},
                     headers=hdr(token), timeout=10)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("seq", [2**63, 10**30, -1])
def test_push_sequence_numbers_out_of_range_are_422(office, seq):
    token = office.add_hall("幸福", "xingfu")
    assert push_with_seq(office, token, 1).status_code == 200  # the same entry in range is stored
    r = push_with_seq(office, token, seq)
    assert r.status_code == 422, r.text
