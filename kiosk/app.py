"""Wiring of the Qt hall app: fonts, the Hall services, the windows, screenshots.

Start-up order matters to the resident in front of the kiosk: with a start-up snapshot of this
config (kiosk/startup.py) the kiosk's home screen is painted first, from the snapshot, and only
then are the config validated, the cache opened and the services, consoles and board started;
the live catalogue then replaces the snapshot's. Without a snapshot (first start, changed
config, screenshots) everything is loaded before the kiosk is built.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.hall import Hall

log = logging.getLogger(__name__)


def run_hall(args: argparse.Namespace) -> int:
    """`yizhan hall`: args has config, data_dir, offscreen, screenshots and exit_when_ready, and
    `started`, the perf_counter() at the command's start, for the logged start-up times."""
    started = getattr(args, "started", None) or time.perf_counter()
    if args.offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from kiosk.startup import KioskSettings, SnapshotStore, StartupSnapshot

    # Read before PySide6 is imported: PySide's import hook reads the source of every module
    # imported after it, and the snapshot's json, platformdirs and records need not pay that.
    store = SnapshotStore(args.config, args.data_dir)
    early = store.load() if args.screenshots is None else None
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from kiosk.ui.first_paint import after_first_paint
    from kiosk.ui.fonts import install_ui_font
    from kiosk.ui.gui_gc import collect_on_gui_thread
    from kiosk.ui.resident.window import KioskWindow

    app = QApplication.instance() or QApplication(sys.argv)
    collect_on_gui_thread(app)  # worker threads must never free Qt objects
    from kiosk.ui.app_parts import AppParts
    from kiosk.ui.crash_hook import CrashHook

    parts = AppParts()  # everything the app builds below, closed in reverse after the event loop
    # An error nobody caught (a slot, a worker thread): logged, and 暂停服务 rather than a vanished kiosk.
    crash_hook = parts.crash_hook = CrashHook(app, parts, offscreen=args.offscreen).install()
    # A service manager's stop, a shutdown or Ctrl+C: leave as the staff's "关闭程序" does, saving
    # the view counts and the snapshot and stopping every worker (the handler runs with the next
    # Python timer, within half a second).
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: app.exit(0))
    from kiosk.ui.service_watch import feed_watchdog

    parts.watchdog = feed_watchdog(app)  # systemd restarts a frozen GUI: pings only while this thread turns

    def home_painted() -> None:
        log.info("kiosk home on screen %.2f s after start", time.perf_counter() - started)

    if early is not None:
        install_ui_font(app, Path(early.settings.ui_font))
        parts.kiosk = crash_hook.kiosk = KioskWindow(early=early, lockdown=True)
        _show_kiosk(parts.kiosk, early.settings, offscreen=args.offscreen)

    def start() -> None:
        from kiosk.commands.common import hall_config
        from kiosk.hall import Hall

        try:
            config = hall_config(args)
        except SystemExit as exc:  # the config's problems are printed already
            app.exit(int(exc.code or 2))
            return
        crash_hook.config = config
        from kiosk.ui.paused import pause_if_crashing

        if args.screenshots is None and pause_if_crashing(app, parts, config, parts.kiosk, offscreen=args.offscreen):
            if args.exit_when_ready:  # checking an installation: say so now, not in 10 minutes
                QTimer.singleShot(0, lambda: app.exit(75))
            return  # crashed too often lately: 暂停服务 instead of another crash in front of residents
        if args.screenshots is not None:
            config.hall.data_dir = scratch_copy(config)
        if parts.kiosk is None:
            install_ui_font(app, config.ui_font())
        # The hall and its services, in order: the queue, accounts and ratings; then backups (hourly
        # by default, and one at every clean shutdown; none for screenshots), the printer, the
        # voice call, the LAN API for consoles on other PCs, the LED board and, in the background,
        # the office (embedded if none is configured) and the sync worker.
        hall = parts.hall = Hall(config)
        hall.start(backups=args.screenshots is None)
        from kiosk.ui.counter import CounterSide

        # Consoles on the hall PC only for the windows [counter] lists (every one for screenshots).
        counters = parts.counters = CounterSide(
            hall, windows=None if args.screenshots is not None else config.counter.consoles)
        board_window = parts.board_window = board_window_of(hall)
        window = parts.kiosk
        if window is None:
            # The resident kiosk: locked down (frameless, on top, no escape keys) unless taking screenshots.
            window = parts.kiosk = crash_hook.kiosk = KioskWindow(hall, lockdown=args.screenshots is None)
            after_first_paint(window.screens["home"], home_painted)
            _show_kiosk(window, KioskSettings.of(config), offscreen=args.offscreen or args.screenshots is not None)
        else:
            window.attach(hall)
        from kiosk.ui.window_roles import show_beside_kiosk

        show_beside_kiosk(window, board=board_window, consoles=counters.consoles.values(),
                          console_screen=config.counter.screen)

        def save_snapshot() -> None:
            store.save(StartupSnapshot.of(config, window.catalog, datetime.now(hall.tz)))

        app.aboutToQuit.connect(window.shutdown)  # stores the guides' view counts before the cache closes
        if args.screenshots is None:
            save_snapshot()  # for the next start; and again at exit, with the content of the day
            app.aboutToQuit.connect(save_snapshot)
        log.info("hall app ready %.2f s after start", time.perf_counter() - started)
        from kiosk.service_manager import notify

        notify("READY=1")  # systemd (Type=notify): the hall serves
        if args.screenshots is not None:
            take_screenshots(app, hall, window, counters, board_window, args.screenshots)
        elif args.exit_when_ready:
            QTimer.singleShot(0, lambda: app.exit(0))  # quit() would ask the locked-down kiosk to close

    def start_or_exit() -> None:
        try:
            start()
        except Exception as exc:  # in a Qt callback an exception would leave a kiosk that never gets ready
            log.exception("the hall app could not start: %s", exc)
            parts.crash = f"{type(exc).__name__}: {exc}"  # for the 暂停服务 screen if it happens again
            app.exit(1)

    if parts.kiosk is not None:  # the resident sees the home first, then the rest starts
        after_first_paint(parts.kiosk.screens["home"], lambda: (home_painted(), start_or_exit()))
    else:
        QTimer.singleShot(0, start_or_exit)
    code = app.exec()
    parts.close(code)
    log.info("hall app stopped")
    return code


