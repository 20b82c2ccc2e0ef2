"""The cache's WAL is checkpointed off the action path: a background thread copies it back while
the hall pauses, never takes the write lock, and the writers' own checkpoint only bounds the WAL.
Console and board views read without the write lock."""

from __future__ import annotations

import sqlite3
import struct

import pytest
from sqlalchemy import event, select

from sync.cache.db import WAL_LIMIT_FRAMES
from sync.cache.models import Ticket
from sync.client import wait_until
from tests.kiosk.services.queue_world import Clock, make_queue, seed_hall


@pytest.fixture
def q(cache):
    seed_hall(cache)
    service, _ = make_queue(cache, Clock())
    return service


def wal_header(cache) -> tuple[int, int]:
    """(frames in the WAL, frames already copied to the database) from the WAL index header.

    https://www.sqlite.org/walformat.html: mxFrame at byte 16, nBackfill at byte 96.
    """
    with open(f"{cache.path}-shm", "rb") as f:
        head = f.read(100)
    return struct.unpack("=I", head[16:20])[0], struct.unpack("=I", head[96:100])[0]


def test_writers_checkpoint_by_themselves_only_as_a_bound(q, cache):
    with cache.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == WAL_LIMIT_FRAMES
    assert WAL_LIMIT_FRAMES > 1000  # SQLite's default, which lands inside every ~80th action


def test_a_pause_gets_the_wal_copied_back_and_the_next_action_starts_it_afresh(q, cache):
    cache.checkpointer.idle_writes = 5
    for _ in range(6):
        q.issue_ticket("labor")
        q.call_next(1)
    assert wait_until(lambda: cache.checkpointer.checkpoints >= 1, 10)
    frames, copied = wal_header(cache)
    assert frames > 12 and copied == frames  # everything was in the WAL is in the database now
    q.issue_ticket("civil")
    frames_after, copied_after = wal_header(cache)
    assert frames_after < 20 and copied_after == 0  # the WAL restarted: one action's pages only


def test_no_checkpoint_before_enough_writes_or_while_busy(q, cache):
    cache.checkpointer.idle_writes = 1000
    cache.checkpointer.busy_writes = 1000
    for _ in range(5):
        q.issue_ticket("labor")
    assert wait_until(lambda: cache.checkpointer._asleep, 10)  # the thread looked, and went to sleep
    assert cache.checkpointer.checkpoints == 0


def test_a_checkpoint_never_waits_for_the_write_lock(q, cache):
    for _ in range(3):
        q.issue_ticket("labor")
    writer = sqlite3.connect(cache.path, isolation_level=None, timeout=0)
    try:
        writer.execute("BEGIN IMMEDIATE")  # a counter action in the middle of its transaction
        writer.execute("UPDATE business_type SET avg_service_minutes = avg_service_minutes")
        busy, frames, copied = cache.checkpointer.checkpoint()  # would raise or stall if it needed the lock
        assert (busy, copied) == (0, frames) and frames > 0
        writer.execute("COMMIT")
    finally:
        writer.close()


def test_a_failed_checkpoint_is_tried_again_later(q, cache, monkeypatch):
    checkpointer = cache.checkpointer
    checkpointer.idle_writes = 2
    real = type(checkpointer).checkpoint
    failed = []

    def locked_once(self):
        if not failed:
            failed.append(1)
            raise sqlite3.OperationalError("database is locked")
        return real(self)

    monkeypatch.setattr(type(checkpointer), "checkpoint", locked_once)
    for _ in range(2):
        q.issue_ticket("labor")
    assert wait_until(lambda: checkpointer.failures == 1, 10)
    for _ in range(2):
        q.issue_ticket("labor")
    assert wait_until(lambda: checkpointer.checkpoints >= 1, 10)
    assert checkpointer._thread.is_alive()


def test_close_stops_the_thread(tmp_path):
    from sync.cache.db import open_cache

    cache = open_cache(tmp_path / "c.sqlite3")
    seed_hall(cache)  # a write: the thread starts
    thread = cache.checkpointer._thread
    assert thread is not None and thread.is_alive()
    cache.close()
    assert not thread.is_alive() and cache.checkpointer._conn is None


def test_views_read_without_the_write_lock(cache):
    seed_hall(cache)
    statements: list[str] = []
    event.listen(cache.engine, "connect", lambda conn, _rec: conn.set_trace_callback(statements.append))
    cache.engine.dispose()  # new connections carry the trace
    q, _ = make_queue(cache, Clock())
    q.issue_ticket("labor")
    q.call_next(1)
    statements.clear()
    # what consoles, the board, the kiosk and the printer poll
    q.window_state(1), q.board_view(), q.businesses(), q.windows(), q.today_summary()
    q.ticket("A001"), q.issued_ticket("A001"), q.people_ahead("A001")
    begins = [sql for sql in statements if sql.startswith("BEGIN")]
    assert len(begins) >= 8 and set(begins) == {"BEGIN"}  # deferred: a snapshot, no write lock

    other = sqlite3.connect(cache.path, isolation_level=None, timeout=0)
    try:
        with cache.reading() as s:
            s.execute(select(Ticket.label)).all()  # a reader in the middle of its snapshot ...
            other.execute("BEGIN IMMEDIATE")  # ... and a counter action can start at once
            other.execute("ROLLBACK")
        with cache.sessions() as s:
            s.execute(select(Ticket.label)).all()  # an ordinary session holds the write lock
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
