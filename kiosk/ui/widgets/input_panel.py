"""The search's input panel: 手写 / 拼音 / ABC, for residents who cannot spell pinyin, for those
who can, and for English words.

- 手写: a pad to write one character with a finger; after each stroke the candidate bar shows
  the best characters (kiosk.services.handwriting); one tap puts one into the search field.
  Undo the last stroke, or clear. Offered only where Zinnia and its model are installed.
- 拼音: the letter keyboard; the letters go into the field as before (the search understands
  pinyin) and the bar shows 汉字 for the letters just typed (kiosk.services.pinyin_input); a
  tap replaces the letters it spells.
- ABC: the same keyboard for English words, with a space key and a hint in the screen's
  language.

The panel edits the search field it is given; the search screen only places it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.ui.theme import Theme
from kiosk.ui.widgets.candidate_bar import CandidateBar
from kiosk.ui.widgets.handwriting_pad import HandwritingPad
from kiosk.ui.widgets.keyboard import OnScreenKeyboard

log = logging.getLogger(__name__)

MODES = ("handwriting", "pinyin", "abc")
TRAILING_LETTERS = re.compile(r"[a-z]+$")



class InputPanel(QWidget):
    def __init__(self, field: QLineEdit, *, recognizer: Any = "default", pinyin: Any = "default",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.field = field
        self._recognizer = recognizer
        self._pinyin = pinyin
        self.language = "zh_CN"
        self.mode = "pinyin"
        self.pinyin_candidates: list[Any] = []
        self._learned: Any = None

        self.mode_buttons: dict[str, QPushButton] = {}
        group = QButtonGroup(self)
        group.setExclusive(True)
        # The mode switch: inside the panel, or beside the search field (SearchScreen, landscape).
        self.mode_bar = QWidget()
        self.mode_bar.setObjectName("input-modes")
        modes = QHBoxLayout(self.mode_bar)
        modes.setContentsMargins(0, 0, 0, 0)
        modes.setSpacing(10)
        for mode in MODES:
            b = QPushButton()
            b.setObjectName(f"input-{mode}")
            b.setProperty("role", "mode")
            b.setCheckable(True)
            b.clicked.connect(lambda _=False, mode=mode: self.set_mode(mode))
            # Each at least as wide as its label ("Handwriting"), sharing what room is left.
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            group.addButton(b)
            modes.addWidget(b)
            self.mode_buttons[mode] = b
        self.candidates = CandidateBar()
        self.candidates.setObjectName("candidates")
        self.candidates.picked.connect(self._pick)
        self.hint = self.candidates.hint  # shown in the bar while it has no candidates

        self.keyboard = OnScreenKeyboard()
        self.keyboard.setObjectName("keyboard")
        self.keyboard.typed.connect(self._type)
        self.keyboard.backspace.connect(self._backspace)
        self.keyboard.cleared.connect(self.field.clear)

        self.pad = HandwritingPad()
        self.pad.setObjectName("handwriting-pad")
        self.pad.stroke_done.connect(self._recognise)
        self.undo_button = QPushButton()
        self.undo_button.setObjectName("handwriting-undo")
        self.undo_button.clicked.connect(self.pad.undo)
        self.rewrite_button = QPushButton()
        self.rewrite_button.setObjectName("handwriting-clear")
        self.rewrite_button.clicked.connect(self.pad.clear)
        self.hw_back_key = QPushButton()
        self.hw_back_key.setObjectName("handwriting-backspace")
        self.hw_back_key.clicked.connect(self._backspace)
        for b in (self.undo_button, self.rewrite_button, self.hw_back_key):
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        writing = QWidget()
        row = QHBoxLayout(writing)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(16)
        row.addWidget(self.pad, 3)
        side = QVBoxLayout()
        side.setSpacing(10)
        side.addWidget(self.undo_button)
        side.addWidget(self.rewrite_button)
        side.addWidget(self.hw_back_key)
        row.addLayout(side, 1)

        self.pages = QStackedWidget()
        self.pages.addWidget(self.keyboard)
        self.pages.addWidget(writing)

        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(6)
        box.addWidget(self.mode_bar)
        box.addWidget(self.candidates)
        box.addWidget(self.pages, 1)
        self.field.textChanged.connect(self._text_changed)
        self.field.cursorPositionChanged.connect(lambda *_: self._update_pinyin())
        if self.recognizer is None:
            self.mode_buttons["handwriting"].hide()
        self.set_mode(self.default_mode())

    # -- services, opened on first use -----------------------------------------------------------

    @property
    def recognizer(self) -> Any:
        if self._recognizer == "default":
            from kiosk.services.handwriting import shared_recognizer

            self._recognizer = shared_recognizer()  # None where Zinnia is missing (logged)
        return self._recognizer

    @property
    def pinyin(self) -> Any:
        if self._pinyin == "default":
            from kiosk.services.pinyin_input import shared_input

            self._pinyin = shared_input()
        return self._pinyin

    def learn_from(self, catalog: Any) -> None:
        """Offer the hall's guide names and keywords first (once per catalogue index)."""
        vocabulary = getattr(catalog, "vocabulary", None)
        index = getattr(catalog, "_index", None)
        if vocabulary is None or index is None or index is self._learned:
            return
        self._learned = index
        self.pinyin.learn(vocabulary())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._pinyin == "default":  # load the tables (~80 ms) now, not on the first key
            QTimer.singleShot(0, lambda: self.pinyin)

    # -- modes -----------------------------------------------------------------------------------

    def default_mode(self) -> str:
        return "abc" if self.language == "en" else "pinyin"

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown input mode {mode!r}; choose one of {', '.join(MODES)}")
        if mode == "handwriting" and self.recognizer is None:
            mode = "pinyin"
        self.mode = mode
        self.mode_buttons[mode].setChecked(True)
        self.pages.setCurrentIndex(1 if mode == "handwriting" else 0)
        self.pad.clear()
        self.candidates.set_candidates([])
        self.pinyin_candidates = []
        self._update_pinyin()
        self.retranslate()

    def reset(self, language: str | None = None) -> None:
        """The idle return: back to the screen language's mode, nothing written."""
        if language is not None:
            self.language = language
        self.set_mode(self.default_mode())

    def set_theme(self, theme: Theme) -> None:
        self.pad.set_theme(theme)
        self.candidates.keep_height()
        side = theme.touch * 2
        self.pad.setMinimumSize(side * 2, side * 2)

    def retranslate(self) -> None:
        self.mode_buttons["handwriting"].setText(QCoreApplication.translate("Input", "手写"))
        self.mode_buttons["pinyin"].setText(QCoreApplication.translate("Input", "拼音"))
        self.mode_buttons["abc"].setText("ABC")
        self.undo_button.setText(QCoreApplication.translate("Input", "撤销一笔"))
        self.rewrite_button.setText(QCoreApplication.translate("Input", "重写"))
        self.hw_back_key.setText(QCoreApplication.translate("Kiosk", "⌫ 删除"))  # the keyboard's own
        self.keyboard.retranslate()
        if self.mode == "handwriting":
            self.hint.setText(QCoreApplication.translate("Input", "在下面的方框里写一个字，每写一笔，这里就列出候选字，点一下即可输入"))
        elif self.mode == "pinyin":
            self.hint.setText(QCoreApplication.translate("Input", "拼音全拼或首字母都可以，例如：低保 → dibao 或 db；这里会列出汉字，点一下即可输入"))
        else:
            self.hint.setText(QCoreApplication.translate("Input", "输入英文单词，例如：residence permit"))

    # -- typing ----------------------------------------------------------------------------------

    def _type(self, ch: str) -> None:
        self.field.insert(ch)

    def _backspace(self) -> None:
        if self.mode == "handwriting" and self.pad.strokes:
            self.pad.clear()  # first the half-written character, then the field
            return
        self.field.backspace()

    def _text_changed(self, _text: str) -> None:
        self._update_pinyin()

    def _update_pinyin(self) -> None:
        if self.mode != "pinyin":
            return
        run = self._letters_before_cursor()
        self.pinyin_candidates = self.pinyin.candidates(run) if run else []
        self.candidates.set_candidates([c.text for c in self.pinyin_candidates])

    def _letters_before_cursor(self) -> str:
        found = TRAILING_LETTERS.search(self.field.text()[:self.field.cursorPosition()])
        return found.group(0) if found else ""

    def _recognise(self) -> None:
        rec = self.recognizer
        if rec is None or self.mode != "handwriting":
            return
        strokes, width, height = self.pad.square_strokes()
        self.candidates.set_candidates(rec.candidates(strokes, width=width, height=height))

    def _pick(self, index: int) -> None:
        if self.mode == "handwriting":
            if index < len(self.candidates.texts):
                self.field.insert(self.candidates.texts[index])
            self.pad.clear()
        elif self.mode == "pinyin" and index < len(self.pinyin_candidates):
            chosen = self.pinyin_candidates[index]
            text, cursor = self.field.text(), self.field.cursorPosition()
            run = self._letters_before_cursor()
            start = cursor - len(run)
            rest = run[chosen.consumed:]
            self.field.setText(text[:start] + chosen.text + rest + text[cursor:])
            self.field.setCursorPosition(start + len(chosen.text) + len(rest))
            self._update_pinyin()
        self.field.setFocus(Qt.FocusReason.OtherFocusReason)