def scratch_copy(config: Any) -> Path:
    """A throw-away data directory holding a copy of the hall's cache: screenshots take tickets
    and edit content to have something to show, and the real queue and cache must not see that."""
    import atexit
    import shutil
    import tempfile

    from sync.cache.db import backup_database

    folder = Path(tempfile.mkdtemp(prefix="yizhan-screenshots-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    if config.cache_path().exists():
        backup_database(config.cache_path(), folder / "hall.sqlite3")
    log.info("screenshots work on a copy of the hall's data in %s", folder)
    return folder


def _show_kiosk(window: Any, settings: Any, *, offscreen: bool) -> None:
    if settings.orientation == "landscape":
        window.resize(1920, 1080)
    else:
        window.resize(1080, 1920)
    if settings.fullscreen and not offscreen:
        window.showFullScreen()
    else:
        window.show()


def take_screenshots(app: Any, hall: Hall, window: Any, counters: Any, board_window: Any, out: Path) -> None:
    from PySide6.QtCore import QTimer

    from kiosk.ui.screenshots import ShotContext, take_all

    windows = {"kiosk": window, **counters.consoles}
    if board_window is not None:
        windows["board"] = board_window
    ctx = ShotContext(app=app, hall=hall, windows=windows)

    def capture() -> None:
        try:
            take_all(ctx, out, fallback={"main": window})
            app.exit(0)
        except Exception:
            log.exception("taking screenshots failed")
            app.exit(1)

    QTimer.singleShot(100, capture)


def board_window_of(hall: Hall) -> Any:
    """The virtual LED board's window, on the embedded default (None with a real board or none);
    shown beside the kiosk by window_roles.show_beside_kiosk."""
    if hall.board is None or hall.board.virtual is None:
        return None
    from display.simulator_window import BoardWidget

    widget = BoardWidget(hall.board.virtual, dot=5 if hall.config.board.width <= 256 else 3)
    widget.setWindowTitle(f"LED 显示屏（虚拟）· {hall.config.hall.name}")
    return widget
