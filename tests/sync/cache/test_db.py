"""The hall cache: migrations match the models, damage is survived, backups are consistent."""

import sqlite3
import threading
from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from sync.cache.db import backup_database, check_integrity, open_cache
from sync.cache.models import Base, Category, Notice


def test_migrations_and_models_agree(tmp_path):
    cache = open_cache(tmp_path / "c.sqlite3")
    with cache.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    cache.close()
    assert diff == [], f"models and migrations differ; run python -m sync.cache.regen_migration: {diff}"


def test_cache_runs_in_wal_mode_with_full_sync(cache):
    with cache.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_reopening_keeps_data(tmp_path):
    path = tmp_path / "c.sqlite3"
    cache = open_cache(path)
    with cache.transaction() as s:
        s.add(Category(code="labor", name="劳动保障"))
    cache.close()
    cache = open_cache(path)
    assert cache.recovery is None
    with cache.sessions() as s:
        assert s.scalar(select(Category.name)) == "劳动保障"
    cache.close()


def fill(cache, n=300):
    with cache.transaction() as s:
        for i in range(n):
            s.add(Notice(title=f"公示{i}" * 20, body="内容" * 200, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)))


def test_damaged_file_is_moved_aside_and_its_rows_salvaged(tmp_path, caplog):
    path = tmp_path / "c.sqlite3"
    cache = open_cache(path)
    fill(cache)
    cache.close()
    # Write garbage over the middle of the file, as a bad disk or a killed copy would.
    raw = bytearray(path.read_bytes())
    assert len(raw) > 40_000
    raw[8192:40_000] = b"\xde\xad\xbe\xef" * ((40_000 - 8192) // 4)
    path.write_bytes(bytes(raw))
    assert check_integrity(path) is not None

    cache = open_cache(path)
    assert cache.recovery is not None
    assert cache.recovery.damaged_copy.exists()
    assert cache.recovery.damaged_copy.read_bytes() == bytes(raw)  # kept for inspection, untouched
    assert "damaged" in caplog.text and str(cache.recovery.damaged_copy) in caplog.text
    assert cache.recovery.report is not None and cache.recovery.report.salvaged["notice"] == 300
    with cache.sessions() as s:  # a working, migrated cache with every row still readable in the damaged one
        assert s.scalar(select(func.count()).select_from(Notice)) == 300
    assert check_integrity(path) is None
    cache.close()


def test_a_file_that_is_not_a_database_is_moved_aside(tmp_path):
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not an sqlite file at all" * 100)
    cache = open_cache(path)
    assert cache.recovery is not None
    assert cache.is_empty()
    cache.close()


def test_backup_while_the_app_writes_is_consistent(tmp_path):
    path = tmp_path / "c.sqlite3"
    cache = open_cache(path)
    fill(cache, 50)
    stop = threading.Event()
    written = []

    def writer():
        i = 0
        while not stop.is_set():
            with cache.transaction() as s:
                s.add(Notice(title=f"w{i}", body="x" * 500, starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 2)))
            written.append(i)
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        targets = [tmp_path / f"backup{i}.sqlite3" for i in range(3)]
        for target in targets:
            assert backup_database(path, target) > 0
    finally:
        stop.set()
        thread.join()
    assert len(written) > 0
    for target in targets:
        conn = sqlite3.connect(target)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        titles = [r[0] for r in conn.execute("SELECT title FROM notice WHERE title LIKE 'w%'")]
        conn.close()
        # A consistent snapshot: a prefix of the writer's sequence, with no holes.
        numbers = sorted(int(t[1:]) for t in titles)
        assert numbers == list(range(len(numbers)))
    cache.close()


def test_schema_head_constant_matches_the_migrations():
    from alembic.script import ScriptDirectory

    from sync.cache.db import SCHEMA_HEAD, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_HEAD


def test_a_cache_from_an_unknown_release_is_refused_not_guessed(tmp_path):
    """A revision this code does not know (a newer release's file) must stop the start loudly."""
    from alembic.util.exc import CommandError

    from sync.cache.db import current_revision, make_engine, upgrade

    path = tmp_path / "c.sqlite3"
    engine = make_engine(path)
    upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'from-the-future'")
    engine.dispose()
    with pytest.raises(CommandError):
        open_cache(path)
    engine = make_engine(path)
    assert current_revision(engine) == "from-the-future"  # nothing was changed
    engine.dispose()


def test_a_cache_at_the_first_release_upgrades_to_console_sessions_keeping_its_rows(tmp_path):
    """0001 -> 0002 adds the console sessions' table to a hall's existing cache, rows kept."""
    from alembic import command

    from sync.cache.db import SCHEMA_HEAD, alembic_config, current_revision, make_engine
    from sync.cache.models import ConsoleSession

    path = tmp_path / "c.sqlite3"
    engine = make_engine(path)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.exec_driver_sql("INSERT INTO category (uid, version, code, name, name_en, icon, sort_order, updated_at)"
                             " VALUES ('u1', 1, 'labor', '劳动保障', '', '', 1, '2026-12-01 00:00:00.000000')")
    assert current_revision(engine) == "0001"
    engine.dispose()
    cache = open_cache(path)
    try:
        assert current_revision(cache.engine) == SCHEMA_HEAD
        with cache.sessions() as s:
            assert s.scalar(select(Category.name)) == "劳动保障"
            assert s.scalar(select(func.count()).select_from(ConsoleSession)) == 0
    finally:
        cache.close()
