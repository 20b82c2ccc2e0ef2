"""The handwriting pad (手写板): a resident writes one character with a finger; each finished
stroke is handed on (`stroke_done`) for recognition. A 米字格 guide helps to write in the middle."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QApplication, QSizePolicy, QWidget

from kiosk.ui.theme import NORMAL, Theme

Stroke = list[tuple[float, float]]


class HandwritingPad(QWidget):
    stroke_done = Signal()  # a stroke was finished (or undone, or the pad cleared)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.strokes: list[Stroke] = []
        self._current: Stroke | None = None
        self.theme: Theme = NORMAL
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, False)  # touch arrives as mouse
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 240)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.update()

    # -- strokes -------------------------------------------------------------------------------

    def undo(self) -> None:
        if self.strokes:
            self.strokes.pop()
            self.update()
            self.stroke_done.emit()

    def clear(self) -> None:
        had = bool(self.strokes)
        self.strokes = []
        self._current = None
        self.update()
        if had:
            self.stroke_done.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        p = event.position()
        self._current = [(p.x(), p.y())]
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._current is not None:
            p = event.position()
            self._current.append((p.x(), p.y()))
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._current is None:
            return
        p = event.position()
        if (p.x(), p.y()) != self._current[-1]:
            self._current.append((p.x(), p.y()))
        self.strokes.append(self._current)
        self._current = None
        self.update()
        self.stroke_done.emit()

    def square_strokes(self) -> tuple[list[Stroke], float, float]:
        """The strokes in a square box around the pad (and the box's size): the recognizer
        scales x and y by the box, so a wide pad must not squash the character."""
        w, h = self.width(), self.height()
        side = max(w, h)
        dx, dy = (side - w) / 2, (side - h) / 2
        return [[(x + dx, y + dy) for x, y in s] for s in self.strokes], side, side

    def write(self, strokes: list[Stroke], box: float = 300) -> None:
        """Write strokes given in a `box`-sized square as a finger would (press, move, lift),
        square and as large as the pad allows, in its middle (tests, benchmark, screenshots)."""
        scale = min(self.width(), self.height()) / box
        ox, oy = (self.width() - box * scale) / 2, (self.height() - box * scale) / 2
        left, press = Qt.MouseButton.LeftButton, QMouseEvent.Type.MouseButtonPress
        for stroke in strokes:
            points = [QPointF(ox + x * scale, oy + y * scale) for x, y in stroke]
            for kind, point in [(press, points[0]), *((QMouseEvent.Type.MouseMove, p) for p in points[1:]),
                                (QMouseEvent.Type.MouseButtonRelease, points[-1])]:
                held = Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseButtonRelease else left
                QApplication.sendEvent(self, QMouseEvent(kind, point, self.mapToGlobal(point), left, held,
                                                         Qt.KeyboardModifier.NoModifier))

    # -- painting ------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        t = self.theme
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        painter.fillRect(self.rect(), QColor(t.surface))
        guide = QPen(QColor(t.border), 2, Qt.PenStyle.DashLine)
        painter.setPen(guide)
        painter.drawLine(QPointF(w / 2, 0), QPointF(w / 2, h))
        painter.drawLine(QPointF(0, h / 2), QPointF(w, h / 2))
        painter.drawLine(QPointF(0, 0), QPointF(w, h))
        painter.drawLine(QPointF(w, 0), QPointF(0, h))
        painter.setPen(QPen(QColor(t.primary), t.border_px + 1))
        painter.drawRoundedRect(1, 1, w - 2, h - 2, 14, 14)
        ink = QPen(QColor(t.text), max(8, min(w, h) // 40), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
        painter.setPen(ink)
        for stroke in [*self.strokes, *([self._current] if self._current else [])]:
            path = QPainterPath(QPointF(*stroke[0]))
            for x, y in stroke[1:]:
                path.lineTo(x, y)
            if len(stroke) == 1:
                painter.drawPoint(QPointF(*stroke[0]))
            else:
                painter.drawPath(path)
        painter.end()
