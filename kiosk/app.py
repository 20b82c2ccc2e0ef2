"""Wiring of the Qt hall app: fonts, the Hall services, the windows, screenshots."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from kiosk.config import HallConfig

log = logging.getLogger(__name__)


def run_hall(config: HallConfig, *, offscreen: bool = False, screenshots: Path | None = None) -> int:
    if offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from kiosk.hall import Hall
    from kiosk.ui.fonts import install_ui_font
    from kiosk.ui.resident.window import KioskWindow

    app = QApplication.instance() or QApplication(sys.argv)
    from kiosk.ui.gui_gc import collect_on_gui_thread

    collect_on_gui_thread(app)  # worker threads must never free Qt objects
    install_ui_font(app, config.ui_font())
    hall = Hall(config)
    from kiosk.services.embedded_office import start_sync

    start_sync(hall)  # in the background: the office (embedded if none is configured) and the sync worker
    from kiosk.ui.counter import CounterSide

    # One counter console per window in this process, the ticket printer, the voice call and the
    # hall LAN API for consoles on other PCs; sets hall.queue / hall.printer / hall.voice.
    counters = CounterSide(hall)
    counters.show()
    board_window = start_board(hall)
    # The resident kiosk: locked down (frameless, on top, no escape keys) unless taking screenshots.
    window = KioskWindow(hall, lockdown=screenshots is None)
    app.aboutToQuit.connect(window.shutdown)  # stores the guides' view counts before the cache closes
    window.resize(1920, 1080) if config.kiosk.orientation == "landscape" else window.resize(1080, 1920)
    if config.kiosk.fullscreen and not offscreen and screenshots is None:
        window.showFullScreen()
    else:
        window.show()

    if screenshots is not None:
        from kiosk.ui.screenshots import ShotContext, take_all

        windows = {"kiosk": window, **counters.consoles}
        if board_window is not None:
            windows["board"] = board_window
        ctx = ShotContext(app=app, hall=hall, windows=windows)

        def capture() -> None:
            try:
                take_all(ctx, screenshots, fallback={"main": window})
                app.exit(0)
            except Exception:
                log.exception("taking screenshots failed")
                app.exit(1)

        QTimer.singleShot(100, capture)
    code = app.exec()
    counters.close()
    if hall.board is not None:
        hall.board.close()
    hall.close()
    return code


def start_board(hall):  # type: ignore[no-untyped-def]
    """Drive the LED board from the queue; on the embedded default also show the virtual board.

    Returns the virtual board's window, if there is one."""
    if not hall.config.board.enabled:
        return None
    from kiosk.services.board_feed import HallBoard

    hall.board = HallBoard(hall, hall.queue)
    if hall.board.virtual is None:
        return None
    from display.simulator_window import BoardWidget

    widget = BoardWidget(hall.board.virtual, dot=5 if hall.config.board.width <= 256 else 3)
    widget.setWindowTitle(f"LED 显示屏（虚拟）· {hall.config.hall.name}")
    widget.show()
    return widget
