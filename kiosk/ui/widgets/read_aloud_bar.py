"""读给我听: the control that reads a screen aloud (kiosk.services.read_aloud), with pause and stop.

One reader for the kiosk (one loudspeaker). A bar that started a reading stops it when its
screen is left — going back, home, or the idle return — so nothing goes on reading to an empty
hall. The reader's state is polled on the GUI thread (its worker never touches Qt).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtWidgets import QHBoxLayout, QWidget

from kiosk.services.read_aloud import Reader
from kiosk.ui.widgets.word_wrap import WordWrapButton

_reader: Reader | None = None


def shared_reader() -> Reader:
    global _reader
    if _reader is None:
        _reader = Reader()
    return _reader



class ReadAloudBar(QWidget):
    def __init__(self, screen: QWidget, script: Callable[[], list[str]], *, reader: Reader | None = None,
                 name: str = "read-aloud"):
        super().__init__()
        self.setObjectName(name)
        self.script = script
        self._reader = reader
        self.read_button = WordWrapButton()
        self.read_button.setObjectName(f"{name}-start")
        self.read_button.setProperty("role", "primary")
        self.read_button.clicked.connect(self.start)
        self.pause_button = WordWrapButton()
        self.pause_button.setObjectName(f"{name}-pause")
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button = WordWrapButton()
        self.stop_button.setObjectName(f"{name}-stop")
        self.stop_button.clicked.connect(self.stop)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        row.addWidget(self.read_button, 2)
        row.addWidget(self.pause_button, 1)
        row.addWidget(self.stop_button, 1)
        self._timer = QTimer(self)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.show_state)
        screen.installEventFilter(self)  # leaving the screen (hidden by the stack) stops the reading
        self.show_state()

    @property
    def reader(self) -> Reader:
        if self._reader is None:
            self._reader = shared_reader()
        return self._reader

    def owns_reading(self) -> bool:
        return getattr(self.reader, "owner", None) is self and self.reader.state != "idle"

    def start(self) -> None:
        self.reader.owner = self  # type: ignore[attr-defined]
        self.reader.read(self.script())
        self._timer.start()
        self.show_state()

    def toggle_pause(self) -> None:
        if not self.owns_reading():
            return
        if self.reader.state == "reading":
            self.reader.pause()
        else:
            self.reader.resume()
        self.show_state()

    def stop(self) -> None:
        if self.owns_reading():
            self.reader.stop()
        self.show_state()

    def show_state(self) -> None:
        state = self.reader.state if self.owns_reading() else "idle"
        # Symbols the bundled font has (it has no loudspeaker emoji): ♪ read, ‖ pause, ▶ resume, ■ stop.
        reading = QCoreApplication.translate("Input", "正在朗读……")
        self.read_button.setText("♪ " + (reading if state == "reading" else QCoreApplication.translate("Input", "读给我听")))
        self.pause_button.setText("▶ " + QCoreApplication.translate("Input", "继续") if state == "paused"
                                  else "‖ " + QCoreApplication.translate("Input", "暂停"))
        self.stop_button.setText("■ " + QCoreApplication.translate("Input", "停止"))
        self.pause_button.setEnabled(state != "idle")
        self.stop_button.setEnabled(state != "idle")
        self.read_button.setEnabled(self.reader.available)  # while reading, a tap starts again from the top
        if state == "idle":
            self._timer.stop()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Hide and self._reader is not None:
            self.stop()
        return False
