"""Every integer the office reads from a hall is range-checked: 4xx, never 500 (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
import requests
from test_office_api import hdr, push, ticket_entry


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
    r = push(office, token, [ticket_entry(seq=seq)])
    assert r.status_code == 422, r.text
