"""Staff login for the editor: pick your name, type your PIN. The PIN never leaves this
widget except to AuthService.login, and the field is cleared after every try. The login writes
the audit log (and a failed one the account's count), so it runs off the GUI thread
(kiosk/ui/tasks.py); the button waits for the answer."""

from __future__ import annotations

import logging

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from kiosk.services.auth import AuthError, AuthService, StaffSession
from kiosk.ui.editor.forms import ERROR_STYLE, plain_label
from kiosk.ui.tasks import tasks

log = logging.getLogger(__name__)


class LoginWidget(QWidget):
    logged_in = Signal(object)  # StaffSession

    def __init__(self, auth: AuthService, permission: str | None = "content"):
        super().__init__()
        self.auth = auth
        self.permission = permission
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = plain_label("工作人员登录")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setStyleSheet("font-size: 20pt; font-weight: bold;")
        layout.addWidget(title)
        form = QFormLayout()
        self.name = QComboBox()
        self.name.setObjectName("login_name")
        self.name.setEditable(True)
        self.name.addItems(auth.staff_names(permission))
        form.addRow("姓名", self.name)
        self.pin = QLineEdit()
        self.pin.setObjectName("login_pin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setValidator(QRegularExpressionValidator(QRegularExpression("[0-9]{0,8}")))
        self.pin.returnPressed.connect(self.submit)
        form.addRow("PIN", self.pin)
        layout.addLayout(form)
        self.button = QPushButton("登录")
        self.button.setObjectName("btn_login")
        self.button.clicked.connect(self.submit)
        layout.addWidget(self.button)
        self.error = plain_label()
        self.error.setObjectName("login_error")
        self.error.setStyleSheet(ERROR_STYLE)
        layout.addWidget(self.error)
        layout.addStretch(2)
        self.session: StaffSession | None = None

    def submit(self) -> None:
        if not self.button.isEnabled():  # a login on its way (Enter pressed again meanwhile)
            return
        pin, self_pin = self.pin.text(), self.pin
        self_pin.clear()
        self.button.setEnabled(False)  # until the answer
        tasks().run(self.auth.login, self.name.currentText(), pin, owner=self).on_done(self._signed_in) \
            .on_error(self._refused)

    def _refused(self, exc: BaseException) -> None:
        self.button.setEnabled(True)
        if isinstance(exc, AuthError):
            self.error.setText(str(exc))
        else:  # the cache itself failed (a lock held too long): no answer either way
            log.error("the editor login could not be checked", exc_info=exc)
            self.error.setText(f"暂时无法登录，请稍后再试：{exc}")

    def _signed_in(self, session: StaffSession) -> None:
        self.button.setEnabled(True)
        if self.permission and not session.can(self.permission):
            self.error.setText("此账户没有编辑内容的权限 (this account cannot edit content)")
            return
        self.error.setText("")
        self.session = session
        self.logged_in.emit(session)
