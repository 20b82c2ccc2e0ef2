"""The hidden staff gesture: 5 taps on the hall name within 3 s open the staff PIN overlay."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

TAPS = 5
WITHIN_S = 3.0


class TapGesture(QObject):
    """Counts taps; fires when TAPS of them fall within WITHIN_S seconds."""

    triggered = Signal()

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.clock = clock
        self.taps: list[float] = []

    def tap(self) -> None:
        now = self.clock()
        self.taps = [t for t in self.taps if now - t <= WITHIN_S] + [now]
        if len(self.taps) >= TAPS:
            self.taps = []
            self.triggered.emit()
