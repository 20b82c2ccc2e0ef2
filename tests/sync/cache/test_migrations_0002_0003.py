"""The cache and office migrations of issue 18 upgrade a database that holds data: a cache at
0001 gains the proposal and disclosure tables and keeps its content; an office at 0001 gains
the proposal table and keeps its records."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text


def test_cache_0001_with_content_upgrades_to_head(tmp_path):
    from sync.cache.db import SCHEMA_HEAD, alembic_config, current_revision, make_engine, upgrade

    engine = make_engine(tmp_path / "old.sqlite3")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(text("INSERT INTO notice (title, body, starts_on, ends_on, published, uid, version, updated_at) "
                          "VALUES ('停水通知', '明天停水', '2026-11-25', '2026-11-30', 1, "
                          "'00000000-0000-0000-0000-000000000001', 1, '2026-11-25 00:00:00')"))
    assert current_revision(engine) == "0001"
    upgrade(engine)
    assert current_revision(engine) == SCHEMA_HEAD
    tables = set(inspect(engine).get_table_names())
    assert {"proposal", "disclosure"} <= tables
    with engine.connect() as conn:
        assert conn.execute(text("SELECT title FROM notice")).scalar() == "停水通知"
    engine.dispose()


def test_office_0001_with_records_upgrades_to_head(tmp_path):
    from sync.office.db import OfficeDB, alembic_config, make_engine

    url = f"sqlite:///{tmp_path / 'office.sqlite3'}"
    engine = make_engine(url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(text("INSERT INTO content_record (uid, kind, version, data, updated_at, updated_by, to_all) "
                          "VALUES ('00000000-0000-0000-0000-000000000001', 'notice', 3, '{}', "
                          "'2026-11-25 00:00:00', 'office', 1)"))
    engine.dispose()
    db = OfficeDB(url)  # migrates on open
    try:
        with db.sessions() as s:
            assert s.execute(text("SELECT version FROM content_record")).scalar() == 3
            head = ScriptDirectory.from_config(cfg).get_current_head()
            assert s.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
            assert s.execute(text("SELECT count(*) FROM proposal")).scalar() == 0
    finally:
        db.close()
