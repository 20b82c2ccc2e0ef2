"""Big touch targets: area tiles with a character badge, and list rows with rich-text titles.

Row text sizes and colours come from the kiosk style sheet through each label's `role` property
(kiosk/ui/theme.py), so a screen full of rows costs no per-widget style sheets; tiles draw
their text themselves, in the theme's sizes and colours.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import shiboken6
from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from kiosk.ui.widgets.word_wrap import fitting_font, wrap

if TYPE_CHECKING:
    from kiosk.ui.theme import Theme


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


class BadgeMark(NamedTuple):
    """A coloured circle with a character or a number: an icon that needs no image files."""

    text: str
    colour: str
    side: int
    on_colour: str = "#ffffff"
    text_ratio: float = 0.5

    def draw(self, painter: QPainter, x: int, y: int, font: QFont) -> None:
        """Draw the circle with its top left corner at (x, y), the text in `font`'s family."""
        box = QRect(x, y, self.side, self.side)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(self.colour))
        painter.drawEllipse(QRectF(box))
        font = QFont(font)
        font.setPixelSize(max(8, int(self.side * self.text_ratio)))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor(self.on_colour))
        text = self.text if self.text.isdigit() else self.text[:1]
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


class Badge(QWidget):
    """A BadgeMark as a widget of its own, for a layout."""

    def __init__(self, text: str, colour: str, side: int, on_colour: str = "#ffffff",
                 parent: QWidget | None = None, *, text_ratio: float = 0.5):
        super().__init__(parent)
        self.mark = BadgeMark(text, colour, side, on_colour, text_ratio)
        self.setFixedSize(side, side)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def sizeHint(self) -> QSize:
        return self.size()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self.mark.draw(painter, 0, 0, self.font())
        painter.end()


class _TextBox(NamedTuple):
    x: int
    width: int
    height: int
    parts: list[tuple[QFont, list[str], str]]  # per text: the font it fits in, its lines, the text


class Tile(QPushButton):
    """A large button: a badge, a title and a line under it, vertically centred.

    The tile draws its badge and text itself rather than holding a badge and two labels in
    layouts: one widget instead of five, and the home screen's six tiles are built, laid out
    and painted some 2.5 ms sooner at start. The style sheet still draws the button (its
    background, border and pressed state); text sizes and colours come from the theme."""

    MARGINS = (24, 14, 24, 14)  # left, top, right, bottom
    BADGE_GAP = 22
    LINE_GAP = 4
    ALIGN = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

    def __init__(self, title: str, subtitle: str = "", badge: BadgeMark | None = None,
                 parent: QWidget | None = None, *, theme: Theme, role: str = "tile", small: bool = False):
        super().__init__(parent)
        self.setProperty("role", role)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.title, self.subtitle, self.badge = title, subtitle, badge
        self.title_font = QFont()
        self.title_font.setPixelSize(theme.px(30 if small else 36))
        self.title_font.setBold(True)
        self.sub_font = QFont()
        self.sub_font.setPixelSize(theme.px(22))
        self.title_colour, self.sub_colour = QColor(theme.text), QColor(theme.muted)
        self.setAccessibleName(title)
        self.setAccessibleDescription(subtitle)
        self._boxes: dict[int, _TextBox] = {}  # layouts ask for the same widths again and again

    def _text_box(self, width: int) -> _TextBox:
        """The text column in a tile `width` wide: where, how wide, how high, and its lines."""
        if width not in self._boxes:
            left, _, right, _ = self.MARGINS
            x = left + (self.badge.side + self.BADGE_GAP if self.badge is not None else 0)
            text_width = max(1, width - x - right)
            parts = []
            for font, text in ((self.title_font, self.title), (self.sub_font, self.subtitle)):
                if text:  # a smaller font step when a word would not fit: never cut a word
                    fitted = fitting_font(font, [text], text_width)
                    parts.append((fitted, wrap(text, QFontMetrics(fitted), text_width), text))
            height = sum(QFontMetrics(f).lineSpacing() * len(lines) for f, lines, _ in parts)
            height += self.LINE_GAP * (len(parts) - 1)
            self._boxes[width] = _TextBox(x, text_width, height, parts)
        return self._boxes[width]

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        _, top, _, bottom = self.MARGINS
        content = max(self.badge.side if self.badge is not None else 0, self._text_box(width).height)
        return max(super().sizeHint().height(), top + bottom + content)  # the style sheet's min-height counts

    def sizeHint(self) -> QSize:
        # The same for every tile of a screen, whatever its text: a grid of tiles shares its
        # width out evenly, and longer titles wrap.
        return self._size_for(8)

    def minimumSizeHint(self) -> QSize:
        return self._size_for(4)  # room for a few characters a line: titles wrap, never run out

    def _size_for(self, characters: int) -> QSize:
        left, _, right, _ = self.MARGINS
        badge = self.badge.side + self.BADGE_GAP if self.badge is not None else 0
        # QPushButton's own hint is the style sheet's: min-width, min-height, padding (its
        # minimumSizeHint would call this class's sizeHint again).
        width = max(super().sizeHint().width(), left + badge + right + characters * self.title_font.pixelSize())
        return QSize(width, self.heightForWidth(width))

    def text_lines(self) -> list[tuple[QFont, int, list[str], str]]:
        """What the tile paints: per text, its font, the width it has, its lines and the text."""
        box = self._text_box(self.width())
        return [(font, box.width, lines, text) for font, lines, text in box.parts]

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)  # the style sheet's button: background, border, pressed state
        _, top, _, bottom = self.MARGINS
        box = self._text_box(self.width())
        inner = self.height() - top - bottom
        painter = QPainter(self)
        if self.badge is not None:
            self.badge.draw(painter, self.MARGINS[0], top + (inner - self.badge.side) // 2, self.title_font)
        y = top + max(0, (inner - box.height) // 2)
        for (font, lines, _), colour in zip(box.parts, (self.title_colour, self.sub_colour), strict=False):
            painter.setFont(font)
            painter.setPen(colour)
            step = QFontMetrics(font).lineSpacing()
            for line in lines:
                painter.drawText(QRect(box.x, y, box.width, step), self.ALIGN, line)
                y += step
            y += self.LINE_GAP
        painter.end()


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
        if not detail_html:  # hide(), never show(), before the label has a parent (see Tile)
            self.detail_label.hide()
        col.addWidget(self.detail_label)
        row.addLayout(col, 1)
        self.note_label = _passive(QLabel(note), "row-detail" + suffix)
        if not note:
            self.note_label.hide()
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
