"""The systemd watchdog's ping, sent from the GUI thread (see kiosk/service_manager.py)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from kiosk.service_manager import notify, watchdog_interval_s


def feed_watchdog(app: QObject) -> QTimer | None:
    """Ping systemd's watchdog from `app`'s (the GUI) thread while its event loop turns."""
    interval = watchdog_interval_s()
    if interval is None:
        return None
    timer = QTimer(app)
    timer.setInterval(max(100, int(interval * 1000)))
    timer.timeout.connect(lambda: notify("WATCHDOG=1"))
    timer.start()
    notify("WATCHDOG=1")
    return timer
