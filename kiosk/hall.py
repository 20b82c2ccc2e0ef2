"""The hall, without Qt: configuration, the local cache and the domain services, wired once.

The Qt app (kiosk/app.py), the command line and the tests all build a `Hall`; widgets only
show its state and call its services.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.config import HallConfig
from kiosk.services.events import EventBus, SyncNumbers
from sync.cache.backups import list_backups
from sync.cache.db import Cache, open_cache
from sync.cache.numbers import started_path, write_durably

log = logging.getLogger(__name__)


class Hall:
    def __init__(self, config: HallConfig, cache: Cache | None = None):
        self.config = config
        self.tz = ZoneInfo(config.hall.timezone)
        self.cache = cache or open_cache(config.cache_path())
        self.events = EventBus()
        # Filled in by the app's wiring when present; screens show their status() if set.
        self.sync = None  # sync.client.SyncWorker
        self.sync_starting = False  # while start_sync connects in the background: no status to show yet
        self.board = None  # display.link.BoardLink
        self.backups = None  # sync.cache.backups.BackupTimer, started by start_backups()
        self._lock = take_hall_lock(self.cache.path)  # `yizhan db restore` refuses while it is held
        if self.cache.recovery:
            log.error(
                "the cache was damaged and rebuilt; the damaged copy is kept at %s",
                self.cache.recovery.damaged_copy,
            )
        first_start = self.is_first_start()
        if self.cache.is_empty():
            self.seed_sample_content(with_staff=first_start)
        if self.cache.recovery is not None:
            self.retire_sample_pins()
        started = started_path(self.cache.path)
        if not started.exists():
            write_durably(started, "this hall has started: the sample staff are never created again\n")
        self.cache_note = self._cache_note()
        # the sync worker notes in the report whether the office's ticket numbers could be asked
        self.events.subscribe(SyncNumbers, lambda _event: setattr(self, "cache_note", self._cache_note()))

    def is_first_start(self) -> bool:
        """Never started before: no start marker, no ticket mark, no backup, no rebuilt cache."""
        path = self.cache.path
        return (self.cache.recovery is None and not started_path(path).exists()
                and not self.cache.numbers.exists() and not list_backups(path))

    def seed_sample_content(self, *, with_staff: bool = True) -> None:
        """A new or rebuilt cache starts with the bundled sample; the office's copy replaces it.

        The sample staff and their published PINs (1111/2222/3333) only on a hall's very first
        start: a hall that has run and lost its accounts gets none (`yizhan staff add` is the way back).
        """
        from kiosk.services.content import ContentError, import_bundle
        from sync.content_files import SAMPLE_DIR, load_bundle

        bundle = load_bundle(SAMPLE_DIR)
        if not with_staff:
            bundle = bundle.model_copy(update={"staff": []})
        try:
            with self.cache.transaction() as session:
                import_bundle(session, bundle)
        except ContentError as exc:  # e.g. a rebuilt cache kept businesses that clash with the sample's
            log.error("the bundled sample content was not loaded: %s", "; ".join(exc.problems[:5]))
            return
        log.info("loaded the bundled sample content from %s", SAMPLE_DIR)

    def retire_sample_pins(self) -> list[str]:
        """After a rebuild, no account may sign in with a published sample PIN (an old backup can
        hold one from before it was changed): such a PIN is replaced by a random one nobody
        knows, until `yizhan staff reset-pin NAME` sets a new one."""
        import secrets

        from sqlalchemy import select

        from kiosk.services.auth import audit, hash_pin, verify_pin
        from sync.cache.models import Staff
        from sync.content_files import SAMPLE_DIR, load_bundle

        published = {s.name: s.pin for s in load_bundle(SAMPLE_DIR).staff}
        retired = []
        with self.cache.transaction() as session:
            for staff in session.scalars(select(Staff).where(Staff.name.in_(list(published)))):
                if verify_pin(published[staff.name], staff.pin_hash):
                    staff.pin_hash = hash_pin(secrets.token_hex(16))
                    audit(session, "system", "staff_sample_pin_retired", staff.name)
                    retired.append(staff.name)
        for name in retired:
            log.error("account %s still had its published sample PIN after the cache was rebuilt; that PIN no "
                      "longer works: set a new one with `yizhan staff reset-pin %s`", name, name)
        return retired

    def _cache_note(self) -> str:
        """A line for the console's status: the cache was rebuilt, and what was lost."""
        from kiosk.services.auth import AuthService

        report = self.cache.recovery_report()
        no_staff = not AuthService(self.cache).list_staff()
        if no_staff and not self.is_first_start():
            log.error("no staff account could be recovered: staff sign-in is disabled until one is "
                      "created with `yizhan staff add NAME --role head`")
        if report is None:
            return ""
        lost = len(report.lines())
        note = "数据库已从损坏中恢复" + (f"，{lost} 项未能恢复" if lost else "") + "（详见 yizhan db check）"
        if no_staff:
            note += "；没有工作人员账户，请运行 yizhan staff add"
        if report.office.startswith("街道办不可达"):
            note += "；街道办暂不可达，号码只按本机记录续排"
        return note

    def start_backups(self) -> None:
        """Automatic backups every [backup] interval (the app calls this; a clean close takes one too)."""
        from sync.cache.backups import BackupTimer

        section = self.config.backup
        self.backups = BackupTimer(self.cache.path, section.interval_minutes * 60, section.keep)
        if section.interval_minutes > 0:  # (0: only the shutdown's backup)
            self.backups.start()

    def close(self) -> None:
        if self.sync is not None:
            self.sync.stop()  # also ends the embedded office server, if one was started
        if self.backups is not None:
            self.backups.stop()
            self.backups.backup_now()  # every clean shutdown leaves a fresh backup
        self.cache.close()
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def take_hall_lock(cache_path: Path) -> int | None:
    """An advisory lock on `<cache>.lock` held while the hall runs (POSIX; None elsewhere or if held)."""
    try:
        import fcntl
    except ImportError:
        return None
    fd = os.open(Path(cache_path).with_name(Path(cache_path).name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        log.warning("another hall app already runs on %s", cache_path)
        return None
    return fd


def hall_lock_busy(cache_path: Path) -> bool:
    fd = take_hall_lock(cache_path) if Path(cache_path).parent.exists() else None
    if fd is None:
        try:
            import fcntl  # noqa: F401
        except ImportError:
            return False
        return Path(cache_path).parent.exists()
    os.close(fd)
    return False
