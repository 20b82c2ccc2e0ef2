"""The counter side of the hall app: the queue's consoles (one per window, in-process), the
ticket printer, the voice call and the hall LAN API for consoles on other PCs. See console.py."""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)


class CounterSide:
    """Built once by kiosk/app.py after the Hall; `close()` on exit.

    Sets `hall.queue`, `hall.printer` and `hall.voice` so the kiosk (print after issuing) and
    the board feed use the same services.
    """

    def __init__(self, hall: Any, *, queue: Any = None, consoles: bool = True, lan: bool = True,
                 windows: list[int] | None = None):
        """`windows`: the window numbers that get a console here (None: every window)."""
        from kiosk.lan.api import start_hall_api
        from kiosk.lan.client import LocalCounterClient
        from kiosk.services.auth import AuthService
        from kiosk.services.links import hall_public_url, ticket_url
        from kiosk.services.printer import TicketPrinter
        from kiosk.services.queue import QueueService
        from kiosk.services.voice import VoiceCaller

        config = hall.config
        self.hall = hall
        self.queue = queue or getattr(hall, "queue", None) or QueueService(
            hall.cache, hall.events, tz=hall.tz, config=config)
        self.auth = AuthService.for_hall(hall)
        self.printer = None
        if config.printer.connection != "none":
            self.printer = TicketPrinter(config, events=hall.events, tz=hall.tz,
                                         url_for=lambda uid: ticket_url(hall_public_url(hall), uid))
        self._stop = threading.Event()
        if self.printer is not None and config.printer.connection in ("serial", "usb", "network"):
            # paper low / out and cover open show on the consoles even between tickets
            threading.Thread(target=self._watch_printer, name="printer-status", daemon=True).start()
        self.voice = VoiceCaller(config)
        self.voice.attach(hall.events)
        hall.queue, hall.printer, hall.voice = self.queue, self.printer, self.voice
        self.client = LocalCounterClient(self.queue, self.auth, self.printer, hall)
        self.api = None
        if lan:
            try:
                self.api = start_hall_api(hall, self.client)
            except Exception:  # the hall itself must run even if the port is taken
                log.exception("the hall LAN API could not start; consoles on other PCs cannot connect")
        self.consoles: dict[str, Any] = {}
        if consoles:
            from kiosk.ui.counter.console import CounterConsole

            for w in self.queue.windows():
                if windows is not None and w.number not in windows:
                    continue
                console = CounterConsole(self.client, w.number, tz=hall.tz)
                console.resize(1280, 800)
                self.consoles[f"counter-{w.number}"] = console

    def _watch_printer(self, every_s: float = 30.0) -> None:
        while not self._stop.is_set():
            try:
                self.printer.refresh_status()
            except Exception:
                log.exception("printer status query failed")
            self._stop.wait(every_s)

    def show(self) -> None:
        for console in self.consoles.values():
            console.show()

    def close(self) -> None:
        self._stop.set()
        for console in self.consoles.values():
            console.timer.stop()
            console.close()
        if self.api is not None:
            self.api.stop()
        self.voice.close()
