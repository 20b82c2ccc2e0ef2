"""Run Python's cyclic garbage collector on the GUI thread only.

The hall app has worker threads (sync, board link, search index). Left automatic, a
collection can start in any of them and free a cycle that holds a Qt widget's wrapper, so
Qt objects get destroyed off the GUI thread while it paints: PySide6 then crashes at random.
This turns automatic collection off and collects from a timer on the GUI thread instead,
with the collector's own thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject, interval_ms: int = 500):
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> None:
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self.thresholds[generation]:
                gc.collect(generation)
                return


def collect_on_gui_thread(app: QObject) -> GuiThreadCollector:
    """Call once, right after the QApplication exists."""
    return GuiThreadCollector(app)
