"""After a package upgrade (postinst runs `python -m kiosk.upgrade`): a backup first, then the
migration; a database newer than this version is refused and left as it was."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from sync.cache.db import SCHEMA_HEAD, open_cache

REPO = Path(__file__).resolve().parents[2]


def configs(tmp_path: Path) -> tuple[Path, Path]:
    hall = tmp_path / "hall.toml"
    hall.write_text(f'[hall]\ndata_dir = "{tmp_path / "hall"}"\n', encoding="utf-8")
    office = tmp_path / "office.toml"
    office.write_text(f'[database]\ndata_dir = "{tmp_path / "office"}"\n', encoding="utf-8")
    return hall, office


def upgrade(hall: Path, office: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.upgrade", "--from", "0.0.9", "--hall-config", str(hall),
                           "--office-config", str(office)], cwd=REPO, capture_output=True, text=True, timeout=120)


def set_revision(path: Path, revision: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    conn.commit()
    conn.close()


def revision(path: Path) -> str | None:
    conn = sqlite3.connect(path)
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    conn.close()
    return row[0]


def test_an_older_cache_is_backed_up_then_migrated(tmp_path):
    hall, office = configs(tmp_path)
    cache_path = tmp_path / "hall" / "hall.sqlite3"
    # A cache older than every migration this version has (Alembic has them all to do), holding
    # data the migrations do not touch.
    cache_path.parent.mkdir()
    conn = sqlite3.connect(cache_path)
    conn.execute("CREATE TABLE keep_me (x TEXT)")
    conn.execute("INSERT INTO keep_me VALUES ('a resident''s ticket')")
    conn.commit()
    conn.close()

    done = upgrade(hall, office)
    assert done.returncode == 0, done.stderr
    assert f"schema None -> {SCHEMA_HEAD}" in done.stdout
    backups = list((tmp_path / "hall" / "backups").glob("hall-*-before-0.0.9.sqlite3"))
    assert len(backups) == 1  # the copy is of the old cache
    conn = sqlite3.connect(backups[0])
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("keep_me",)]
    conn.close()
    assert revision(cache_path) == SCHEMA_HEAD
    conn = sqlite3.connect(cache_path)
    assert conn.execute("SELECT x FROM keep_me").fetchall() == [("a resident's ticket",)]
    conn.close()
    assert "office database" in done.stdout and "none" in done.stdout  # no office server on this PC

    again = upgrade(hall, office)
    assert again.returncode == 0 and "nothing to migrate" in again.stdout


def test_a_newer_schema_is_refused_and_left_untouched(tmp_path):
    hall, office = configs(tmp_path)
    cache_path = tmp_path / "hall" / "hall.sqlite3"
    open_cache(cache_path).close()
    set_revision(cache_path, "0099_from_the_future")
    before = cache_path.read_bytes()

    done = upgrade(hall, office)
    assert done.returncode == 1
    assert "newer than this version of Yizhan knows" in done.stderr and "0099_from_the_future" in done.stderr
    assert "yizhan db restore" in done.stderr
    assert cache_path.read_bytes() == before
    assert not cache_path.with_name("hall.sqlite3.damaged").exists()


def test_the_office_database_is_migrated_after_a_backup_and_refuses_a_newer_schema(tmp_path):
    from sync.office.db import OfficeDB
    from sync.schema_guard import SchemaTooNew

    hall, office = configs(tmp_path)
    path = tmp_path / "office" / "office.sqlite3"
    path.parent.mkdir()
    OfficeDB(f"sqlite:///{path}").close()
    done = upgrade(hall, office)
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "office" / "backups").glob("office-*-before-0.0.9.sqlite3"))) == 1

    set_revision(path, "0042_newer")
    try:
        OfficeDB(f"sqlite:///{path}")
    except SchemaTooNew as exc:
        assert "the office database has schema revision 0042_newer" in str(exc)
    else:
        raise AssertionError("a newer office schema was opened")
    assert upgrade(hall, office).returncode == 1


def test_db_upgrade_says_why_it_refuses_a_newer_schema(tmp_path):
    cache_path = tmp_path / "hall.sqlite3"
    open_cache(cache_path).close()
    set_revision(cache_path, "0099_from_the_future")
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "db", "upgrade", "--data-dir", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.startswith("错误 error: 数据库版本比本程序新，拒绝降级")
    assert "Traceback" not in done.stderr
