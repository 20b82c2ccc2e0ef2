"""Big touch targets: area tiles with a character badge, and list rows with rich-text titles.

Text sizes and colours come from the kiosk style sheet through each label's `role` property
(kiosk/ui/theme.py), so a screen full of tiles costs no per-widget style sheets.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QPushButton, QSizePolicy, QVBoxLayout, QWidget


def clear_layout(layout: QLayout) -> None:
    """Remove and delete every widget and sub-layout (screens rebuild their content).

    Widgets stay owned by Qt until deleteLater runs: `setParent(None)` first would hand them
    to Python, and a Python reference still held somewhere (a list, a lambda) would then
    delete them a second time and crash the process."""
    while layout.count():
        item = layout.takeAt(0)
        widget, inner = item.widget(), item.layout()
        if widget is not None:
            widget.hide()
            widget.setObjectName("")  # on its way out: no longer found by name
            widget.deleteLater()
        elif inner is not None:
            clear_layout(inner)
            # takeAt handed the empty layout to Python: delete it now, through shiboken, so
            # neither Qt nor Python frees it a second time later.
            shiboken6.delete(inner)


def _passive(label: QLabel, role: str) -> QLabel:
    label.setProperty("role", role)
    label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    return label


class Badge(QWidget):
    """A coloured circle with a character or a number: an icon that needs no image files."""

    def __init__(self, text: str, colour: str, side: int, on_colour: str = "#ffffff",
                 parent: QWidget | None = None, *, text_ratio: float = 0.5):
        super().__init__(parent)
        self.text = text if text.isdigit() else text[:1]
        self.colour, self.on_colour = QColor(colour), QColor(on_colour)
        self.text_ratio = text_ratio
        self.setFixedSize(side, side)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def sizeHint(self) -> QSize:
        return self.size()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.colour)
        painter.drawEllipse(QRectF(self.rect()))
        font = QFont(self.font())
        font.setPixelSize(max(8, int(self.height() * self.text_ratio)))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(self.on_colour)
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.text)
        painter.end()


class Tile(QPushButton):
    """A large button: a badge, a title and a line under it."""

    def __init__(self, title: str, subtitle: str = "", badge: QWidget | None = None,
                 parent: QWidget | None = None, *, role: str = "tile", small: bool = False):
        super().__init__(parent)
        self.setProperty("role", role)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        row = QHBoxLayout(self)
        row.setContentsMargins(24, 14, 24, 14)
        row.setSpacing(22)
        if badge is not None:
            row.addWidget(badge, 0, Qt.AlignmentFlag.AlignVCenter)
        col = QVBoxLayout()
        col.setSpacing(4)
        self.title_label = _passive(QLabel(title), "tile-title-small" if small else "tile-title")
        self.title_label.setWordWrap(True)
        self.sub_label = _passive(QLabel(subtitle), "tile-sub")
        self.sub_label.setWordWrap(True)
        self.sub_label.setVisible(bool(subtitle))
        col.addStretch(1)
        col.addWidget(self.title_label)
        col.addWidget(self.sub_label)
        col.addStretch(1)
        row.addLayout(col, 1)
        self.setAccessibleName(title)


class Row(QPushButton):
    """A list row: a rich-text title (search highlights), a muted line and a right-hand note.
    With rich=False both are plain text: no escaping, and the home screen paints sooner (the
    first rich-text label costs PySide6 some 40 ms of one-time set-up)."""

    def __init__(self, title_html: str, detail_html: str = "", note: str = "", parent: QWidget | None = None,
                 *, small: bool = False, plain_title: str = "", rich: bool = True):
        super().__init__(parent)
        self.setProperty("role", "row")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        row = QHBoxLayout(self)
        row.setContentsMargins(22, 10, 22, 10)
        col = QVBoxLayout()
        col.setSpacing(2)
        suffix = "-small" if small else ""
        self.title_label = _passive(QLabel(title_html), "row-title" + suffix)
        text_format = Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText
        self.title_label.setTextFormat(text_format)
        self.title_label.setWordWrap(True)
        col.addWidget(self.title_label)
        self.detail_label = _passive(QLabel(detail_html), "row-detail" + suffix)
        self.detail_label.setTextFormat(text_format)
        self.detail_label.setWordWrap(True)
        self.detail_label.setVisible(bool(detail_html))
        col.addWidget(self.detail_label)
        row.addLayout(col, 1)
        self.note_label = _passive(QLabel(note), "row-detail" + suffix)
        self.note_label.setVisible(bool(note))
        row.addWidget(self.note_label, 0, Qt.AlignmentFlag.AlignVCenter)
        self.setAccessibleName(plain_title)

    def set_content(self, title_html: str, detail_html: str = "", note: str = "", plain_title: str = "") -> None:
        """Reuse the row for other text (search results change on every key)."""
        self.title_label.setText(title_html)
        self.detail_label.setText(detail_html)
        self.detail_label.setVisible(bool(detail_html))
        self.note_label.setText(note)
        self.note_label.setVisible(bool(note))
        self.setAccessibleName(plain_title)
        self._fit()

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        # A QPushButton does not grow with its child layout by itself: follow the wrapped text.
        layout = self.layout()
        if layout is not None and layout.hasHeightForWidth() and self.width() > 0:
            needed = max(self.minimumSizeHint().height(), layout.totalHeightForWidth(self.width()))
            if needed != self.minimumHeight():
                self.setMinimumHeight(needed)
