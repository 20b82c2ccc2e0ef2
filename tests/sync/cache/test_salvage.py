"""Salvage of a damaged cache: real damage to real files, the rows read back, the numbering kept."""

import json
import os
import random
import sqlite3
import time
from datetime import date

import pytest
from sqlalchemy import func, select

from sync.cache.backups import BackupTimer, list_backups, newest_sound_backup, take_backup
from sync.cache.db import check_integrity, find_damage, open_cache
from sync.cache.models import AuditLog, Notice, Outbox, Staff
from sync.cache.numbers import BLOCK, NumberMark, mark_path
from sync.cache.salvage import read_wal

DAY = date(2026, 12, 3)


def fill(cache, n=400):
    """Outbox entries (unsynced) and audit rows, as a day of tickets leaves them."""
    with cache.transaction() as s:
        for i in range(n):
            s.add(Outbox(kind="ticket_event", payload={"ticket": {"service_day": DAY.isoformat(), "prefix": "A",
                                                                   "number": i + 1}, "i": i}))
            s.add(AuditLog(actor="cli", action="login", target=f"员工{i}"))
        s.add(Staff(name="王建国", role="head", pin_hash="scrypt$x"))


def unsynced(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(payload) FROM outbox NOT INDEXED WHERE done_at IS NULL").fetchone()[0]
    finally:
        conn.close()


def closed_cache(tmp_path, n=400):
    path = tmp_path / "hall.sqlite3"
    cache = open_cache(path)
    fill(cache, n)
    cache.close()  # checkpointed: everything is in the main file
    assert not path.with_name("hall.sqlite3-wal").exists()
    return path


def test_overwritten_interior_page_loses_no_leaf(tmp_path):
    path = closed_cache(tmp_path)
    conn = sqlite3.connect(path)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'outbox'").fetchone()[0]
    conn.close()
    raw = bytearray(path.read_bytes())
    assert raw[(root - 1) * 4096] == 0x05  # the outbox's root is an interior page over its leaves
    raw[(root - 1) * 4096:root * 4096] = random.Random(1).randbytes(4096)
    path.write_bytes(bytes(raw))
    with pytest.raises(sqlite3.DatabaseError):
        unsynced(path)  # SQLite itself no longer reads the table at all

    cache = open_cache(path)
    assert cache.recovery is not None and cache.recovery.damaged_copy.exists()
    with cache.reading() as s:  # every leaf found again, as an orphan matched by its column types
        assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.done_at.is_(None))) == 400
        assert s.scalar(select(func.count()).select_from(AuditLog)) == 400
        assert s.scalar(select(Staff.name)) == "王建国"
    cache.close()


