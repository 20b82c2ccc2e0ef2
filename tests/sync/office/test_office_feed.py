"""The change feed's cursor never skips a row that commits late (real PostgreSQL)."""

from __future__ import annotations

import random
import threading
import time
import uuid

import pytest
from sqlalchemy import select

from sync.office import store
from sync.office.models import Feed, Hall


def notice(title: str) -> dict:
    return {"kind": "notice", "data": {"uid": str(uuid.uuid4()), "title": title, "body": "正文",
                                       "starts_on": "2026-11-25", "ends_on": "2026-11-30"}}


def caller(db, code: str) -> store.Caller:
    with db.sessions() as s:
        hall = s.scalar(select(Hall).where(Hall.code == code))
        return store.Caller("hall", hall.id, hall.code, hall.name)


def pull_all(db, who, cursor: str) -> tuple[list[str], str]:
    titles = []
    while True:
        with db.sessions() as s:
            page = store.pull(s, who, cursor, limit=7)
        titles += [c.data["title"] for c in page.changes]
        cursor = page.cursor
        if not page.more:
            return titles, cursor


@pytest.mark.postgres
def test_late_commit_is_not_skipped(office_db_factory):
    db = office_db_factory("postgres")
    with db.sessions.begin() as s:
        store.add_hall(s, "幸福", "xingfu")
    who = caller(db, "xingfu")

    slow = db.sessions()
    slow.begin()
    store.publish(slow, [notice("slow")], ["xingfu"])  # takes the smaller feed id, commits last
    slow.flush()
    with db.sessions.begin() as s:
        store.publish(s, [notice("fast")], ["xingfu"])

    # The naive cursor (id > last id) would hand out "fast" now and never "slow".
    with db.sessions() as s:
        ids = dict(s.execute(select(Feed.record_uid, Feed.id)).all())
    assert len(ids) == 1  # only the committed row is visible yet

    seen, cursor = pull_all(db, who, "")
    assert seen == []  # held back until the slow transaction finishes
    slow.commit()
    slow.close()
    with db.sessions() as s:
        by_title = {d.data["title"]: f for f, d in s.execute(
            select(Feed.id, store.ContentRecord).join(store.ContentRecord, store.ContentRecord.uid == Feed.record_uid))}
    assert by_title["slow"] < by_title["fast"]  # so "id > last seen id" would have skipped it
    seen, cursor = pull_all(db, who, cursor)
    assert sorted(seen) == ["fast", "slow"]
    assert pull_all(db, who, cursor)[0] == []


@pytest.mark.postgres
def test_concurrent_writers_and_a_reader_lose_nothing(office_db_factory):
    db = office_db_factory("postgres")
    with db.sessions.begin() as s:
        store.add_hall(s, "幸福", "xingfu")
    who = caller(db, "xingfu")
    rng = random.Random(7)
    written: list[str] = []
    lock = threading.Lock()
    done = threading.Event()

    def writer(n: int) -> None:
        for i in range(15):
            title = f"w{n}-{i}"
            with db.sessions.begin() as s:
                store.publish(s, [notice(title)], ["xingfu"])
                time.sleep(rng.random() * 0.02)  # hold the transaction open a little, at random
            with lock:
                written.append(title)

    seen: list[str] = []

    def reader() -> None:
        cursor = ""
        while not done.is_set():
            got, cursor = pull_all(db, who, cursor)
            seen.extend(got)
        got, cursor = pull_all(db, who, cursor)
        seen.extend(got)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    r = threading.Thread(target=reader)
    r.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    r.join()
    assert len(written) == 90
    assert sorted(seen) == sorted(written)  # every row, each exactly once


def test_sqlite_feed_cursor(office_db_factory):
    db = office_db_factory("sqlite")
    with db.sessions.begin() as s:
        store.add_hall(s, "幸福", "xingfu")
    who = caller(db, "xingfu")
    with db.sessions.begin() as s:
        store.publish(s, [notice(f"n{i}") for i in range(20)], ["xingfu"])
    seen, cursor = pull_all(db, who, "")
    assert seen == [f"n{i}" for i in range(20)]
    with db.sessions.begin() as s:
        store.publish(s, [notice("late")], "all")
    assert pull_all(db, who, cursor)[0] == ["late"]
