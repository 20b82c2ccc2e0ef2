"""The counter rating pad (评价器): a small window on a second screen or tablet at a counter.

Idle until the clerk finishes (办结) a ticket at this window; then "请对本次服务评价" with the
five national levels as big buttons. A 差评 (不满意, 非常不满意) asks for reasons and an
optional comment; the other levels are sent at once. Then thanks, and idle again. A screen
nobody touches returns to idle after `idle_after_s` (30 s); that ticket is not asked again
(the resident can still rate on the phone). It talks only to the hall PC, so it works while
the street office is unreachable. The hall is asked on the app's task runner (kiosk/ui/tasks.py),
one call at a time in order (a lane), polled every `poll_s` by a GUI-thread timer: a hall that
is down never freezes the pad.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.lan.client import HallUnreachable
from kiosk.lan.rating_client import RatingRefused
from kiosk.services.ratings import RatingPrompt
from kiosk.ui.tasks import tasks
from sync import wire

log = logging.getLogger(__name__)

LEVEL_COLOURS = {"very_satisfied": "#1b7f3b", "satisfied": "#2e9d52", "basic": "#6c8f2f",
                 "dissatisfied": "#c77700", "very_dissatisfied": "#b71c1c"}
STYLE = """
QWidget#pad{background:#f6f7f9}
QLabel{color:#1b1b1b}
QLabel#title{font-size:34px;font-weight:bold;color:#b71c1c}
QLabel#sub{font-size:22px;color:#444}
QLabel#note{font-size:16px;color:#777}
QLabel#error{font-size:18px;color:#b71c1c;font-weight:bold}
QPushButton{font-size:26px;min-height:72px;border-radius:10px;color:white;padding:6px 12px}
QPushButton#submit{background:#b71c1c}
QPushButton#cancel{background:#78909c}
QCheckBox{font-size:22px;min-height:56px;spacing:14px}
QCheckBox::indicator{width:36px;height:36px}
QPlainTextEdit{font-size:20px;background:white;border:1px solid #bbb;border-radius:6px}
"""


class RatingPad(QWidget):
    """Pages: idle, ask (five levels), reasons (a 差评), thanks."""

    def __init__(self, client: Any, window: int, *, poll_s: float = 1.0, idle_after_s: float = 30.0,
                 thanks_s: float = 5.0):
        super().__init__()
        self.setObjectName("pad")
        self.setWindowTitle(f"{window}号窗口 服务评价")
        self.setStyleSheet(STYLE)
        self.window_number = window
        self.current: RatingPrompt | None = None  # the ticket being rated
        self.dismissed: set[str] = set()  # tickets not to ask again (rated, or left untouched)
        self.level = ""
        self.stack = QStackedWidget(self)
        QVBoxLayout(self).addWidget(self.stack)
        self._build_idle()
        self._build_ask()
        self._build_reasons()
        self._build_thanks()

        self.idle_timer = QTimer(self, singleShot=True, interval=int(idle_after_s * 1000))
        self.idle_timer.timeout.connect(self._give_up)
        self.thanks_timer = QTimer(self, singleShot=True, interval=int(thanks_s * 1000))
        self.thanks_timer.timeout.connect(self.show_idle)
        self.client = client
        self.hall_calls = tasks().lane(owner=self)  # a poll and a rating never overlap, answers in order
        self._polling = False  # a poll is on its way: the next tick does not queue another
        self.poll_timer = QTimer(self, interval=int(poll_s * 1000))
        self.poll_timer.timeout.connect(self._poll)
        self.poll_timer.start()

    # --- pages ---

    def _page(self) -> QVBoxLayout:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.setSpacing(16)
        self.stack.addWidget(page)
        return layout

    @staticmethod
    def _label(text: str, name: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName(name)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        return label

    def _build_idle(self) -> None:
        layout = self._page()
        layout.addStretch(1)
        layout.addWidget(self._label(f"{self.window_number}号窗口", "title"))
        layout.addWidget(self._label("欢迎您，办结后请在此评价我们的服务", "sub"))
        self.idle_note = self._label("", "note")
        layout.addWidget(self.idle_note)
        layout.addStretch(1)
        self.idle_page = self.stack.widget(0)

    def _build_ask(self) -> None:
        layout = self._page()
        layout.addWidget(self._label("请对本次服务评价", "title"))
        self.ask_ticket = self._label("", "sub")
        layout.addWidget(self.ask_ticket)
        self.level_buttons: dict[str, QPushButton] = {}
        for code, name in wire.RATING_LEVELS.items():
            button = QPushButton(name)
            button.setObjectName(f"level-{code}")
            button.setStyleSheet(f"background:{LEVEL_COLOURS[code]};min-height:88px;font-size:30px")
            button.clicked.connect(lambda _=False, c=code: self.choose(c))
            layout.addWidget(button)
            self.level_buttons[code] = button
        self.ask_error = self._label("", "error")
        layout.addWidget(self.ask_error)
        self.ask_page = self.stack.widget(1)

    def _build_reasons(self) -> None:
        layout = self._page()
        self.reasons_title = self._label("", "title")
        layout.addWidget(self.reasons_title)
        layout.addWidget(self._label("请告诉我们原因（可多选，可不选）", "sub"))
        grid = QGridLayout()
        self.reason_boxes: dict[str, QCheckBox] = {}
        for i, (code, name) in enumerate(wire.RATING_REASONS.items()):
            box = QCheckBox(name)
            box.setObjectName(f"reason-{code}")
            grid.addWidget(box, i // 2, i % 2)
            self.reason_boxes[code] = box
        layout.addLayout(grid)
        self.comment = QPlainTextEdit()
        self.comment.setPlaceholderText(f"留言（可不填，最多 {wire.MAX_COMMENT_CHARS} 字）")
        self.comment.setFixedHeight(110)
        self.comment.textChanged.connect(self._limit_comment)
        layout.addWidget(self.comment)
        self.submit_button = QPushButton("提交评价")
        self.submit_button.setObjectName("submit")
        self.submit_button.clicked.connect(lambda: self.submit())
        layout.addWidget(self.submit_button)
        back = QPushButton("返回重选")
        back.setObjectName("cancel")
        back.clicked.connect(lambda: self._show(self.ask_page))
        layout.addWidget(back)
        self.reasons_error = self._label("", "error")
        layout.addWidget(self.reasons_error)
        self.reasons_page = self.stack.widget(2)

    def _build_thanks(self) -> None:
        layout = self._page()
        layout.addStretch(1)
        self.thanks_text = self._label("感谢您的评价！", "title")
        layout.addWidget(self.thanks_text)
        layout.addWidget(self._label("我们会认真改进工作", "sub"))
        layout.addStretch(1)
        self.thanks_page = self.stack.widget(3)

    # --- what the resident does ---

    def choose(self, level: str) -> None:
        if self.current is None:
            return
        self.level = level
        self.ask_error.setText("")
        if level in wire.BAD_LEVELS:  # a 差评: ask why
            self.reasons_title.setText(f"您选择了：{wire.RATING_LEVELS[level]}")
            self.reasons_error.setText("")
            self._show(self.reasons_page)
        else:
            self.submit(reasons=[], comment="")

    def submit(self, *, reasons: list[str] | None = None, comment: str | None = None) -> None:
        if self.current is None or not self.level:
            return
        if reasons is None:
            reasons = [code for code, box in self.reason_boxes.items() if box.isChecked()]
        if comment is None:
            comment = self.comment.toPlainText().strip()
        self.submit_button.setEnabled(False)
        for button in self.level_buttons.values():
            button.setEnabled(False)
        self.idle_timer.start()
        self.hall_calls.run(self.client.rate, self.current.ticket_uid, self.level, reasons, comment) \
            .on_done(self._on_rated).on_error(self._failed)

    def _limit_comment(self) -> None:
        text = self.comment.toPlainText()
        if len(text) > wire.MAX_COMMENT_CHARS:
            self.comment.setPlainText(text[:wire.MAX_COMMENT_CHARS])
            self.comment.moveCursor(self.comment.textCursor().MoveOperation.End)
        self.idle_timer.start()  # typing is activity

    # --- what the hall says ---

    def _poll(self) -> None:
        if self._polling:
            return
        self._polling = True
        self.hall_calls.run(self.client.prompt).on_done(self._polled).on_error(self._poll_failed)

    def _polled(self, prompt: RatingPrompt | None) -> None:
        self._polling = False
        self._on_prompt(prompt)

    def _poll_failed(self, exc: BaseException) -> None:
        self._polling = False
        self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, RatingRefused):
            self._on_refused(str(exc), exc.status)
            return
        if not isinstance(exc, HallUnreachable):  # a pad must keep running; the next poll retries
            log.error("rating pad: the hall's answer could not be used", exc_info=exc)
        self._on_offline(str(exc))

    def _on_prompt(self, prompt: RatingPrompt | None) -> None:
        self.idle_note.setText("")
        if self.stack.currentWidget() is not self.idle_page:
            return  # busy with a ticket, or saying thanks
        if prompt is None or prompt.ticket_uid in self.dismissed:
            return
        self.current = prompt
        self.level = ""
        self.ask_ticket.setText(f"{prompt.label} · {prompt.business_name}")
        for box in self.reason_boxes.values():
            box.setChecked(False)
        self.comment.setPlainText("")
        self._set_enabled(True)
        self._show(self.ask_page)

    def _on_rated(self, _answer: Any) -> None:
        if self.current is not None:
            self.dismissed.add(self.current.ticket_uid)
        self.current = None
        self._show(self.thanks_page)
        self.idle_timer.stop()
        self.thanks_timer.start()

    def _on_refused(self, message: str, status: int) -> None:
        self._set_enabled(True)
        if status == 409 and self.current is not None:  # already rated (or too late): nothing to do here
            self.dismissed.add(self.current.ticket_uid)
            self.current = None
            self.idle_note.setText(message)
            self.show_idle()
            return
        page_error = self.reasons_error if self.stack.currentWidget() is self.reasons_page else self.ask_error
        page_error.setText(message)

    def _on_offline(self, message: str) -> None:
        if self.current is not None:  # a submission that did not get through: let the resident retry
            self._set_enabled(True)
            error = self.reasons_error if self.stack.currentWidget() is self.reasons_page else self.ask_error
            error.setText(f"{message}，请稍后再按一次")
        self.idle_note.setText(f"{message}，正在重试…")

    # --- pages and time ---

    def _set_enabled(self, on: bool) -> None:
        self.submit_button.setEnabled(on)
        for button in self.level_buttons.values():
            button.setEnabled(on)

    def _show(self, page: QWidget) -> None:
        self.stack.setCurrentWidget(page)
        if page in (self.ask_page, self.reasons_page):
            self.idle_timer.start()  # (restarted on every page change: each touch is activity)

    def _give_up(self) -> None:
        """Nobody touched the pad for a while: back to idle, and do not ask about that ticket again."""
        if self.current is not None:
            self.dismissed.add(self.current.ticket_uid)
        self.current = None
        self.show_idle()

    def show_idle(self) -> None:
        self.idle_timer.stop()
        self.thanks_timer.stop()
        self.stack.setCurrentWidget(self.idle_page)

    def page_name(self) -> str:
        return {id(self.idle_page): "idle", id(self.ask_page): "ask", id(self.reasons_page): "reasons",
                id(self.thanks_page): "thanks"}[id(self.stack.currentWidget())]

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.poll_timer.stop()
        super().closeEvent(event)
