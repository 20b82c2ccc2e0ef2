"""Staff exit: a hidden gesture (kiosk/ui/resident/tap_gesture.py), then a staff PIN.

Any staff role may leave the kiosk; the login is checked and audited by AuthService, which
also locks an account after repeated wrong PINs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication as Q
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.ui.resident.common import label
from kiosk.ui.widgets.tiles import clear_layout

log = logging.getLogger(__name__)


class StaffOverlay(QFrame):
    """Covers the kiosk: pick your name, enter the PIN, then choose what to do."""

    exit_kiosk = Signal()
    close_app = Signal()
    open_editor = Signal(object)  # the signed-in StaffSession

    def __init__(self, parent: QWidget, auth_factory: Callable[[], object | None]):
        super().__init__(parent)
        self.setObjectName("staff-overlay")
        self.setProperty("role", "overlay")
        self.auth_factory = auth_factory
        self.name = ""
        self.pin = ""
        self.session = None
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

    def open(self) -> None:
        self.name, self.pin, self.session = "", "", None
        self.setGeometry(self.parentWidget().rect())
        self._build()
        self.show()
        self.raise_()

    def close_overlay(self) -> None:
        self.name, self.pin, self.session = "", "", None
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
        if self.session is not None:
            self._build_menu()
            return
        self.col.addWidget(label(Q.translate("Kiosk", "工作人员验证"), "title"))
        auth = self.auth_factory()
        names: list[str] = []
        if auth is not None:
            try:
                names = auth.staff_names()
            except Exception:
                log.exception("could not list staff")
        if not names:
            self.col.addWidget(label(Q.translate("Kiosk", "还没有工作人员账户。请在电脑上运行 yizhan staff add 创建。"), "body"))
        else:
            self.col.addWidget(label(Q.translate("Kiosk", "请选择您的名字："), "muted"))
            grid = QGridLayout()
            grid.setSpacing(10)
            for i, name in enumerate(names[:12]):
                b = self._button(name, f"name-{i}", lambda n=name: self._pick(n))
                b.setCheckable(True)
                b.setChecked(name == self.name)
                grid.addWidget(b, i // 4, i % 4)
            self.col.addLayout(grid)
        shown = "●" * len(self.pin) or Q.translate("Kiosk", "请输入 PIN")
        self.pin_label = label(shown, "h2")
        self.pin_label.setObjectName("staff-pin")
        self.pin_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.col.addWidget(self.pin_label)
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

    def _build_menu(self) -> None:
        self.col.addWidget(label(Q.translate("Kiosk", "已验证：%1").replace("%1", self.session.name), "title"))
        self.col.addWidget(self._button(Q.translate("Kiosk", "退出自助模式（窗口显示）"), "exit",
                                        self._exit, "primary"))
        if self.session.can("content"):
            self.col.addWidget(self._button(Q.translate("Kiosk", "内容编辑（办事指南、公示）"), "editor",
                                            self._editor))
        self.col.addWidget(self._button(Q.translate("Kiosk", "关闭程序"), "quit", self._quit))
        self.col.addWidget(self._button(Q.translate("Kiosk", "返回自助服务"), "cancel", self.close_overlay))

    def _pick(self, name: str) -> None:
        self.name = name
        for b in self.buttons.values():
            if b.isCheckable():
                b.setChecked(b.text() == name)

    def _digit(self, d: str) -> None:
        if len(self.pin) < 8:
            self.pin += d
        self.pin_label.setText("●" * len(self.pin))

    def _back(self) -> None:
        self.pin = self.pin[:-1]
        self.pin_label.setText("●" * len(self.pin) or Q.translate("Kiosk", "请输入 PIN"))

    def _clear(self) -> None:
        self.pin = ""
        self.pin_label.setText(Q.translate("Kiosk", "请输入 PIN"))

    def _login(self) -> None:
        if not self.name:
            self._build(Q.translate("Kiosk", "请先选择您的名字"))
            return
        auth = self.auth_factory()
        if auth is None:
            self._build(Q.translate("Kiosk", "验证服务不可用"))
            return
        try:
            self.session = auth.login(self.name, self.pin)
        except Exception as exc:  # AuthError: a Chinese message for the screen
            self.pin = ""
            self._build(str(exc))
            return
        self.pin = ""
        log.info("staff %s unlocked the kiosk", self.session.name)
        self._build()

    def _exit(self) -> None:
        self.close_overlay()
        self.exit_kiosk.emit()

    def _editor(self) -> None:
        session = self.session
        self.close_overlay()
        self.open_editor.emit(session)

    def _quit(self) -> None:
        self.close_overlay()
        self.close_app.emit()
