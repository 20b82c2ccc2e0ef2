"""Back to home when nobody touches the kiosk, with a countdown in the last seconds."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

ACTIVITY = {QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.TouchBegin,
            QEvent.Type.TouchUpdate, QEvent.Type.KeyPress, QEvent.Type.Wheel}
WARN_SECONDS = 10


class IdleWatcher(QObject):
    countdown = Signal(int)  # seconds left, while warning; -1 when the warning ends
    expired = Signal()

    def __init__(self, window: QWidget, seconds: float, *, busy: Callable[[], bool],
                 warn_seconds: float = WARN_SECONDS):
        """`busy()` says whether there is anything to reset (not on a clean home screen)."""
        super().__init__(window)
        self.window = window
        self.seconds = float(seconds)
        self.warn_seconds = float(min(warn_seconds, self.seconds / 2))
        self.busy = busy
        self.since = QElapsedTimer()
        self.since.start()
        self.warning = False
        self.any_window = False  # True: a touch in any window of the app counts (staff in the editor)
        self.timer = QTimer(self)
        self.timer.setInterval(250)
        self.timer.timeout.connect(self.check)

    def start(self) -> None:
        self.since.restart()
        self.timer.start()
        QApplication.instance().installEventFilter(self)

    def set_seconds(self, seconds: float, warn_seconds: float = WARN_SECONDS) -> None:
        self.seconds = float(seconds)
        self.warn_seconds = float(min(warn_seconds, self.seconds / 2))
        self.poke()

    def remaining(self) -> float:
        return self.seconds - self.since.elapsed() / 1000

    def poke(self) -> None:
        self.since.restart()
        if self.warning:
            self.warning = False
            self.countdown.emit(-1)

    def check(self) -> None:
        if not self.busy():
            self.since.restart()
            if self.warning:
                self.warning = False
                self.countdown.emit(-1)
            return
        left = self.remaining()
        if left <= 0:
            self.warning = False
            self.countdown.emit(-1)
            self.since.restart()
            self.expired.emit()
        elif left <= self.warn_seconds:
            self.warning = True
            self.countdown.emit(math.ceil(left))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY and isinstance(obj, QWidget) and (self.any_window or obj.window() is self.window):
            self.poke()
        return False

    def stop(self) -> None:
        self.timer.stop()
        QApplication.instance().removeEventFilter(self)
