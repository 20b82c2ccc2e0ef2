"""Opening the office database: engine per backend, migrations on start, transaction ids.

SQLite (the default and the embedded office) runs in WAL mode with BEGIN IMMEDIATE, so
writers queue up instead of failing; pages that only read (the console, statistics, token
checks) use `OfficeDB.reading()`, a plain BEGIN on a WAL snapshot that neither waits for the
writers nor holds them up. PostgreSQL may be shared by several server processes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from sync.office.live_figures import LiveFigures
from sync.office.wakeups import Wakeups
from sync.schema_guard import refuse_newer_schema

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str, *, schema: str | None = None, pool_size: int = 10, reader: bool = False) -> Engine:
    """An engine for `url`; `schema` puts every table in that PostgreSQL schema (tests).
    `reader` (SQLite): transactions begin deferred, for sessions that never write."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "begin")
        def _begin(conn) -> None:  # type: ignore[no-untyped-def]
            # Writers take the write lock at once: feed ids are then assigned in commit order.
            # A reader's plain BEGIN is one consistent snapshot for all its statements.
            conn.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")

        return engine
    if parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg"))
    connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
    # No pre-ping (a round trip per request); connections are recycled hourly instead, and a
    # request that meets a dead connection fails with 5xx once and the hall retries.
    engine = create_engine(url, connect_args=connect_args, pool_size=pool_size, max_overflow=20,
                           pool_recycle=3600)
    event.listen(engine, "connect", _mark_office_connection)
    return engine


# pg_advisory_lock_shared(OFFICE_LOCK, hashtext(current_setting('search_path'))): held by every connection of
# this office database for its whole life (see store.HORIZON).
OFFICE_LOCK = 1499102797


def _mark_office_connection(dbapi_conn, _record: object) -> None:  # type: ignore[no-untyped-def]
    """Say "this connection may write this office's feed", before it ever writes anything: a
    session-level lock, shared, never waited for. A feed reader then need not wait for the
    write transactions of the cluster's other databases (tests, other offices) to end."""
    with dbapi_conn.cursor() as cur:
        cur.execute(f"SELECT pg_advisory_lock_shared({OFFICE_LOCK}, hashtext(current_setting('search_path')))")
    dbapi_conn.commit()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent; safe to run on every start)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Several server processes may start at once: one migrates, the others wait.
            conn.execute(text("SELECT pg_advisory_xact_lock(72170607)"))
        refuse_newer_schema(conn, cfg, "the office database")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def is_postgres(session_or_engine: Session | Engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


def current_txid(session: Session) -> int:
    """This transaction's id (PostgreSQL), or 0 on SQLite where commit order = id order."""
    if not is_postgres(session):
        return 0
    return int(session.execute(text("SELECT pg_current_xact_id()::text::bigint")).scalar_one())


def visible_below(session: Session) -> int | None:
    """Every transaction with a smaller id has finished: rows below it can no longer appear.

    None on SQLite (no limit needed).
    """
    if not is_postgres(session):
        return None
    return int(session.execute(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")).scalar_one())


class OfficeDB:
    """An open office database: engine + session factory."""

    def __init__(self, url: str, *, schema: str | None = None, migrate: bool = True, pool_size: int = 10):
        self.url = url
        self.engine = make_engine(url, schema=schema, pool_size=pool_size)
        if migrate:
            upgrade(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Commits that change a hall's feed wake its waiting pull, in every server process.
        self.wakeups = Wakeups(url, schema=schema)
        self.wakeups.attach(self.sessions)
        # Today's statistics per hall, read again only for the halls whose tickets changed.
        self.live_figures = LiveFigures()
        self.live_figures.attach(self.sessions, self.wakeups)
        # Reads: on SQLite their own engine, whose transactions do not take the write lock, with
        # the same session info (where reads find the live figures' cache); on PostgreSQL reads
        # never wait for writers anyway.
        self._read_engine = None
        self.reading = self.sessions
        if self.engine.dialect.name == "sqlite":
            self._read_engine = make_engine(url, pool_size=pool_size, reader=True)
            self.reading = sessionmaker(self._read_engine, expire_on_commit=False, info=self.sessions.kw["info"])

    def close(self) -> None:
        if self._read_engine is not None:
            self._read_engine.dispose()
        self.engine.dispose()
