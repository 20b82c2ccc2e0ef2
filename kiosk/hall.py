"""The hall, without Qt: the one place that builds the hall's services, owns them and stops them.

`Hall(config)` opens the cache and builds the domain services every screen shares (the queue,
the staff accounts, the ratings). `hall.start()` then starts, in this order, what runs beside
them: automatic backups, the ticket printer and the voice call (they hear the queue's events),
the counter client, the LAN API for consoles on other PCs, the LED board and the sync worker.
`hall.close()` stops them in the reverse order and closes the cache last.

The Qt app (kiosk/app.py) builds a Hall after the kiosk's first paint and hands it to the
windows; the tests build one too. Widgets only show its state and call its services; none of
them builds a service of its own.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from kiosk.config import HallConfig
from kiosk.services.events import EventBus, SyncNumbers
from sync.cache.backups import list_backups
from sync.cache.db import Cache, open_cache
from sync.cache.numbers import started_path, write_durably

if TYPE_CHECKING:  # the services' modules load with the hall, after the kiosk's first paint
    from kiosk.lan.api import HallApiServer
    from kiosk.lan.client import LocalCounterClient
    from kiosk.services.auth import AuthService
    from kiosk.services.board_feed import HallBoard
    from kiosk.services.printer import TicketPrinter
    from kiosk.services.queue import QueueService
    from kiosk.services.ratings import RatingService
    from kiosk.services.voice import VoiceCaller
    from sync.cache.backups import BackupTimer
    from sync.client import SyncWorker

log = logging.getLogger(__name__)

SYNC_START_WAIT_S = 60.0  # as long as the embedded office may take to start (embedded_office.py)


class Hall:
    # Started by start() (None until then, or when the config has them off); close() stops them.
    backups: BackupTimer | None
    printer: TicketPrinter | None
    voice: VoiceCaller | None
    counter: LocalCounterClient | None  # the consoles' way to the queue, in this process
    lan: HallApiServer | None
    board: HallBoard | None
    sync: SyncWorker | None

    def __init__(self, config: HallConfig, cache: Cache | None = None):
        self.config = config
        self.tz = ZoneInfo(config.hall.timezone)
        self.cache = cache or open_cache(config.cache_path())
        self.events = EventBus()
        self.backups = self.printer = self.voice = self.counter = self.lan = self.board = self.sync = None
        self.sync_starting = False  # while start_sync connects in the background: no status to show yet
        self._printer_watch: threading.Event | None = None
        self._sync_start: threading.Thread | None = None  # start_sync's, while it connects
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
        from kiosk.services.auth import AuthService
        from kiosk.services.queue import QueueService
        from kiosk.services.ratings import RatingService

        # The domain services every screen, console and the LAN API share: one of each.
        self.queue: QueueService = QueueService(self.cache, self.events, tz=self.tz, config=config)
        self.auth: AuthService = AuthService.for_hall(self)
        self.ratings: RatingService = RatingService(self.cache, events=self.events)

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

    def start(self, *, backups: bool = True, lan: bool = True, board: bool = True, sync: bool = True) -> None:
        """Start what runs beside the cache, in order (close() stops it in reverse). The flags
        leave parts out (screenshots take no backups; tests start only what they look at)."""
        if backups:
            self.start_backups()
        self._start_printer()
        from kiosk.lan.client import LocalCounterClient
        from kiosk.services.voice import VoiceCaller

        self.voice = VoiceCaller(self.config)
        self.voice.attach(self.events)
        self.counter = LocalCounterClient(self.queue, self.auth, self.printer, self)
        if lan:
            self._start_lan()
        if board and self.config.board.enabled:
            from kiosk.services.board_feed import HallBoard

            self.board = HallBoard(self)
        if sync:
            from kiosk.services.embedded_office import start_sync

            # in the background: the office (embedded if none is configured), then the worker
            self._sync_start = start_sync(self)

    def start_backups(self) -> None:
        """Automatic backups every [backup] interval (a clean close takes one too)."""
        from sync.cache.backups import BackupTimer

        section = self.config.backup
        self.backups = BackupTimer(self.cache.path, section.interval_minutes * 60, section.keep)
        if section.interval_minutes > 0:  # (0: only the shutdown's backup)
            self.backups.start()

    def _start_printer(self) -> None:
        """The ticket printer per [printer]; paper low or out and a cover left open show on the
        consoles even between tickets, so a real printer's status is asked every 30 s."""
        if self.config.printer.connection == "none":
            return
        from kiosk.services.links import hall_public_url, ticket_url
        from kiosk.services.printer import TicketPrinter

        self.printer = TicketPrinter(self.config, events=self.events, tz=self.tz,
                                     url_for=lambda uid: ticket_url(hall_public_url(self), uid))
        if self.config.printer.connection in ("serial", "usb", "network"):
            self._printer_watch = threading.Event()
            threading.Thread(target=_watch_printer, args=(self.printer, self._printer_watch),
                             name="printer-status", daemon=True).start()

    def _start_lan(self) -> None:
        """The hall LAN API per [lan], for consoles and rating pads on other PCs. The hall runs
        without it if its port is taken (logged)."""
        from kiosk.lan.api import start_hall_api

        try:
            self.lan = start_hall_api(self, self.counter)
        except Exception:
            log.exception("the hall LAN API could not start; consoles on other PCs cannot connect")

    def close(self) -> None:
        """Stop what start() started, in reverse, then take the shutdown backup and close the cache."""
        if self._sync_start is not None:
            # A close right after the start (an installation check, a quick restart) lets the
            # sync start finish first: an embedded office or worker started after this point
            # would outlive the hall.
            self._sync_start.join(SYNC_START_WAIT_S)
        if self.sync is not None:
            self.sync.stop()  # also ends the embedded office server, if one was started
        if self.board is not None:
            self.board.close()
        if self.lan is not None:
            self.lan.stop()
        if self.voice is not None:
            self.voice.close()
        if self._printer_watch is not None:
            self._printer_watch.set()
        if self.backups is not None:
            self.backups.stop()
            self.backups.backup_now()  # every clean shutdown leaves a fresh backup
        self.cache.close()
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def _watch_printer(printer: TicketPrinter, stop: threading.Event, every_s: float = 30.0) -> None:
    while not stop.is_set():
        try:
            printer.refresh_status()
        except Exception:
            log.exception("printer status query failed")
        stop.wait(every_s)


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
