"""The on-screen keyboard: letters for pinyin and initials, digits for codes. No IME needed:
the search itself understands pinyin, so a resident types `db` or `dibao` for 低保. The
input panel (input_panel.py) adds 汉字 candidates and handwriting around it."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QGridLayout, QPushButton, QSizePolicy, QWidget

from kiosk.ui.widgets.word_wrap import WordWrapButton

ROWS = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"]


class OnScreenKeyboard(QWidget):
    typed = Signal(str)  # one character
    backspace = Signal()
    cleared = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.keys: dict[str, QPushButton] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(8)
        # Rows are offset by half a key like a real keyboard: each key spans two grid columns.
        offsets = [0, 0, 1, 2]
        for r, (row, offset) in enumerate(zip(ROWS, offsets, strict=True)):
            for c, ch in enumerate(row):
                key = self._key(ch.upper(), lambda _=False, ch=ch: self.typed.emit(ch))
                key.setObjectName(f"key-{ch}")
                self.keys[ch] = key
                grid.addWidget(key, r, offset + 2 * c, 1, 2)
        self.back_key = self._key("", lambda: self.backspace.emit())
        self.back_key.setObjectName("key-backspace")
        grid.addWidget(self.back_key, 3, 16, 1, 4)
        self.clear_key = self._key("", lambda: self.cleared.emit())
        self.clear_key.setObjectName("key-clear")
        grid.addWidget(self.clear_key, 4, 14, 1, 6)
        # A space key: multi-word English searches ("residence permit").
        self.space_key = self._key("", lambda: self.typed.emit(" "))
        self.space_key.setObjectName("key-space")
        grid.addWidget(self.space_key, 4, 2, 1, 11)
        for col in range(20):
            grid.setColumnStretch(col, 1)
        self.retranslate()

    def _key(self, text: str, slot) -> QPushButton:  # type: ignore[no-untyped-def]
        key = WordWrapButton(text)
        key.setProperty("role", "key")
        key.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        key.clicked.connect(slot)
        return key

    def retranslate(self) -> None:
        self.back_key.setText(QCoreApplication.translate("Kiosk", "⌫ 删除"))
        self.clear_key.setText(QCoreApplication.translate("Kiosk", "清空"))
        self.space_key.setText(QCoreApplication.translate("Input", "空格"))
