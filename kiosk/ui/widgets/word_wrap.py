"""Line breaking between words only, in both languages, and a button that wraps its text so.

Qt breaks Chinese text between any two characters, so a narrow tile showed "残疾/人服/务" and
"7 项办事/指南"; and it never breaks inside an English word, so a word wider than its box was
cut ("Securit"). Here a line breaks only at a space or after Chinese punctuation, never after
a number ("7 guides" stays whole) nor before "·": a Chinese name or phrase without punctuation
stays on one line. A word wider than the room gets a smaller font step (`fitting_font`) or a
wider button (`WordWrapButton` asks for the room of its widest word).
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QPushButton, QStyle, QStyleOptionButton, QWidget

_BREAK_AFTER = "，。：；、！？）》」,;:!?)"
_OPEN = "（(《「"


def units(text: str) -> list[str]:
    """`text` cut where a line may break; joining the units gives `text` back. A break falls
    after spaces, after Chinese punctuation and before an opening bracket, but never after a
    unit without a letter in it (a number, "⌕", "♪") nor before "·"."""
    out: list[str] = []
    unit = ""
    for i, ch in enumerate(text):
        prev = text[i - 1] if i else ""
        may_break = bool(unit) and not ch.isspace() and (
            prev.isspace() or (prev in _BREAK_AFTER and ch not in _BREAK_AFTER) or (ch in _OPEN and prev not in _OPEN))
        if may_break and any(c.isalpha() for c in unit) and ch != "·":
            out.append(unit)
            unit = ""
        unit += ch
    if unit:
        out.append(unit)
    return out


WORD_JOINER = "\u2060"  # invisible; no line break on either side of it (Unicode line breaking)


def unbroken(name: str) -> str:
    """A name a QLabel keeps on one line: Qt breaks Chinese between any two characters, so a
    name without spaces gets word joiners between its characters (text with spaces is left to
    break at them)."""
    return name if any(ch.isspace() for ch in name) else WORD_JOINER.join(name)


def keep_whole(text: str, words: list[str]) -> str:
    """Running text with each of `words` (the hall's names: areas, businesses) kept on one line."""
    for word in sorted({w for w in words if len(w) > 1 and not any(ch.isspace() for ch in w)}, key=len, reverse=True):
        text = text.replace(word, unbroken(word))
    return text


def widest_unit(text: str, metrics: QFontMetrics) -> int:
    return max((metrics.horizontalAdvance(u.rstrip()) for p in text.split("\n") for u in units(p)), default=0)


def wrap(text: str, metrics: QFontMetrics, width: int) -> list[str]:
    """`text`'s lines no wider than `width` (but for a unit wider than it), broken between units."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for unit in units(paragraph):
            if line and metrics.horizontalAdvance((line + unit).rstrip()) > width:
                lines.append(line.rstrip())
                line = unit.lstrip()
            else:
                line += unit
        lines.append(line.rstrip())
    return lines


def fitting_font(font: QFont, texts: list[str], width: int, *, smallest: float = 0.6) -> QFont:
    """`font`, a step smaller at a time (down to `smallest` of its size) until the widest word
    of every text fits in `width`."""
    fitted = QFont(font)
    size = font.pixelSize()
    while size > font.pixelSize() * smallest and any(widest_unit(t, QFontMetrics(fitted)) > width for t in texts):
        size -= 2
        fitted.setPixelSize(size)
    return fitted


class WordWrapButton(QPushButton):
    """A push button whose text wraps between words to the button's width, and which asks for
    at least the room of its widest word (a plain QPushButton cuts its text off at the edges)."""

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self._full = ""
        self.setText(text)

    def full_text(self) -> str:
        """The text as set; text() is what the button shows, with the line breaks of its width."""
        return self._full

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = text
        self._rewrap(self.width() if self.isVisible() else 0)

    def _chrome(self, *, vertical: bool = False) -> int:
        """What the style takes of the button's width (or height): border and padding (asked of
        a large dummy rect: the button may not have its own size yet)."""
        option = QStyleOptionButton()
        self.initStyleOption(option)
        option.rect = QRect(0, 0, 10_000, 10_000)
        room = self.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, option, self)
        return max(0, 10_000 - (room.height() if vertical else room.width()))

    def _word_room(self) -> int:
        """The width the widest word needs, border and padding included."""
        return widest_unit(self._full, self.fontMetrics()) + self._chrome() + 2

    def _rewrap(self, width: int) -> None:
        # A style sheet's min-width sets the minimum width, which layouts take over any hint:
        # raise it to the widest word's room. Never lowered here (the button keeps its place
        # when its text changes to a shorter one); a style change sets it from the sheet again.
        least = self._word_room()
        if self.minimumWidth() < least:
            self.setMinimumWidth(least)
        metrics = self.fontMetrics()
        room = width - self._chrome() if width > 0 else 10**6
        text = "\n".join(wrap(self._full, metrics, max(1, room)))
        if text != self.text():
            super().setText(text)
            self.updateGeometry()
        # And as high as its lines: a layout that narrows the button gets a taller one, not a
        # button whose last line is cut off (grown only, like the width).
        lines = text.count("\n")
        high = metrics.height() + lines * metrics.lineSpacing() + self._chrome(vertical=True)
        if self.minimumHeight() < high:
            self.setMinimumHeight(high)

    def _least_width(self) -> int:
        return max(self.minimumWidth(), self._word_room())

    # QPushButton's minimumSizeHint is its sizeHint: both say the widest word's room, and the
    # height of the lines the button shows now.
    def minimumSizeHint(self) -> QSize:
        return QSize(self._least_width(), super().sizeHint().height())

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(max(hint.width(), self._least_width()), hint.height())

    def changeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().changeEvent(event)
        if event.type() in (event.Type.FontChange, event.Type.StyleChange):
            self._rewrap(self.width())

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self._rewrap(event.size().width())
