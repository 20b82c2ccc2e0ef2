"""On SQLite the office's writers queue on one write lock (BEGIN IMMEDIATE, so feed ids follow
commit order). What only reads (the statistics, the halls list, token checks, a hall's
high-water mark, the console's pages) reads a WAL snapshot instead (OfficeDB.reading): it
answers while a write (a big push, a publish to all halls) holds the lock, instead of waiting
up to 30 s behind it."""

from __future__ import annotations

import sqlite3

import pytest
import requests

from sync.office import live_figures
from sync.office.console import accounts
from tests.sync.office_world import BACKENDS

PW = "a-long-enough-password"


def test_reads_answer_while_a_writer_holds_the_lock(start_office):
    office = start_office("sqlite")
    hall_token = office.add_hall("幸福社区", "xingfu")
    with office.db.sessions.begin() as s:
        accounts.add_account(s, "查看", "viewer", PW, actor="test")
    console = requests.Session()  # signing in writes: before the lock is taken
    r = console.post(f"{office.url}/console/login", data={"name": "查看", "password": PW, "next": "/console/halls"},
                     allow_redirects=False, timeout=10)
    assert r.status_code == 303
    writer = sqlite3.connect(office.db.engine.url.database, isolation_level=None, timeout=10)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE hall SET name = name || ' '")  # written, not committed: the lock is held
    try:
        admin = {"Authorization": f"Bearer {office.admin_token}"}
        r = requests.get(f"{office.url}/api/v1/admin/halls", headers=admin, timeout=5)
        assert r.status_code == 200 and [(h["code"], h["name"]) for h in r.json()] == [("xingfu", "幸福社区")]
        assert requests.get(f"{office.url}/api/v1/stats", headers=admin, timeout=5).json() == []
        hall = {"Authorization": f"Bearer {hall_token}"}  # a token not yet in the office's cache
        assert requests.get(f"{office.url}/api/v1/tickets/high-water", headers=hall, timeout=5).status_code == 200
        r = console.get(f"{office.url}/console/halls.json", timeout=5)
        assert r.status_code == 200 and [h["code"] for h in r.json()["halls"]] == ["xingfu"]
        assert console.get(f"{office.url}/console/stats", timeout=5).status_code == 200
    finally:
        writer.execute("ROLLBACK")
        writer.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_reads_find_the_live_figures_cache(office_db_factory, backend):
    """The console's figures of today come from a per-process cache found through the session
    (sync/office/live_figures.py): a read that missed it would count every ticket again."""
    db = office_db_factory(backend)
    with db.reading() as s:
        assert live_figures.of(s) is db.live_figures
