"""Opening the hall cache safely: integrity check, quarantine of a damaged file, migrations,
WAL mode and the online backup.

Tickets must survive a power cut once shown or printed, so every connection runs with
`synchronous=FULL` (WAL + FULL fsyncs the log on every commit).

Checkpoints (copying the WAL back into the database file, two fsyncs and a few hundred page
writes) run on a background thread with its own connection (`Checkpointer`), not inside
whichever counter action happens to cross SQLite's automatic threshold. The writers keep an
automatic checkpoint only as a bound, far above what the background lets the WAL reach.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from sync.cache.numbers import NumberMark, started_path

if TYPE_CHECKING:
    from sync.cache.recovery import RecoveryReport

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest migration's revision. Checking it with one query lets a normal start skip importing
# Alembic (a third of the kiosk's start-up time); tests check it matches the migrations folder.
SCHEMA_HEAD = "0005"

# Writers checkpoint by themselves only past this many WAL frames (4 KB each): the bound on the
# WAL if the background checkpointer falls behind (a burst of back-to-back actions) or is not
# running (command-line tools). SQLite's default, 1000, is reached every ~80 counter actions.
WAL_LIMIT_FRAMES = 4000
SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass
class CacheRecovery:
    """What happened when a damaged cache file was found on start."""

    damaged_copy: Path
    reason: str
    report: RecoveryReport | None = None  # what was salvaged, from which backup, what was lost


class Cache:
    """An open hall cache: the engine, a session factory and whether it had to be rebuilt."""

    def __init__(self, path: Path, engine: Engine, recovery: CacheRecovery | None = None):
        self.path = path
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(engine.execution_options(cache_read_only=True), expire_on_commit=False)
        self.recovery = recovery
        self.numbers = NumberMark(path)  # the ticket high-water mark beside the file
        self.checkpointer = Checkpointer(path)
        # Called after each write (the sync worker: an outbox entry goes out at once). Listeners
        # must be quick and must not write. (An ORM write calls them just before its COMMIT; a
        # reader starts with BEGIN IMMEDIATE, so it still sees the write.)
        self.write_listeners: list[Callable[[], None]] = []
        event.listen(engine, "commit", self._committed)

    def _committed(self, _conn: object) -> None:
        self.wrote()

    def wrote(self) -> None:
        """A write committed outside the ORM (the queue's hot path): the checkpointer counts it."""
        self.checkpointer.wrote()
        for listener in self.write_listeners:
            listener()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back on any exception."""
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session that only reads: a plain (deferred) BEGIN on a WAL snapshot.

        Every other transaction starts with BEGIN IMMEDIATE (see make_engine), reads included,
        so a console refreshing its window would hold up every counter action meanwhile. A
        reader never blocks a writer in WAL mode, nor waits for one. Do not write in it.
        """
        with self._read_sessions() as session:
            yield session

    def is_empty(self) -> bool:
        from sync.cache.models import Category

        with self.reading() as session:
            return session.query(Category.id).first() is None

    def recovery_report(self) -> RecoveryReport | None:
        """The last rebuild's report, kept in the cache until acknowledged (`db check --acknowledge`)."""
        from sync.cache.recovery import REPORT_KEY, RecoveryReport

        with self.engine.connect() as conn:
            text = conn.exec_driver_sql("SELECT value FROM sync_state WHERE key = ?", (REPORT_KEY,)).scalar()
        try:
            return RecoveryReport.from_json(text) if text else None
        except (ValueError, TypeError):
            return None

    def close(self) -> None:
        self.checkpointer.stop()
        if self.numbers.reserved_here:
            try:  # a clean shutdown gives back the numbers reserved but not issued
                with self.engine.connect() as conn:
                    rows = conn.exec_driver_sql("SELECT service_day, prefix, max(number) FROM ticket"
                                                " GROUP BY service_day, prefix").all()
                self.numbers.release({(str(d), p): int(n) for d, p, n in rows})
            except (exc.SQLAlchemyError, OSError) as err:
                log.warning("could not give back the unused ticket numbers (%s); the next start skips them", err)
        self.engine.dispose()


class Checkpointer:
    """Keeps the WAL short from a thread of its own, so no counter action pays for a checkpoint.

    Writers only count their commits here (`wrote`: an integer, no system call). The thread
    starts with the first write, sleeps while nothing is written, and otherwise looks every
    `poll_s`:

    - the hall paused (no commit since the last look) and `idle_writes` commits are in the
      WAL: checkpoint. With no writer running it copies everything, syncs the database file,
      and the next writer starts the WAL from the top again (that writer pays one more fsync,
      for the new WAL header, which is why this waits for some commits, not just one);
    - `busy_writes` commits without a pause: checkpoint anyway. It cannot finish while writers
      keep appending, but copies what is there, so the writers' own checkpoint at
      WAL_LIMIT_FRAMES (the bound on the WAL) finds little left to do.

    A PASSIVE checkpoint never takes the write lock nor waits for one: no counter action ever
    waits for this thread. A checkpoint that fails (the database busy being recovered after a
    crash, say) is tried again later; the writers' own automatic checkpoint bounds the WAL anyway.
    """

    def __init__(self, path: Path, *, poll_s: float = 0.01, idle_writes: int = 64, busy_writes: int = 100):
        self.path = Path(path)
        self.poll_s = poll_s
        self.idle_writes = idle_writes
        self.busy_writes = busy_writes
        self.checkpoints = 0  # how many, and the seconds they took (tests, the benchmark)
        self.seconds = 0.0
        self.failures = 0
        self._writes = 0  # commits seen: only grows (an increment lost to a thread switch is harmless)
        self._done = 0  # _writes when the last checkpoint started
        self._asleep = False
        self._wake = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None
        self._start_lock = threading.Lock()
        self._working = threading.Lock()  # held while the connection is used; a fork waits for it
        _LIVE.add(self)

    def wrote(self) -> None:
        """A write transaction committed (called by the writer, after COMMIT)."""
        self._writes += 1
        if self._thread is None:
            self._start()
        if self._asleep:
            self._wake.set()

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint now: (1 if it could not run, frames in the WAL, frames copied)."""
        with self._working:
            if self._conn is None:
                # (the timeout is for reading the schema; a PASSIVE checkpoint itself never waits)
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=1)
                try:
                    conn.execute("PRAGMA synchronous=FULL")  # fsync the WAL before, the database after
                except BaseException:
                    conn.close()
                    raise
                self._conn = conn
            start = time.perf_counter()
            busy, log_frames, copied = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            self.seconds += time.perf_counter() - start
            self.checkpoints += 1
            return busy, log_frames, copied

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(10)
        self._close()

    def _close(self) -> None:
        with self._working:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._run, name="cache-checkpoint", daemon=True)
                self._thread.start()

    def _sleep_until_written(self, seen: int) -> None:
        self._asleep = True
        if self._writes == seen and not self._stopped:  # checked again: a write may have just come
            self._wake.wait(1.0)
        self._asleep = False
        self._wake.clear()

    def _run(self) -> None:
        try:
            while not self._stopped:
                if self._writes == self._done:
                    self._sleep_until_written(self._done)
                    continue
                seen = self._writes
                self._wake.wait(self.poll_s)  # (stop() cuts it short)
                now = self._writes
                quiet = now == seen
                pending = now - self._done
                if pending >= self.busy_writes or (quiet and pending >= self.idle_writes):
                    self._done = now
                    try:
                        self.checkpoint()
                    except sqlite3.Error as exc:  # e.g. locked: try again with the next writes
                        self.failures += 1
                        log.warning("background checkpoint of %s failed (%s); trying again later", self.path, exc)
                        self._close()
                elif quiet:
                    self._sleep_until_written(now)
        except Exception:  # noqa: BLE001 - a bug: the writers' own automatic checkpoint still bounds the WAL
            log.exception("background checkpoints of %s stopped", self.path)


_LIVE: weakref.WeakSet[Checkpointer] = weakref.WeakSet()
_HELD: list[Checkpointer] = []  # the checkpointers whose lock the forking thread holds


def _before_fork() -> None:
    # A child must not inherit SQLite in the middle of a checkpoint, nor an open connection it
    # must never use or close: wait for the checkpoint, close the connection (reopened on demand).
    for c in list(_LIVE):
        c._working.acquire()
        _HELD.append(c)
        if c._conn is not None:
            c._conn.close()
            c._conn = None


def _after_fork_parent() -> None:
    while _HELD:
        _HELD.pop()._working.release()


def _after_fork_child() -> None:
    while _HELD:
        c = _HELD.pop()
        c._working.release()
        c._thread = None  # the parent's thread does not exist here: the next write starts one
        c._asleep = False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_parent,
                        after_in_child=_after_fork_child)


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute(f"PRAGMA wal_autocheckpoint={WAL_LIMIT_FRAMES}")
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
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("cache_read_only") else "BEGIN IMMEDIATE")

    return engine


def check_integrity(path: Path) -> str | None:
    """Return None if the SQLite file is sound, else a short description of the damage.

    A file that does not exist is not damaged (a new hall); a 0-byte file or one without the
    SQLite header is (SQLite would silently take a 0-byte file for a new, empty database and
    delete the WAL beside it).
    """
    path = Path(path)
    if not path.exists():
        return None
    size = path.stat().st_size
    if size == 0:
        return "the file is empty (0 bytes)"
    with open(path, "rb") as f:
        if f.read(16) != SQLITE_HEADER:
            return "no valid SQLite header (the first page is damaged or this is not a database)"
    # Without a WAL nobody is writing (a writer has one): read the file as it is, creating no WAL
    # (an empty new one would hide that a crashed hall's WAL was lost, see find_damage).
    wal = path.with_name(path.name + "-wal")
    mode = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(f"file:{path}?{mode}", uri=True, timeout=10)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    problems = [r[0] for r in rows if r[0] != "ok"]
    return "; ".join(problems[:5]) if problems else None


def set_aside(path: Path, label: str) -> Path:
    """Rename the database and its WAL/SHM files to `<name>.<label>-<time>` (never deleted)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    kept = path.with_name(f"{path.name}.{label}-{stamp}")
    if path.exists():
        path.rename(kept)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(kept.with_name(kept.name + suffix))
    return kept


def quarantine(path: Path, reason: str) -> Path:
    """Move a damaged database (and its WAL/SHM files) aside so a fresh one can be built."""
    damaged = set_aside(path, "damaged")
    log.error("cache database %s is damaged (%s); moved it to %s, rebuilding from it and the newest backup",
              path, reason, damaged)
    return damaged


def alembic_config():  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every pending migration (idempotent)."""
    from alembic import command

    from sync.schema_guard import refuse_newer_schema

    cfg = alembic_config()
    with engine.begin() as conn:
        refuse_newer_schema(conn, cfg, f"the hall cache {engine.url.database}")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def current_revision(engine: Engine) -> str | None:
    """The schema revision stored in the database (None for a new, empty file)."""
    with engine.connect() as conn:
        try:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except exc.OperationalError:  # no such table: nothing migrated yet
            return None


def find_damage(path: Path) -> str | None:
    """Why the cache at `path` must be rebuilt, or None: damaged pages, 0 bytes, no header, a
    lost WAL (the mark says a hall was running, and its WAL is gone), or a hall that has run
    before (its number mark is there) whose cache file is gone."""
    wal = path.with_name(path.name + "-wal")
    wal_there = wal.exists()
    reason = check_integrity(path)
    if reason is not None:
        return reason
    mark = NumberMark(path)
    if not path.exists():
        if wal.exists() and wal.stat().st_size > 0:
            return "the cache file is missing, its WAL is still there"
        if mark.exists() or started_path(path).exists():
            return "the cache file is missing although this hall has run before"
        return None
    if mark.was_open and not wal_there:
        return "the WAL is missing after the hall stopped without shutting down: its newest commits are lost"
    return None


def open_cache(path: Path, *, migrate: bool = True) -> Cache:
    """Open (creating if needed) the cache at `path`; a damaged one is set aside and rebuilt
    from everything still readable in it and the newest backup (sync/cache/recovery.py)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    recovery = None
    reason = find_damage(path) if migrate else check_integrity(path)
    if reason is not None:
        recovery = _rebuild(path, reason)
    engine = make_engine(path)
    try:
        if migrate and current_revision(engine) != SCHEMA_HEAD:
            upgrade(engine)
    except Exception as exc:
        engine.dispose()
        # A file that passes integrity_check can still be unusable (e.g. a stranger's database).
        if recovery is None and inspect_error_is_damage(exc):
            recovery = _rebuild(path, str(exc))
            engine = make_engine(path)
        else:
            raise
    cache = Cache(path, engine, recovery)
    if recovery is not None and recovery.report is not None:
        _protect_numbers(cache)
    return cache


def _rebuild(path: Path, reason: str) -> CacheRecovery:
    """Set the damaged file aside and build a new cache from it and the newest sound backup."""
    from sync.cache.backups import newest_sound_backup
    from sync.cache.recovery import rebuild

    damaged = quarantine(path, reason)
    engine = make_engine(path)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    backup = newest_sound_backup(path)
    try:
        report = rebuild(path, damaged, reason, backup)
    except Exception:  # noqa: BLE001 - a bug in the salvage must not keep the hall from starting
        log.exception("salvaging %s failed; the hall starts with what the backup %s holds", damaged, backup)
        report = None
    if report is not None:
        log.error("%s", report.summary())
        for line in report.lines():
            log.error("could not be saved: %s", line)
    return CacheRecovery(damaged, reason, report)


def _protect_numbers(cache: Cache) -> None:
    """No number twice: the new cache's numbering starts after every number it knows of."""
    from sync.cache.recovery import REPORT_KEY, highest_numbers, parse_day

    conn = sqlite3.connect(cache.path)
    try:
        known = highest_numbers(conn)
        recent = datetime.now(UTC).date() - timedelta(days=2)  # (numbering restarts each day)
        floors = {}
        for (day, prefix), number in known.items():
            when = parse_day(day)
            if when is not None and when >= recent:
                floors[(when, prefix)] = number
        # Numbers the mark says may have been handed out beyond anything the rebuilt cache knows:
        # those tickets (and their events) are lost, or were never issued; the report says which.
        report = cache.recovery.report if cache.recovery is not None else None
        beyond = []
        for day, prefixes in sorted(cache.numbers.floors().items()):
            for prefix, reserved in sorted(prefixes.items()):
                have = known.get((day, prefix), 0)
                if reserved > have:
                    beyond.append(f"{day} {prefix}{have + 1:03d}–{prefix}{reserved:03d}")
        if report is not None and beyond:
            report.lost["ticket numbers"] = ("may have been issued but are not in the rebuilt cache: "
                                             + ", ".join(beyond[:10]))
            conn.execute("INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)",
                         (REPORT_KEY, report.to_json()))
            conn.commit()
            log.error("could not be saved: ticket numbers %s", report.lost["ticket numbers"])
    finally:
        conn.close()
    if floors:
        cache.numbers.raise_floors(floors)


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