def test_three_overwritten_pages_keep_every_row_sqlite_still_reads(tmp_path):
    path = closed_cache(tmp_path)
    raw = bytearray(path.read_bytes())
    rng = random.Random(7)
    for page in rng.sample(range(2, len(raw) // 4096), 3):
        raw[page * 4096:(page + 1) * 4096] = rng.randbytes(4096)
    path.write_bytes(bytes(raw))
    # what SQLite itself can still read, row by row
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    readable = set()
    for rowid in range(1, 401):
        try:
            if conn.execute("SELECT 1 FROM outbox WHERE rowid = ?", (rowid,)).fetchone():
                readable.add(rowid)
        except sqlite3.DatabaseError:
            pass
    conn.close()

    cache = open_cache(path)
    with cache.reading() as s:
        rebuilt = set(s.scalars(select(Outbox.id)))
    report = cache.recovery.report
    cache.close()
    assert readable <= rebuilt
    lost = 400 - len(rebuilt)
    assert (lost == 0) == ("outbox" not in report.lost)  # what is missing is listed, per table
    assert report.unsynced == len(rebuilt)


def test_zero_bytes_with_its_wal_is_damage_and_the_wal_is_read(tmp_path):
    path = tmp_path / "hall.sqlite3"
    cache = open_cache(path)
    fill(cache, 50)  # still in the WAL: nothing checkpointed yet
    wal = path.with_name("hall.sqlite3-wal")
    _size, pages, _n = read_wal(wal)
    assert pages
    # the hall is killed (its connections stay open, nothing is checkpointed), the file is emptied
    os.truncate(path, 0)
    assert check_integrity(path) == "the file is empty (0 bytes)"
    rebuilt = open_cache(path)
    with rebuilt.reading() as s:
        assert s.scalar(select(func.count()).select_from(Outbox)) == 50
    assert rebuilt.recovery.damaged_copy.with_name(rebuilt.recovery.damaged_copy.name + "-wal").exists()
    rebuilt.close()
    cache.engine.dispose()


def test_no_header_is_damage(tmp_path):
    path = closed_cache(tmp_path, 50)
    raw = bytearray(path.read_bytes())
    raw[:100] = b"\0" * 100
    path.write_bytes(bytes(raw))
    assert "header" in check_integrity(path)
    cache = open_cache(path)
    with cache.reading() as s:  # the schema page is gone too: rows matched to tables by their types
        assert s.scalar(select(func.count()).select_from(Outbox)) == 50
    cache.close()


def test_backup_fills_in_what_the_damaged_file_lost_and_the_report_says_so(tmp_path):
    path = tmp_path / "hall.sqlite3"
    cache = open_cache(path)
    with cache.transaction() as s:
        s.add(Notice(title="只在备份里", starts_on=DAY, ends_on=DAY))
    take_backup(path, keep=5)
    cache.close()
    os.truncate(path, 0)
    cache = open_cache(path)
    report = cache.recovery_report()
    with cache.reading() as s:
        assert s.scalar(select(Notice.title)) == "只在备份里"
    cache.close()
    assert report.from_backup == {"notice": 1} and report.backup.endswith(".sqlite3")
    assert "0 bytes" in report.summary()


def test_backups_rotate_and_a_damaged_backup_is_skipped(tmp_path):
    path = tmp_path / "hall.sqlite3"
    cache = open_cache(path)
    timer = BackupTimer(path, interval_s=0.05, keep=3).start()
    try:
        for _ in range(200):
            if timer.taken >= 5:
                break
            with cache.transaction() as s:
                s.add(Notice(title="公示", starts_on=DAY, ends_on=DAY))
            time.sleep(0.02)
    finally:
        timer.stop()
    assert timer.taken >= 5
    kept = list_backups(path)
    assert len(kept) == 3
    kept[0].write_bytes(b"\0" * 4096)  # the newest is damaged: the one before it is used
    assert newest_sound_backup(path) == kept[1]
    cache.close()


def test_mark_reserves_blocks_and_a_crash_skips_past_them(tmp_path):
    path = tmp_path / "hall.sqlite3"
    mark = NumberMark(path)
    numbers = [mark.next_number(DAY, "A", n) for n in range(5)]
    assert numbers == [1, 2, 3, 4, 5]
    saved = json.loads(mark_path(path).read_text())
    assert saved == {"open": True, "days": {DAY.isoformat(): {"A": BLOCK}}}
    # crashed: the database lost everything after A002, the next start numbers past the block
    after_crash = NumberMark(path)
    assert after_crash.was_open
    assert after_crash.next_number(DAY, "A", 2) == BLOCK + 1
    # a clean shutdown gives the rest of the block back
    after_crash.release({(DAY.isoformat(), "A"): BLOCK + 1})
    assert NumberMark(path).next_number(DAY, "A", BLOCK + 1) == BLOCK + 2


def test_lost_wal_after_a_crash_is_detected(tmp_path):
    path = tmp_path / "hall.sqlite3"
    cache = open_cache(path)
    fill(cache, 5)
    cache.numbers.next_number(DAY, "A", 0)  # a ticket was issued: the mark is open
    wal = path.with_name("hall.sqlite3-wal")
    assert wal.exists()
    cache.engine.dispose()  # (a kill -9 in the real test: tests/kiosk/test_hall_recovery.py)
    wal.unlink(missing_ok=True)
    assert "WAL is missing" in find_damage(path)
    assert "WAL is missing" in find_damage(path)  # looking does not hide it
