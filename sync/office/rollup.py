"""The statistics' daily roll-up, made in the background while the office serves.

A thread per server process rolls up the finished days that are not (store.roll_up_finished):
once when the server starts (a new office's month of tickets), then every `every_s` seconds (a
day that just finished, or one whose roll-up a late ticket dropped). Requests never roll up:
a day without its roll-up is counted from the tickets, with the same numbers, only slower.
Several processes may roll at once; a day is rolled up by the first, the others skip it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sync.office import store

log = logging.getLogger(__name__)

ROLL_UP_EVERY_S = 60.0


class Roller:
    def __init__(self, sessions: Any, every_s: float = ROLL_UP_EVERY_S):
        self.sessions = sessions
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="yizhan-roll-up", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                # A day at a time, checking between days that the server is not stopping.
                while not self._stop.is_set() and store.roll_up_finished(self.sessions, max_days=1):
                    pass
            except Exception:  # a database gone for a moment: try again next time
                log.exception("statistics roll-up failed; trying again in %.0f s", self.every_s)
            self._stop.wait(self.every_s)
