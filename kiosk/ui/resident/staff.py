"""Staff exit: a hidden gesture (kiosk/ui/resident/tap_gesture.py), then staff number + PIN.

The kiosk stands in a public hall: it never lists who works there, and wrong PINs typed at it
never lock an account (a resident must not be able to lock a clerk out of their counter).
Instead this device waits longer after each further failure (KioskBackoff); every failure is
in the audit log (AuthService.login_at_kiosk). Out of kiosk mode, the overlay offers to lock
the kiosk again without a PIN.

The sign-in writes the audit log, so it runs off the GUI thread (kiosk/ui/tasks.py): 确认 waits
for the answer, and an answer for an overlay closed meanwhile is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication as Q
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.services.auth import KioskBackoff
from kiosk.ui.error_text import error_text
from kiosk.ui.resident.common import label
from kiosk.ui.tasks import tasks
from kiosk.ui.widgets.tiles import clear_layout

log = logging.getLogger(__name__)


class StaffOverlay(QFrame):
    """Covers the kiosk: staff number and PIN on a keypad, then choose what to do."""

    exit_kiosk = Signal(object)  # the signed-in StaffSession
    close_app = Signal()
    open_editor = Signal(object)  # the signed-in StaffSession
    relock = Signal()  # out of kiosk mode: lock the kiosk again

    def __init__(self, parent: QWidget, auth_factory: Callable[[], object | None], *,
                 unlocked: Callable[[], bool] = lambda: False, backoff: KioskBackoff | None = None):
        super().__init__(parent)
        self.setObjectName("staff-overlay")
        self.setProperty("role", "overlay")
        self.auth_factory = auth_factory
        self.unlocked = unlocked
        self.backoff = backoff or KioskBackoff()
        self.number = ""
        self.pin = ""
        self.field = "number"  # which field the keypad types into
        self.session = None
        self._opened = 0  # counts openings: a sign-in answered after the overlay closed is dropped
        self.buttons: dict[str, QPushButton] = {}
        outer = QVBoxLayout(self)
        outer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.dialog = QFrame()
        self.dialog.setProperty("role", "dialog")
        self.dialog.setFixedWidth(760)
        outer.addWidget(self.dialog, 0, Qt.AlignmentFlag.AlignCenter)
        self.col = QVBoxLayout(self.dialog)
        self.col.setContentsMargins(36, 30, 36, 30)
        self.col.setSpacing(14)
        self.hide()


    def _english(self) -> bool:
        return getattr(self.window(), "language", "") == "en"  # the kiosk window it covers
    def open(self) -> None:
        self.number, self.pin, self.field, self.session = "", "", "number", None
        self._opened += 1
        self.setGeometry(self.parentWidget().rect())
        self._build()
        self.show()
        self.raise_()

    def close_overlay(self) -> None:
        self.number, self.pin, self.field, self.session = "", "", "number", None
        self._opened += 1
        self.hide()

    def _button(self, text: str, key: str, slot: Callable[[], None], role: str = "") -> QPushButton:
        b = QPushButton(text)
        b.setObjectName(f"staff-{key}")
        if role:
            b.setProperty("role", role)
        b.clicked.connect(lambda _checked=False: slot())  # clicked(bool) must not reach the slot
        self.buttons[key] = b
        return b

    def _build(self, error: str = "") -> None:
        clear_layout(self.col)
        self.buttons.clear()
        if self.unlocked():
            self._build_unlocked()
            return
        if self.session is not None:
            self._build_menu()
            return
        self.col.addWidget(label(Q.translate("Kiosk", "工作人员验证"), "title"))
        self.col.addWidget(label(Q.translate("Kiosk", "请输入您的工号和 PIN（工号见 yizhan staff list）"), "muted"))
        self.number_field = self._button("", "number", lambda: self._select("number"), "field")
        self.pin_field = self._button("", "pin", lambda: self._select("pin"), "field")
        for b in (self.number_field, self.pin_field):
            b.setCheckable(True)
            self.col.addWidget(b)
        self._show_fields()
        pad = QGridLayout()
        pad.setSpacing(10)
        for i, digit in enumerate("123456789"):
            pad.addWidget(self._button(digit, f"digit-{digit}", lambda d=digit: self._digit(d), "key"), i // 3, i % 3)
        pad.addWidget(self._button(Q.translate("Kiosk", "清除"), "clear", self._clear), 3, 0)
        pad.addWidget(self._button("0", "digit-0", lambda: self._digit("0"), "key"), 3, 1)
        pad.addWidget(self._button("⌫", "back", self._back, "key"), 3, 2)
        self.col.addLayout(pad)
        self.error_label = label(error, "error")
        self.error_label.setObjectName("staff-error")
        self.col.addWidget(self.error_label)
        row = QHBoxLayout()
        row.addWidget(self._button(Q.translate("Kiosk", "取消"), "cancel", self.close_overlay))
        row.addWidget(self._button(Q.translate("Kiosk", "确认"), "ok", self._login, "primary"))
        self.col.addLayout(row)

    def _show_fields(self) -> None:
        """The two fields' text, and which one the keypad types into (checked, highlighted)."""
        self.number_field.setText(Q.translate("Kiosk", "工号：%1").replace("%1", self.number or "—"))
        self.pin_field.setText(Q.translate("Kiosk", "PIN：%1").replace("%1", "●" * len(self.pin) or "—"))
        self.number_field.setChecked(self.field == "number")
        self.pin_field.setChecked(self.field == "pin")

    def _build_menu(self) -> None:
        self.col.addWidget(label(Q.translate("Kiosk", "已验证：%1").replace("%1", self.session.name), "title"))
        self.col.addWidget(self._button(Q.translate("Kiosk", "退出自助模式（窗口显示）"), "exit",
                                        self._exit, "primary"))
        if self.session.can("content"):
            self.col.addWidget(self._button(Q.translate("Kiosk", "内容编辑（办事指南、公示）"), "editor",
                                            self._editor))
        self.col.addWidget(self._button(Q.translate("Kiosk", "关闭程序"), "quit", self._quit))
        self.col.addWidget(self._button(Q.translate("Kiosk", "返回自助服务"), "cancel", self.close_overlay))

    def _build_unlocked(self) -> None:
        """Out of kiosk mode: locking it again needs no PIN."""
        self.col.addWidget(label(Q.translate("Kiosk", "自助机已退出自助模式"), "title"))
        self.col.addWidget(self._button(Q.translate("Kiosk", "返回自助模式"), "relock", self._relock, "primary"))
        self.col.addWidget(self._button(Q.translate("Kiosk", "取消"), "cancel", self.close_overlay))

    def _select(self, field: str) -> None:
        self.field = field
        self._show_fields()

    def _digit(self, d: str) -> None:
        if self.field == "number":
            self.number = (self.number + d)[:9]
        elif len(self.pin) < 8:
            self.pin += d
        self._show_fields()

    def _back(self) -> None:
        if self.field == "number":
            self.number = self.number[:-1]
        else:
            self.pin = self.pin[:-1]
        self._show_fields()

    def _clear(self) -> None:
        if self.field == "number":
            self.number = ""
        else:
            self.pin = ""
        self._show_fields()

    def _say(self, error: str) -> None:
        self.error_label.setText(error)

    def _login(self) -> None:
        if not self.number:
            self._select("number")
            self._say(Q.translate("Kiosk", "请先输入工号"))
            return
        if not self.pin:
            self._select("pin")
            self._say(Q.translate("Kiosk", "请输入 PIN"))
            return
        wait = self.backoff.wait_s()
        if wait:
            self.pin = ""
            self._show_fields()
            self._say(Q.translate("Kiosk", "尝试次数过多，请 %n 秒后再试", None, wait))
            return
        auth = self.auth_factory()
        if auth is None:
            self._say(Q.translate("Kiosk", "验证服务不可用"))
            return
        self.buttons["ok"].setEnabled(False)  # until the answer
        opened = self._opened
        tasks().run(auth.login_at_kiosk, self.number, self.pin, owner=self).on_done(
            lambda session: opened == self._opened and self._signed_in(session)).on_error(
            lambda exc: opened == self._opened and self._refused(exc))

    def _refused(self, exc: BaseException) -> None:
        """AuthError: its code in the screen's language (anything else as the error says it)."""
        self.backoff.failed()
        self.pin, self.field = "", "pin"
        self._show_fields()
        if "ok" in self.buttons:
            self.buttons["ok"].setEnabled(True)
        self._say(error_text(exc, english=self._english()))

    def _signed_in(self, session) -> None:  # type: ignore[no-untyped-def]
        self.backoff.succeeded()
        self.pin, self.session = "", session
        log.info("staff %s unlocked the kiosk", session.name)
        self._build()

    def _exit(self) -> None:
        session = self.session
        self.close_overlay()
        self.exit_kiosk.emit(session)

    def _editor(self) -> None:
        session = self.session
        self.close_overlay()
        self.open_editor.emit(session)

    def _relock(self) -> None:
        self.close_overlay()
        self.relock.emit()

    def _quit(self) -> None:
        self.close_overlay()
        self.close_app.emit()
