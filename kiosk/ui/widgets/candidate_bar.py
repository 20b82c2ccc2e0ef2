"""The candidate bar (候选字): 汉字 from handwriting or pinyin, best first, one tap each.

As many candidates as fit the bar's width are shown (a word takes a wider button than a
character); at least eight single characters fit in every layout and text size."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

SLOTS = 10
SPACING = 8


class CandidateBar(QWidget):
    picked = Signal(int)  # the index of the candidate tapped

    def __init__(self, slots: int = SLOTS, parent: QWidget | None = None):
        super().__init__(parent)
        self.texts: list[str] = []
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(SPACING)
        # Buttons made once and relabelled: a stroke or a key never waits for new widgets.
        self.buttons: list[QPushButton] = []
        for i in range(slots):
            b = QPushButton()
            b.setObjectName(f"candidate-{i}")
            b.setProperty("role", "candidate")
            b.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
            b.clicked.connect(lambda _=False, i=i: self.picked.emit(i))
            row.addWidget(b)
            self.buttons.append(b)
        # With nothing to offer, the bar says what to do (no row of its own for a hint: the
        # landscape keyboard card has no height to spare in large text).
        self.hint = QLabel()
        self.hint.setObjectName("input-hint")
        self.hint.setProperty("role", "muted")
        self.hint.setWordWrap(True)
        self.hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row.addWidget(self.hint, 1)
        row.addStretch(0)
        self.set_candidates([])

    def keep_height(self) -> None:
        """One button's height, candidates or hint: the pad below must not move or change size
        while a character is being written (its strokes are in the pad's coordinates)."""
        self.buttons[0].ensurePolished()
        self.setFixedHeight(max(self.buttons[0].sizeHint().height(), self.hint.sizeHint().height()))

    def visible_texts(self) -> list[str]:
        return [b.text() for b in self.buttons if b.isVisibleTo(self) and b.text()]

    def set_candidates(self, texts: list[str]) -> None:
        self.texts = list(texts[:len(self.buttons)])
        self._lay_out()

    def _lay_out(self) -> None:
        room = self.width() if self.width() > 100 else 10 ** 6  # not laid out yet: all of them
        used = 0
        for i, b in enumerate(self.buttons):
            text = self.texts[i] if i < len(self.texts) else ""
            if b.text() != text:
                b.setText(text)
            need = max(b.minimumSizeHint().width(), b.sizeHint().width()) + SPACING
            fits = bool(text) and used + need <= room
            used += need if fits else 0
            b.setVisible(fits)
            b.setEnabled(fits)
        self.hint.setVisible(not self.texts)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._lay_out()
