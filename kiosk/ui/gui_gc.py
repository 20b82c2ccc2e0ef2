"""Run Python's cyclic garbage collector on the GUI thread only.

The hall app has worker threads (sync, board link, LAN API server, search index). Left
automatic, a collection starts in whichever thread allocates past the threshold and frees any
cycle, including one that holds a Qt widget's wrapper: Qt objects then get destroyed off the
GUI thread while it paints, and PySide6 crashes at random. This turns automatic collection off
and collects from a timer on the GUI thread instead, with the collector's own thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


def collect_if_due(thresholds: tuple[int, int, int]) -> None:
    """What automatic collection would do now, run on the calling thread: collect the oldest
    generation whose count is past its threshold, if any."""
    counts = gc.get_count()
    for generation in (2, 1, 0):
        if counts[generation] > thresholds[generation]:
            gc.collect(generation)
            return


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject, interval_ms: int = 500):
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> None:
        collect_if_due(self.thresholds)


def collect_on_gui_thread(app: QObject) -> GuiThreadCollector:
    """Call once, right after the QApplication exists."""
    found = app.findChild(GuiThreadCollector)
    return found if found is not None else GuiThreadCollector(app)
