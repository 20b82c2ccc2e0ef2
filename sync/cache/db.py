"""Opening the hall cache safely: integrity check, quarantine of a damaged file, migrations,
WAL mode and the online backup.

Tickets must survive a power cut once shown or printed, so every connection runs with
`synchronous=FULL` (WAL + FULL fsyncs the log on every commit).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest migration's revision. Checking it with one query lets a normal start skip importing
# Alembic (a third of the kiosk's start-up time); tests check it matches the migrations folder.
SCHEMA_HEAD = "0001"


@dataclass
class CacheRecovery:
    """What happened when a damaged cache file was found on start."""

    damaged_copy: Path
    reason: str


class Cache:
    """An open hall cache: the engine, a session factory and whether it had to be rebuilt."""

    def __init__(self, path: Path, engine: Engine, recovery: CacheRecovery | None = None):
        self.path = path
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.recovery = recovery

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back on any exception."""
        with self.sessions.begin() as session:
            yield session

    def is_empty(self) -> bool:
        from sync.cache.models import Category

        with self.sessions() as session:
            return session.query(Category.id).first() is None

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 10, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)

    # pysqlite's own transaction handling defers BEGIN until the first write, which lets two
    # writers both read the same "next ticket" first; BEGIN IMMEDIATE takes the write lock at once.
    @event.listens_for(engine, "connect")
    def _no_pysqlite_begin(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def check_integrity(path: Path) -> str | None:
    """Return None if the SQLite file is sound, else a short description of the damage."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    problems = [r[0] for r in rows if r[0] != "ok"]
    return "; ".join(problems[:5]) if problems else None


def quarantine(path: Path, reason: str) -> Path:
    """Move a damaged database (and its WAL/SHM files) aside so a fresh one can be built."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    damaged = path.with_name(f"{path.name}.damaged-{stamp}")
    path.rename(damaged)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(damaged.with_name(damaged.name + suffix))
    log.error(
        "cache database %s is damaged (%s); moved it to %s and starting with a fresh cache",
        path, reason, damaged,
    )
    return damaged


def alembic_config():  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every pending migration (idempotent)."""
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def current_revision(engine: Engine) -> str | None:
    """The schema revision stored in the database (None for a new, empty file)."""
    with engine.connect() as conn:
        try:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except exc.OperationalError:  # no such table: nothing migrated yet
            return None


def open_cache(path: Path, *, migrate: bool = True) -> Cache:
    """Open (creating if needed) the cache at `path`, moving a damaged file aside first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    recovery = None
    reason = check_integrity(path)
    if reason is not None:
        recovery = CacheRecovery(quarantine(path, reason), reason)
    engine = make_engine(path)
    try:
        if migrate and current_revision(engine) != SCHEMA_HEAD:
            upgrade(engine)
    except Exception as exc:
        engine.dispose()
        # A file that passes integrity_check can still be unusable (e.g. a stranger's database).
        if recovery is None and inspect_error_is_damage(exc):
            recovery = CacheRecovery(quarantine(path, str(exc)), str(exc))
            engine = make_engine(path)
            upgrade(engine)
        else:
            raise
    return Cache(path, engine, recovery)


def inspect_error_is_damage(exc: Exception) -> bool:
    return isinstance(getattr(exc, "orig", exc), sqlite3.DatabaseError) and "malformed" in str(exc)


def backup_database(source: Path, target: Path) -> int:
    """Consistent copy of a live cache with SQLite's online backup API; returns pages copied.

    Safe while the hall app writes: the backup restarts its copy if a page changes under it.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst, pages=256)
        pages = dst.execute("PRAGMA page_count").fetchone()[0]
        result = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if result != "ok":
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"backup of {source} failed its integrity check: {result}")
    tmp.replace(target)  # only a complete, checked copy takes the target's name
    return int(pages)

