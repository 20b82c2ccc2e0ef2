"""Big touch targets: area tiles with a character badge, and list rows with rich-text titles."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QPushButton, QSizePolicy, QVBoxLayout, QWidget


def clear_layout(layout: QLayout) -> None:
    """Remove and delete every widget and sub-layout (screens rebuild their content)."""
    while layout.count():
        item = layout.takeAt(0)
        widget, inner = item.widget(), item.layout()
        if widget is not None:
            widget.setParent(None)
            widget.deleteLater()
        elif inner is not None:
            clear_layout(inner)


def _passive(label: QLabel) -> QLabel:
    label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    return label


class Badge(QLabel):
    """A coloured circle with one character: an icon that needs no image files."""

    def __init__(self, char: str, colour: str, side: int, on_colour: str = "#ffffff",
                 parent: QWidget | None = None):
        super().__init__(char if char.isdigit() else char[:1], parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFixedSize(side, side)
        self.setStyleSheet(f"background: {colour}; color: {on_colour}; border-radius: {side // 2}px;"
                           f"font-size: {int(side * 0.5)}px; font-weight: bold;")
        _passive(self)


class Tile(QPushButton):
    """A large button: a badge, a title and up to two lines under it."""

    def __init__(self, title: str, subtitle: str = "", badge: QLabel | None = None,
                 parent: QWidget | None = None, *, title_px: int = 34, sub_px: int = 22):
        super().__init__(parent)
        self.setProperty("role", "tile")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        row = QHBoxLayout(self)
        row.setContentsMargins(24, 14, 24, 14)
        row.setSpacing(22)
        if badge is not None:
            row.addWidget(badge, 0, Qt.AlignmentFlag.AlignVCenter)
        col = QVBoxLayout()
        col.setSpacing(4)
        self.title_label = _passive(QLabel(title))
        self.title_label.setStyleSheet(f"font-size: {title_px}px; font-weight: bold; background: transparent;")
        self.title_label.setWordWrap(True)
        self.sub_label = _passive(QLabel(subtitle))
        self.sub_label.setProperty("role", "muted")
        self.sub_label.setStyleSheet(f"font-size: {sub_px}px; background: transparent;")
        self.sub_label.setWordWrap(True)
        self.sub_label.setVisible(bool(subtitle))
        col.addStretch(1)
        col.addWidget(self.title_label)
        col.addWidget(self.sub_label)
        col.addStretch(1)
        row.addLayout(col, 1)
        self.setAccessibleName(title)


class Row(QPushButton):
    """A list row: a rich-text title (search highlights), a muted line and a right-hand note."""

    def __init__(self, title_html: str, detail_html: str = "", note: str = "", parent: QWidget | None = None,
                 *, title_px: int = 30, detail_px: int = 22, plain_title: str = ""):
        super().__init__(parent)
        self.setProperty("role", "row")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        row = QHBoxLayout(self)
        row.setContentsMargins(22, 10, 22, 10)
        col = QVBoxLayout()
        col.setSpacing(2)
        self.title_label = _passive(QLabel(title_html))
        self.title_label.setTextFormat(Qt.TextFormat.RichText)
        self.title_label.setWordWrap(True)
        self.title_label.setStyleSheet(f"font-size: {title_px}px; font-weight: bold; background: transparent;")
        col.addWidget(self.title_label)
        self.detail_label = _passive(QLabel(detail_html))
        self.detail_label.setTextFormat(Qt.TextFormat.RichText)
        self.detail_label.setWordWrap(True)
        self.detail_label.setProperty("role", "muted")
        self.detail_label.setStyleSheet(f"font-size: {detail_px}px; background: transparent;")
        self.detail_label.setVisible(bool(detail_html))
        col.addWidget(self.detail_label)
        row.addLayout(col, 1)
        self.note_label = _passive(QLabel(note))
        self.note_label.setProperty("role", "muted")
        self.note_label.setStyleSheet(f"font-size: {detail_px}px; background: transparent;")
        self.note_label.setVisible(bool(note))
        row.addWidget(self.note_label, 0, Qt.AlignmentFlag.AlignVCenter)
        self.setAccessibleName(plain_title)
        self._floor = 88
        # A QPushButton does not grow with its child layout by itself: follow the wrapped text.
        self.setMinimumHeight(max(self._floor, int(title_px * 1.5 + (detail_px * 1.6 if detail_html else 0) + 24)))

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
        layout = self.layout()
        if layout is not None and layout.hasHeightForWidth():
            needed = max(self._floor, layout.totalHeightForWidth(self.width()))
            if needed != self.minimumHeight():
                self.setMinimumHeight(needed)
