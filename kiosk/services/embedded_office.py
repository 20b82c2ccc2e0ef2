"""The embedded default: with no office configured, the hall runs its own office server.

`EmbeddedOffice` starts `python -m sync.office.embedded DATA_DIR PORT` in its own process on
loopback (SQLite in the hall's data directory, the sample content published to the hall),
so QR links, the ticket status page and sync work on one machine out of the box.
`start_sync(hall)` connects the hall's sync worker to the configured office or to this one.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.errors import HallError
from kiosk.services.events import ContentChanged, ContentConflict, Event, SyncDone, SyncNumbers

if TYPE_CHECKING:
    from kiosk.hall import Hall

log = logging.getLogger(__name__)

OFFICE_LOG_MAX_BYTES = 5 * 2**20  # the embedded office logs only warnings; one old file is kept
DEFAULT_PORT = 8700  # kiosk/services/links.py assumes it; a busy port falls back to a free one


class EmbeddedOfficeError(HallError, RuntimeError):
    pass


class EmbeddedOffice:
    def __init__(self, data_dir: Path, port: int = DEFAULT_PORT):
        self.data_dir = Path(data_dir)
        self.port = port
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.token = ""

    def start(self, timeout_s: float = 60.0) -> tuple[str, str]:
        """Start the server and wait until it listens; returns (url, hall token)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.data_dir / "office.log"
        if log_path.exists() and log_path.stat().st_size > OFFICE_LOG_MAX_BYTES:  # bounded over months
            log_path.replace(log_path.with_name("office.log.1"))
        log_file = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sync.office.embedded", str(self.data_dir), str(self.port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log_file, text=True,
            cwd=str(Path(__file__).resolve().parents[2]),
        )
        log_file.close()
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout_s)
        if not line or not line[0].strip():
            self.stop()
            raise EmbeddedOfficeError(f"the embedded office did not start; see {self.data_dir / 'office.log'}")
        info = json.loads(line[0])
        self.url, self.token = info["url"], info["token"]
        log.info("embedded office server running at %s (pid %d)", self.url, self.process.pid)
        return self.url, self.token

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            self.process.stdin.close()  # the server exits when its stdin closes
            self.process.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None


def start_sync(hall: Hall, *, background: bool = True) -> threading.Thread | None:
    """Give `hall` a running sync worker (hall.sync), starting the embedded office if needed.

    Runs in a background thread by default so the hall's screens never wait for it.
    """

    def work() -> None:
        try:
            _start(hall)
        except Exception:
            log.exception("could not start syncing with the office; the hall works offline")
        finally:
            hall.sync_starting = False

    hall.sync_starting = True

    if not background:
        work()
        return None
    thread = threading.Thread(target=work, name="sync-start", daemon=True)
    thread.start()
    return thread


def _start(hall: Hall) -> None:
    from kiosk.services.content import apply_content
    from sync.client import sync_worker_for

    office = hall.config.office
    embedded = None
    url, token = office.url, office.token
    if not url:
        embedded = EmbeddedOffice(hall.config.data_dir() / "office")
        url, token = embedded.start()
    worker = sync_worker_for(hall.cache, office, url=url, token=token, apply_content=apply_content,
                             publish=hall.events.publish)
    worker.public_url = office.public_url or url
    worker.hall_tz = hall.tz  # the office's ticket numbers of the hall's own today
    worker.hall_state = lambda: hall_state(hall)  # shown on the office console's halls page
    if embedded is not None:
        worker.closers.append(embedded.stop)

    def on_local_change(event: Event) -> None:
        # its own announcements do not wake it; a record published here does (not one from the office)
        if isinstance(event, SyncDone | SyncNumbers | ContentConflict):
            return
        if not isinstance(event, ContentChanged) or event.source != "office":
            worker.wake()

    hall.events.subscribe(Event, on_local_change)
    hall.sync = worker
    worker.start()


def hall_state(hall: Hall) -> Any:
    """The LED board, printer and voice as the counter console's status line shows them, for the
    office (the sync worker adds its outbox counts)."""
    from importlib.metadata import PackageNotFoundError, version

    from kiosk.lan.client import hall_status
    from sync import wire

    st = hall_status(hall, hall.printer)
    try:
        app_version = version("yizhan")
    except PackageNotFoundError:
        app_version = ""
    return wire.HallState(
        app_version=app_version,
        board=wire.DeviceState(ok=st.board_ok, text=st.board_text[:200]),
        printer=wire.DeviceState(ok=not st.printer_alarm, text=st.printer_text[:200]),
        voice=wire.DeviceState(ok=st.voice_ok, text=st.voice_text[:200]) if st.voice_text else None,
        at=datetime.now(UTC),
    )
