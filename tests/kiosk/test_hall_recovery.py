"""The hall keeps its data: a real hall process killed with SIGKILL, its cache damaged for real,
restarted; staff PINs, unsynced entries and the numbering survive, and the sample PINs never return."""

import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import HallConfig
from kiosk.hall import Hall
from kiosk.services.auth import AuthError, AuthService

ROOT = Path(__file__).resolve().parents[2]
YIZHAN = [sys.executable, "-m", "kiosk.cli"]

# A hall process: issues tickets, prints each label once issued (shown to the resident), then waits
# to be killed. Not a mock: the same Hall and QueueService as the app.
HALL_PROCESS = """
import sys, time
from kiosk.config import HallConfig
from kiosk.hall import Hall
from kiosk.services.queue import QueueService
config = HallConfig()
config.hall.data_dir = sys.argv[1]
hall = Hall(config)
queue = hall.queue
codes = [b.code for b in queue.businesses()][:2]
for i in range(int(sys.argv[2])):
    print(queue.issue_ticket(codes[i % 2]).label, flush=True)
print("done", flush=True)
time.sleep(600)
"""


def config_for(folder: Path) -> HallConfig:
    config = HallConfig()
    config.hall.data_dir = folder
    return config


def run_hall_and_kill(folder: Path, tickets: int) -> list[str]:
    proc = subprocess.Popen([sys.executable, "-c", HALL_PROCESS, str(folder), str(tickets)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    shown = []
    try:
        for line in proc.stdout:
            if line.strip() == "done":
                break
            shown.append(line.strip())
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
    return shown


def yizhan(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([*YIZHAN, *args], cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=120)


def damage(path: Path, kind: str) -> None:
    if kind == "truncate":
        os.truncate(path, path.stat().st_size // 2)
    elif kind == "zero":
        os.truncate(path, 0)
    elif kind == "pages":
        # three random pages, but not the staff table's (whether the head's PIN survives would be
        # chance; that a lost staff table never brings the sample back is the "zero" case)
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        staff_page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'staff'").fetchone()[0]
        conn.close()
        rng = random.Random(3)
        candidates = [p for p in range(1, path.stat().st_size // 4096) if p != staff_page - 1]
        with open(path, "r+b") as f:
            for page in rng.sample(candidates, 3):
                f.seek(page * 4096)
                f.write(rng.randbytes(4096))


def unsynced_readable(path: Path) -> int:
    """What SQLite itself reads in a copy of the damaged files (the reference for the salvage)."""
    copy = path.with_name("reference.sqlite3")
    copy.write_bytes(path.read_bytes())
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        copy.with_name(copy.name + "-wal").write_bytes(wal.read_bytes())
    conn = sqlite3.connect(copy)
    try:
        return conn.execute("SELECT count(*) FROM outbox WHERE done_at IS NULL").fetchone()[0]
    except sqlite3.DatabaseError:
        return -1
    finally:
        conn.close()
        for p in (copy, copy.with_name(copy.name + "-wal"), copy.with_name(copy.name + "-shm")):
            p.unlink(missing_ok=True)


def number(label: str) -> tuple[str, int]:
    return label[0], int(label[1:])


@pytest.mark.parametrize("kind", ["truncate", "pages", "zero"])
def test_reset_pin_then_damage_keeps_the_pin_and_never_brings_back_the_sample(tmp_path, kind, caplog):
    Hall(config_for(tmp_path)).close()  # the hall's very first start: the sample staff
    done = yizhan("staff", "reset-pin", "王建国", "--data-dir", str(tmp_path), stdin="987654\n")
    assert done.returncode == 0, done.stderr
    shown = run_hall_and_kill(tmp_path, 120)
    path = tmp_path / "hall.sqlite3"
    damage(path, kind)
    reference = unsynced_readable(path)

    caplog.set_level(logging.INFO)
    hall = Hall(config_for(tmp_path))
    try:
        assert hall.cache.recovery is not None
        assert hall.cache.recovery.damaged_copy.exists()  # set aside, never deleted
        auth = hall.auth
        with pytest.raises(AuthError):
            auth.login("王建国", "3333")  # the published PIN never works again
        staff = auth.list_staff()
        if kind == "zero":  # nothing of the staff table survives and no backup was ever taken
            assert staff == []
            assert "yizhan staff add" in caplog.text
            assert "staff add" in hall.cache_note
        else:
            assert auth.login("王建国", "987654").name == "王建国"
        # every unsynced entry SQLite could still read is in the new cache
        conn = sqlite3.connect(path)
        kept = conn.execute("SELECT count(*) FROM outbox WHERE done_at IS NULL").fetchone()[0]
        conn.close()
        assert kept >= reference
        # no number twice: the next ticket follows every number residents hold
        queue = hall.queue
        codes = [b.code for b in queue.businesses()][:2]
        after = [number(queue.issue_ticket(c).label) for c in codes]
        held = [number(label) for label in shown]
        for prefix, n in after:
            assert n > max(m for p, m in held if p == prefix)
        # what could not be saved is said: the log, the console's status line, `db check`
        assert "damaged copy kept at" in caplog.text
        assert "数据库已从损坏中恢复" in hall.cache_note
    finally:
        hall.close()
    check = yizhan("db", "check", "--data-dir", str(tmp_path))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "last recovery:" in check.stdout and "damaged copy kept at" in check.stdout


def test_lost_wal_after_kill_is_detected_and_numbering_skips_past_it(tmp_path, caplog):
    Hall(config_for(tmp_path)).close()
    shown = run_hall_and_kill(tmp_path, 30)
    wal = tmp_path / "hall.sqlite3-wal"
    assert wal.exists() and wal.stat().st_size > 0  # the killed hall's newest commits are only here
    wal.unlink()
    check = yizhan("db", "check", "--data-dir", str(tmp_path))
    assert check.returncode == 1 and "WAL is missing" in check.stdout
    hall = Hall(config_for(tmp_path))
    try:
        assert hall.cache.recovery is not None and "WAL" in hall.cache.recovery.reason
        queue = hall.queue
        codes = [b.code for b in queue.businesses()][:2]
        after = {number(queue.issue_ticket(c).label) for c in codes}
        assert not after & {number(label) for label in shown}
        for prefix, n in after:
            assert n > max(m for p, m in map(number, shown) if p == prefix)
    finally:
        hall.close()


def test_a_clean_restart_numbers_on_without_a_gap(tmp_path):
    hall = Hall(config_for(tmp_path))
    queue = hall.queue
    code = queue.businesses()[0].code
    first = queue.issue_ticket(code).label
    hall.close()
    hall = Hall(config_for(tmp_path))
    queue = hall.queue
    second = queue.issue_ticket(code).label
    hall.close()
    assert number(second)[1] == number(first)[1] + 1


def test_sample_staff_only_on_the_very_first_start(tmp_path):
    hall = Hall(config_for(tmp_path))
    assert {s.name for s in AuthService(hall.cache).list_staff()} == {"李文", "陈静", "王建国"}
    hall.close()
    (tmp_path / "hall.sqlite3").unlink()  # the cache is gone altogether
    (tmp_path / "hall.sqlite3-wal").unlink(missing_ok=True)
    hall = Hall(config_for(tmp_path))
    try:
        assert AuthService(hall.cache).list_staff() == []
        assert hall.cache.recovery is not None
    finally:
        hall.close()


def test_backup_restore_and_a_damaged_cache(tmp_path):
    hall = Hall(config_for(tmp_path))
    hall.close()
    made = yizhan("db", "backup", "--data-dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    backup = next((tmp_path / "backups").glob("hall-*.sqlite3"))
    # restore refuses while a hall runs on the cache
    hall = Hall(config_for(tmp_path))
    refused = yizhan("db", "restore", str(backup), "--data-dir", str(tmp_path))
    hall.close()
    assert refused.returncode == 1 and "stop it first" in refused.stderr
    restored = yizhan("db", "restore", str(backup), "--data-dir", str(tmp_path))
    assert restored.returncode == 0, restored.stderr
    assert list(tmp_path.glob("hall.sqlite3.before-restore-*"))
    # a damaged cache: a clear message, no traceback
    os.truncate(tmp_path / "hall.sqlite3", 0)
    bad = yizhan("db", "backup", "--data-dir", str(tmp_path))
    assert bad.returncode == 1 and "damaged" in bad.stderr and "Traceback" not in bad.stderr


def test_a_clean_shutdown_leaves_a_backup_and_backups_rotate(tmp_path):
    config = config_for(tmp_path)
    config.backup.keep = 2
    config.backup.interval_minutes = 0  # only at shutdown
    for _ in range(3):
        hall = Hall(config)
        hall.start_backups()
        hall.close()
    backups = sorted((tmp_path / "backups").glob("hall-*.sqlite3"))
    assert len(backups) == 2  # the newest `keep`
    conn = sqlite3.connect(backups[-1])
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM staff").fetchone()[0] == 3
    conn.close()
