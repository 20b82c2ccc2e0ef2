"""What a resident sees of a screen's text: cut-off words, words broken across lines, captions
drawn over a QR code. Measured with each widget's own font against the room its layout gave it,
independently of how the widget wraps (the test's own line breaking, Qt's QTextLayout)."""

from __future__ import annotations

import re

from PySide6.QtCore import QRect
from PySide6.QtGui import QFontMetrics, Qt, QTextDocument, QTextOption
from PySide6.QtWidgets import QLabel, QPushButton, QStyle, QStyleOptionButton, QWidget

WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.]*[A-Za-z0-9]|[A-Za-z0-9]")  # a break after a hyphen is fine


def protected_spans(text: str, chinese_words: list[str]) -> list[tuple[int, int]]:
    """Where a line must not break: inside an English word or number, or inside a Chinese word
    the hall names (a service area, a business, 办事指南)."""
    spans = [(m.start(), m.end()) for m in WORD.finditer(text)]
    for word in chinese_words:
        start = text.find(word)
        while start >= 0:
            spans.append((start, start + len(word)))
            start = text.find(word, start + 1)
    return spans


def broken_words(lines: list[str], text: str, chinese_words: list[str]) -> list[str]:
    """The words `lines` (a wrapping of `text`) break across two lines."""
    # Word joiners keep a name whole (kiosk/ui/widgets/word_wrap.py): judge the text without them.
    text, lines = text.replace("\u2060", ""), [line.replace("\u2060", "") for line in lines]
    spans = protected_spans(text, chinese_words)
    broken, position = [], 0
    for line in lines[:-1]:
        position = text.find(line, position) + len(line) if line else position
        for start, end in spans:
            if start < position < end and not text[position - 1].isspace():
                broken.append(text[start:end])
    return broken


def is_rich(label: QLabel) -> bool:
    text_format = label.textFormat()
    return text_format == Qt.TextFormat.RichText or (
        text_format == Qt.TextFormat.AutoText and Qt.mightBeRichText(label.text()))  # QtGui's Qt has it


def label_lines(label: QLabel, room: int) -> tuple[str, list[tuple[str, float]]]:
    """The label's text as shown and its lines with their widths, laid out as QLabel lays it
    out: a QTextDocument in the label's font, word wrap at the room the label has (rich text
    keeps its markup, e.g. a name kept whole with white-space: nowrap)."""
    doc = QTextDocument()
    doc.setDefaultFont(label.font())
    doc.setDocumentMargin(0)
    option = doc.defaultTextOption()
    option.setWrapMode(QTextOption.WrapMode.WordWrap if label.wordWrap() else QTextOption.WrapMode.ManualWrap)
    doc.setDefaultTextOption(option)
    if is_rich(label):
        doc.setHtml(label.text())
    else:
        doc.setPlainText(label.text())
    doc.setTextWidth(room if label.wordWrap() else -1)
    doc.size()  # lays the document out (it is done lazily)
    lines = []
    block = doc.begin()
    while block.isValid():
        layout = block.layout()
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            lines.append((block.text()[line.textStart():line.textStart() + line.textLength()].rstrip(),
                          line.naturalTextWidth()))
        block = block.next()
    # word joiners (kiosk/ui/widgets/word_wrap.py) are invisible: compare what a person reads
    return doc.toPlainText().replace("\u2060", ""), [(text.replace("\u2060", ""), w) for text, w in lines]


def button_room(button: QPushButton) -> QRect:
    option = QStyleOptionButton()
    button.initStyleOption(option)
    return button.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, option, button)


def text_problems(window: QWidget, chinese_words: list[str]) -> list[str]:
    """Every cut or broken text on the visible part of `window`, as lines a person can read."""
    problems = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or widget.width() <= 0:
            continue
        name = widget.objectName() or type(widget).__name__
        if hasattr(widget, "text_lines"):  # a tile: it draws its own text
            for font, room, lines, text in widget.text_lines():
                problems += [f"{name}: {line!r} is {QFontMetrics(font).horizontalAdvance(line)} px in {room} px"
                             for line in lines if QFontMetrics(font).horizontalAdvance(line) > room]
                problems += [f"{name}: {word!r} broken in {lines}" for word in broken_words(lines, text, chinese_words)]
        elif isinstance(widget, QLabel) and widget.text() and not widget.pixmap():
            margins = widget.contentsMargins()
            room = widget.width() - margins.left() - margins.right() - 2 * widget.margin() - max(0, widget.indent())
            text, lines = label_lines(widget, room)
            problems += [f"{name}: {line!r} is {width:.0f} px in {room} px" for line, width in lines if width > room + 1]
            shown = [line for line, _ in lines]
            problems += [f"{name}: {word!r} broken in {shown}" for word in broken_words(shown, text, chinese_words)]
        elif isinstance(widget, QPushButton) and widget.text() and not widget.layout():
            room = button_room(widget)
            metrics = QFontMetrics(widget.font())
            lines = widget.text().split("\n")
            problems += [f"{name}: {line!r} is {metrics.horizontalAdvance(line)} px in {room.width()} px"
                         for line in lines if metrics.horizontalAdvance(line) > room.width() + 1]
            high = metrics.height() + (len(lines) - 1) * metrics.lineSpacing()
            if high > room.height() + 2:  # lines above and below the button's edges are cut off
                problems.append(f"{name}: {len(lines)} lines {lines} are {high} px high in {room.height()} px")
    return problems


def covered_codes(window: QWidget) -> list[str]:
    """QR codes with a visible label drawn over them."""
    from kiosk.ui.widgets.qr import QrWidget

    covered = []
    for qr in window.findChildren(QrWidget):
        if not qr.isVisible():
            continue
        code = QRect(qr.mapTo(window, qr.rect().topLeft()), qr.size())
        for label in window.findChildren(QLabel):
            if label.isVisible() and label.text():
                box = QRect(label.mapTo(window, label.rect().topLeft()), label.size())
                if box.intersects(code):
                    covered.append(f"{qr.objectName()}: {label.text()!r} over the code")
    return covered
