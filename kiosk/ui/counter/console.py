"""The counter console (窗口叫号终端): a clerk logs in to a window with a PIN and calls residents.

Works through a `kiosk.lan.client.CounterClient`, so the same widget runs inside the hall app
(LocalCounterClient) and on a clerk's own PC against the hall's LAN API (RemoteCounterClient).
It polls the window's state once a second; when the hall PC stops answering it says so,
disables the buttons and keeps retrying until the hall is back. Against a remote hall every
call runs on a worker thread, so the window never waits for the network. An action whose answer
was lost is never sent again: the console asks the hall what became of it once the hall answers
(kiosk/lan/once.py) and tells the clerk.
At its first answer the hall also tells the console its time zone and this window's name; a
window the hall does not have, or a hall token it refuses, shows on the login page (login is off
until the hall says otherwise), so the console can open before the hall was ever reached.

Keys: F1 叫下一位, F2 重呼, F3 过号, F4 转移, F5 办结, F6 挂起, F7 指定叫号, F8 暂停/恢复.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.lan.client import (
    ActionNotDone,
    ActionUnconfirmed,
    CounterClient,
    HallStatus,
    HallUnreachable,
    LoginError,
    ReprintResult,
    Staff,
)
from kiosk.services.queue import QueueError
from kiosk.services.queue_views import TicketView, WindowState
from kiosk.ui.tasks import tasks

log = logging.getLogger(__name__)

POLL_MS = 1000
STATUS_EVERY = 3  # polls between status (sync/board/printer) refreshes
LOST = "与大厅主机失去连接，正在重连…"

STYLE = """
QWidget#console { background: #eef2f6; }
QLabel#title { font-size: 20pt; font-weight: bold; color: #0b3d75; }
QLabel#ticket { font-size: 72pt; font-weight: bold; color: #c62828; }
QLabel#ticketInfo { font-size: 14pt; color: #1b1f24; }
QLabel#banner { font-size: 13pt; padding: 6px 10px; border-radius: 4px; }
QLabel#status { font-size: 11pt; padding: 2px 8px; border-radius: 3px; background: #dfe6ee; }
QLabel#stats { font-size: 13pt; color: #1b1f24; }
QFrame#card { background: #ffffff; border: 1px solid #c9d2dc; border-radius: 6px; }
QPushButton { font-size: 14pt; padding: 10px 12px; min-height: 44px; }
QPushButton#primary { background: #0b5cad; color: #ffffff; font-weight: bold; }
QPushButton:disabled { color: #9aa3ad; }
QPushButton#primary:disabled { background: #c5d0db; color: #f4f6f8; }
QTableWidget { font-size: 13pt; }
"""

ACTIONS = [  # (key, label, shortcut, method)
    ("next", "叫下一位", "F1", "call_next"),
    ("recall", "重呼", "F2", "recall"),
    ("skip", "过号", "F3", "skip"),
    ("transfer", "转移", "F4", "transfer_dialog"),
    ("finish", "办结", "F5", "finish"),
    ("hold", "挂起", "F6", "hold"),
    ("pick", "指定叫号", "F7", "call_ticket_dialog"),
    ("pause", "暂停服务", "F8", "toggle_pause"),
]


def _hm(value: datetime | None, tz: Any) -> str:
    return value.astimezone(tz).strftime("%H:%M") if value else ""


class LoginPage(QWidget):
    """Staff name + PIN for one window."""

    def __init__(self, console: CounterConsole):
        super().__init__()
        self.console = console
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        card = QFrame(objectName="card")
        card.setMaximumWidth(560)
        form = QFormLayout(card)
        form.setContentsMargins(32, 24, 32, 24)
        self.heading = QLabel(objectName="title")
        form.addRow(self.heading)
        self.where = QLabel()
        self.where.setStyleSheet("color: #4f5965; font-size: 11pt;")
        form.addRow(self.where)
        self.name = QComboBox()
        self.name.setEditable(True)
        self.name.setMinimumHeight(44)
        form.addRow(self.tr("工作人员"), self.name)
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText(self.tr("4–8 位数字 PIN"))
        self.pin.setMinimumHeight(44)
        self.pin.returnPressed.connect(self.submit)
        form.addRow("PIN", self.pin)
        self.button = QPushButton(self.tr("登录"), objectName="primary")
        self.button.clicked.connect(self.submit)
        form.addRow(self.button)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828; font-size: 12pt;")
        form.addRow(self.message)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    def load_names(self, names: list[str]) -> None:
        current = self.name.currentText()
        self.name.clear()
        self.name.addItems(names)
        if current:
            self.name.setCurrentText(current)
        if not names:  # e.g. a cache rebuilt without any account: sign-in stays off until one is made
            self.message.setText(self.tr("没有可登录的工作人员账户。请在大厅主机上运行 yizhan staff add 姓名 --role head 创建。"))

    def submit(self) -> None:
        self.console.login(self.name.currentText().strip(), self.pin.text().strip())


def dialog_buttons(dialog: QDialog, accept: str) -> QDialogButtonBox:
    """A dialog's buttons in the console's language, saying what they do: Qt's standard Ok and
    Cancel are English words unless a Qt translation is installed, which the hall does not ship."""
    buttons = QDialogButtonBox()
    ok = buttons.addButton(accept, QDialogButtonBox.ButtonRole.AcceptRole)
    ok.setObjectName("dialog-accept")
    cancel = buttons.addButton(QCoreApplication.translate("Console", "取消"), QDialogButtonBox.ButtonRole.RejectRole)
    cancel.setObjectName("dialog-cancel")
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class TransferDialog(QDialog):
    """Pick a business and/or a window to send the ticket to."""

    def __init__(self, parent: QWidget, businesses: list[Any], windows: list[Any], own_window: int):
        super().__init__(parent)
        self.setWindowTitle(self.tr("转移号码"))
        form = QFormLayout(self)
        self.business = QComboBox()
        self.business.addItem(self.tr("（业务不变）"), None)
        for b in businesses:
            self.business.addItem(f"{b.prefix} {b.name}", b.code)
        self.window = QComboBox()
        self.window.addItem(self.tr("（任一办理该业务的窗口）"), None)
        for w in windows:
            if w.number != own_window:
                self.window.addItem(f"{w.number}号 {w.name}", w.number)
        form.addRow(self.tr("转到业务"), self.business)
        form.addRow(self.tr("转到窗口"), self.window)
        form.addRow(dialog_buttons(self, self.tr("转移")))

    def choice(self) -> tuple[str | None, int | None]:
        return self.business.currentData(), self.window.currentData()


class CallTicketDialog(QDialog):
    """Call one ticket out of order: the number and a reason for the log."""

    def __init__(self, parent: QWidget, label: str = ""):
        super().__init__(parent)
        self.setWindowTitle(self.tr("指定叫号"))
        form = QFormLayout(self)
        self.label = QLineEdit(label)
        self.label.setPlaceholderText("A023")
        self.reason = QComboBox()
        self.reason.setEditable(True)
        self.reason.addItems(["", "过号回呼", "老人/残疾人优先", "材料补齐后回来", "预约"])
        form.addRow(self.tr("号码"), self.label)
        form.addRow(self.tr("原因（记入日志）"), self.reason)
        form.addRow(dialog_buttons(self, self.tr("叫号")))


class WorkPage(QWidget):
    def __init__(self, console: CounterConsole):
        super().__init__()
        self.console = console
        root = QVBoxLayout(self)

        top = QHBoxLayout()
        self.title = QLabel(objectName="title")
        top.addWidget(self.title, 1)
        self.logout = QPushButton(self.tr("退出登录"))
        self.logout.clicked.connect(console.logout)
        top.addWidget(self.logout)
        root.addLayout(top)

        statuses = QHBoxLayout()
        self.connection = QLabel(objectName="status")
        self.sync = QLabel(objectName="status")
        self.board = QLabel(objectName="status")
        self.printer = QLabel(objectName="status")
        self.voice = QLabel(objectName="status")
        for w in (self.connection, self.sync, self.board, self.printer, self.voice):
            statuses.addWidget(w)
        statuses.addStretch(1)
        root.addLayout(statuses)
        self.qr_warning = QLabel(objectName="status")
        self.qr_warning.setWordWrap(True)
        self.qr_warning.setStyleSheet("background: #fff4d6; color: #7a4b00;")
        self.qr_warning.hide()
        root.addWidget(self.qr_warning)

        self.banner = QLabel(objectName="banner")
        self.banner.setWordWrap(True)
        # Its place is kept while hidden: the buttons below never jump when a banner comes or goes.
        keep = self.banner.sizePolicy()
        keep.setRetainSizeWhenHidden(True)
        self.banner.setSizePolicy(keep)
        self.banner.setText("大厅")  # one line of Chinese tall from the start, styled as when shown
        self.banner.setStyleSheet("background: #d7f0db; color: #1b5e20;")
        self.banner.hide()
        root.addWidget(self.banner)

        body = QHBoxLayout()
        left = QFrame(objectName="card")
        lv = QVBoxLayout(left)
        caption = QLabel(self.tr("当前号码"))
        caption.setStyleSheet("font-size: 13pt; color: #4f5965;")
        lv.addWidget(caption)
        self.ticket = QLabel("—", objectName="ticket")
        self.ticket.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lv.addWidget(self.ticket)
        self.ticket_info = QLabel(objectName="ticketInfo")
        self.ticket_info.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ticket_info.setWordWrap(True)
        lv.addWidget(self.ticket_info)
        grid = QGridLayout()
        self.buttons: dict[str, QPushButton] = {}
        for i, (key, text, shortcut, method) in enumerate(ACTIONS):
            b = QPushButton(f"{text}  {shortcut}", objectName="primary" if key == "next" else "")
            b.clicked.connect(getattr(console, method))
            grid.addWidget(b, i // 2, i % 2)
            self.buttons[key] = b
        lv.addLayout(grid)
        self.reprint = QPushButton(self.tr("补打号票"))
        self.reprint.clicked.connect(console.reprint_current)
        lv.addWidget(self.reprint)
        lv.addStretch(1)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("font-size: 12pt;")
        lv.addWidget(self.message)
        body.addWidget(left, 2)

        right = QVBoxLayout()
        self.tabs = QTabWidget()
        self.waiting = self._table([self.tr("号码"), self.tr("业务"), self.tr("优先"), self.tr("取号"),
                                    self.tr("已等(分)")])
        self.skipped = self._table([self.tr("号码"), self.tr("业务"), self.tr("叫过(次)"), self.tr("过号时间")])
        self.held = self._table([self.tr("号码"), self.tr("业务"), self.tr("挂起前叫号")])
        self.tabs.addTab(self.waiting, self.tr("等候"))
        self.tabs.addTab(self.skipped, self.tr("过号"))
        self.tabs.addTab(self.held, self.tr("挂起"))
        right.addWidget(self.tabs, 1)
        row = QHBoxLayout()
        self.pick = QPushButton(self.tr("叫选中的号"))
        self.pick.clicked.connect(console.call_selected)
        self.back = QPushButton(self.tr("过号回队"))
        self.back.clicked.connect(console.return_selected)
        self.resume_held = QPushButton(self.tr("恢复挂起"))
        self.resume_held.clicked.connect(console.bring_back_selected)
        for w in (self.pick, self.back, self.resume_held):
            row.addWidget(w)
        right.addLayout(row)
        self.stats = QLabel(objectName="stats")
        right.addWidget(self.stats)
        body.addLayout(right, 3)
        root.addLayout(body, 1)

    def _table(self, headers: list[str]) -> QTableWidget:
        t = QTableWidget(0, len(headers))
        t.setHorizontalHeaderLabels(headers)
        t.verticalHeader().hide()
        t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        t.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        t.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        return t


@dataclass
class Poll:
    """What one poll brought back (built on the worker thread: plain values only)."""

    names: list[str] | None = None  # the login page's staff names
    state: WindowState | None = None
    status: HallStatus | None = None
    timezone: str = ""  # the hall's, when the console did not know it yet
    windows: list[Any] | None = None  # the hall's windows (WindowInfo), until this one was found


def fetch(client: CounterClient, window: int, *, logged_in: bool, status: bool, timezone: bool,
          windows: bool = False) -> Poll:
    """One poll of the hall (on the worker thread for a remote hall)."""
    poll = Poll()
    if timezone and hasattr(client, "ping"):
        poll.timezone = client.ping().get("timezone") or ""
    if windows:
        poll.windows = client.windows()
    if not logged_in:
        poll.names = client.staff_names()
        return poll
    poll.state = client.window_state(window)
    if status:
        poll.status = client.status()
    return poll


def transfer_lists(client: CounterClient) -> tuple[list[Any], list[Any]]:
    return client.businesses(), client.windows()


@dataclass
class Unconfirmed:
    """An action sent to the hall whose answer was lost: settled when the hall answers again."""

    what: str
    error: ActionUnconfirmed
    staff: Staff
    done: Callable[[Any], None]


class CounterConsole(QWidget):
    """One window's console. `client` is local or remote; `window_number` is fixed per console.

    Calls to a remote hall run off the GUI thread on the app's task runner (kiosk/ui/tasks.py),
    one at a time and in order (an action, then the refresh after it). One action at a time: while it is on its way the action
    buttons are off, so a second press cannot call the next resident twice.
    """

    reconnected_banner_ms = 5000  # how long "已重新连接大厅主机" stays
    # (kind, message) each time the hall's verdict on this console changes, on the GUI thread:
    # kind "" (the hall answered and has this window), "window" (it has no such window) or
    # "token" (it refused the hall token). Nothing is emitted while the hall does not answer.
    hall_checked = Signal(str, str)

    def __init__(self, client: CounterClient, window_number: int, *, tz: Any = UTC, poll: bool = True,
                 now: Any = None):
        super().__init__()
        self.now = now or (lambda: datetime.now(UTC))  # for "waited minutes"; demos pass their clock
        self.setObjectName("console")
        self.setStyleSheet(STYLE)
        self.client = client
        self.window_number = window_number
        self._tz_known = tz is not None  # None: the hall's, learnt at the first answer
        # until then this PC's own zone (the hall is in the same building), for "lost since"
        self.tz = tz if tz is not None else datetime.now().astimezone().tzinfo
        self.window_name = ""  # the hall's name for this window, once it answered
        self._window_known = False
        self.problem: str | None = None  # None: no answer yet; "": fine; else why login is off
        self.problem_kind = ""
        self.staff: Staff | None = None
        self.state: WindowState | None = None
        self.connected: bool | None = None
        self.lost_at: datetime | None = None
        self.busy = ""  # the action on its way to the hall ("叫下一位"), or ""
        self.unconfirmed: Unconfirmed | None = None
        self._polls = 0
        self._polling = False
        self._names_loaded = False
        self._gen = 0  # +1 at each login/logout: answers for the previous clerk are dropped
        # Every call to the hall, in process too (a counter action can wait seconds for the
        # cache's write lock, and the kiosk shares this GUI thread): one at a time, in order.
        self.calls = tasks().lane(owner=self)
        self.setWindowTitle(f"一站 · {window_number}号窗口叫号 · {client.description}")
        self.stack = QStackedWidget()
        self.login_page = LoginPage(self)
        self.work = WorkPage(self)
        self.stack.addWidget(self.login_page)
        self.stack.addWidget(self.work)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)
        for _key, _text, shortcut, method in ACTIONS:
            sc = QShortcut(QKeySequence(shortcut), self)
            sc.activated.connect(getattr(self, method))
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self._poll = poll
        self._show_login()
        if poll:
            self.timer.start(POLL_MS)

    # -- calls to the hall ------------------------------------------------------------------

    def _submit(self, handler: Callable[[Any, BaseException | None], None], fn: Callable[..., Any],
                *args: Any, **kwargs: Any) -> None:
        """Call `fn` (a client method or a plain function of the client: never anything holding
        a widget) off the GUI thread; `handler(result, exception)` runs on the GUI thread."""
        self.calls.run(fn, *args, **kwargs).on_done(lambda r: handler(r, None)) \
            .on_error(lambda e: handler(None, e))

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.timer.stop()  # a closed console stops asking the hall; shown again, it starts again
        super().closeEvent(event)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        if self._poll and not self.timer.isActive():
            self.timer.start(POLL_MS)
        super().showEvent(event)

    # -- login ------------------------------------------------------------------------------

    def _show_login(self, message: str = "") -> None:
        self.staff = None
        self._gen += 1
        self.login_page.heading.setText(" ".join(filter(None, [f"{self.window_number}号窗口", self.window_name, "登录"])))
        self.login_page.where.setText(f"大厅主机：{self.client.description}")
        self.login_page.pin.clear()
        self.login_page.message.setText(message)
        self.stack.setCurrentWidget(self.login_page)
        self._update_buttons()
        self.refresh()

    def login(self, name: str, pin: str) -> bool:
        """Log in; True once logged in (at once in process, else when the hall answers)."""
        if not name or not pin:
            self.login_page.message.setText("请选择工作人员并输入 PIN")
            return False
        if self.problem:
            self.login_page.message.setText(self.problem)
            return False
        if self.busy:
            return False
        if self.connected is False:
            self.login_page.message.setText(LOST + "暂时无法登录")
            return False
        self.busy = "登录"
        self.login_page.message.setText("正在登录…")
        self._update_buttons()
        self._submit(self._logged_in, self.client.login, name, pin)
        return self.staff is not None

    def _logged_in(self, staff: Staff | None, exc: BaseException | None) -> None:
        self.busy = ""
        self._update_buttons()
        if exc is not None:
            if isinstance(exc, HallUnreachable):
                self._set_connected(False, str(exc))
            elif not isinstance(exc, LoginError | QueueError):
                log.error("login failed", exc_info=exc)
            self.login_page.message.setText(str(exc))
            self.login_page.pin.clear()
            return
        self._set_connected(True)
        self.staff = staff
        self._gen += 1
        self.state = None
        self.stack.setCurrentWidget(self.work)
        self._polls = 0
        self.refresh()

    def logout(self) -> None:
        self._show_login(f"{self.staff.name if self.staff else ''} 已退出")

    # -- refresh ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Poll the hall: this window's state every time, sync/board/printer every few polls;
        on the login page the staff names until they are in. One poll at a time."""
        if self._polling:
            return
        logged_in = self.staff is not None
        if not logged_in and self._names_loaded and self.connected and self._window_known:
            return  # the login page has what it needs
        self._polling = True
        gen = self._gen
        self._submit(lambda result, exc: self._polled(gen, result, exc), fetch, self.client, self.window_number,
                     logged_in=logged_in, status=logged_in and self._polls % STATUS_EVERY == 0,
                     timezone=not self._tz_known, windows=not self._window_known)

    def _polled(self, gen: int, poll: Poll | None, exc: BaseException | None) -> None:
        self._polling = False
        if isinstance(exc, HallUnreachable):
            self._set_connected(False, str(exc))
            return
        if exc is not None and not isinstance(exc, LoginError | QueueError):
            log.error("polling the hall failed", exc_info=exc)
            self._set_connected(False, f"{type(exc).__name__}: {exc}")
            return
        self._set_connected(True)
        if isinstance(exc, LoginError):
            if self.staff is not None and gen == self._gen:  # the hall restarted and forgot the session
                self._show_login(str(exc))
            elif self.staff is None:
                self.login_page.message.setText(str(exc))  # e.g. a wrong hall token
                if not self._window_known:  # never accepted yet: the token, not a lost login
                    self._set_problem("token", str(exc))
            return
        if gen != self._gen:
            return  # asked for the clerk before a login or logout: the next poll is for this one
        if isinstance(exc, QueueError):
            self.say(str(exc), error=True)
            return
        assert poll is not None
        if poll.timezone:
            try:
                self.tz, self._tz_known = ZoneInfo(poll.timezone), True
            except (ValueError, KeyError):
                log.warning("the hall's time zone %r is unknown here", poll.timezone)
                self._tz_known = True
        if poll.windows is not None:
            self._find_window(poll.windows)
        if poll.names is not None:
            self.login_page.load_names(poll.names)
            self._names_loaded = True
        if poll.state is not None:
            self._polls += 1
            self.show_state(poll.state)
        if poll.status is not None:
            self._show_status(poll.status)

    def _find_window(self, windows: list[Any]) -> None:
        """The hall's list of windows came: this window's name, or why the clerk cannot log in."""
        mine = next((w for w in windows if w.number == self.window_number), None)
        if mine is None:  # asked again at every poll: the hall's admin may still add it
            numbers = "、".join(str(w.number) for w in windows) or "无"
            self._set_problem("window", f"大厅主机没有 {self.window_number} 号窗口（现有窗口：{numbers}），"
                                        "请检查 counter 的 --window")
            return
        self._window_known = True
        self.window_name = mine.name
        self.setWindowTitle(f"一站 · {self.window_number}号窗口 {mine.name} 叫号 · {self.client.description}")
        if self.staff is None:
            self.login_page.heading.setText(f"{self.window_number}号窗口 {mine.name} 登录")
        self._set_problem("", "")  # also clears a refused token: the hall answered this time

    def _set_problem(self, kind: str, message: str) -> None:
        """What the hall said about this console: "" fine, else a message that stays on the login page."""
        if message == self.problem:
            return
        old, self.problem, self.problem_kind = self.problem, message, kind
        if message:
            self.login_page.message.setText(message)
        elif old and self.login_page.message.text() == old:
            self.login_page.message.setText("")
        self._update_buttons()
        self.hall_checked.emit(kind, message)

    def _set_connected(self, ok: bool, detail: str = "") -> None:
        w = self.work
        was = self.connected
        self.connected = ok
        if ok:
            self.lost_at = None
            if was is False:
                self.banner("已重新连接大厅主机", ok=True)
                # bound to the banner: the timer dies with the console if it closes first
                QTimer.singleShot(self.reconnected_banner_ms, self.work.banner, self._hide_reconnected)
                if self.login_page.message.text().startswith(LOST):
                    self.login_page.message.setText("")
            w.connection.setText("大厅主机：已连接" if self.client.description == "本机" else
                                 f"大厅主机：已连接 {self.client.description}")
            w.connection.setStyleSheet("background: #d7f0db; color: #1b5e20;")
            self.login_page.where.setText(f"大厅主机：{self.client.description}")
            self.login_page.where.setStyleSheet("color: #4f5965; font-size: 11pt;")
            if self.unconfirmed is not None and not self.busy:
                self._settle()
        else:
            if self.lost_at is None:
                self.lost_at = self.now()
            since = f"自 {_hm(self.lost_at, self.tz)} 起；" if was is not None else ""
            self.banner(f"{LOST}（{since}{detail}）", ok=False)
            w.connection.setText("大厅主机：未连接")
            w.connection.setStyleSheet("background: #fbd9d9; color: #b71c1c;")
            # The hall's last answer is no longer true: say that nothing is known until it answers.
            for label, name in ((w.sync, "同步"), (w.board, "LED屏"), (w.printer, "打印机"), (w.voice, "语音")):
                label.setText(f"{name}：未知")
                label.setStyleSheet("color: #6b7280;")
            self.login_page.where.setText(f"大厅主机：{self.client.description} · 未连接，正在重连…")
            self.login_page.where.setStyleSheet("color: #b71c1c; font-size: 11pt;")
            if self.staff is None and not self.login_page.message.text():
                self.login_page.message.setText(LOST)
        self._update_buttons()

    def _update_buttons(self) -> None:
        w = self.work
        free = bool(self.connected) and not self.busy
        for b in [*w.buttons.values(), w.reprint, w.pick, w.back, w.resume_held]:
            b.setEnabled(free and self.unconfirmed is None)
        if self.state is not None and self.state.paused:  # a paused window calls nobody
            w.buttons["next"].setEnabled(False)
        self.login_page.button.setEnabled(self.connected is not False and not self.busy and not self.problem)

    def _hide_reconnected(self) -> None:
        if self.connected:
            self.work.banner.hide()

    def banner(self, text: str, *, ok: bool) -> None:
        b = self.work.banner
        b.setText(text)
        b.setStyleSheet("background: #d7f0db; color: #1b5e20;" if ok else "background: #fbd9d9; color: #b71c1c;")
        b.show()

    def _show_status(self, status: Any) -> None:
        w = self.work
        for label, text, ok in ((w.sync, status.sync_text, status.sync_ok),
                                (w.board, status.board_text, status.board_ok),
                                (w.printer, status.printer_text, not status.printer_alarm),
                                (w.voice, status.voice_text, status.voice_ok)):
            label.setText(text)
            label.setStyleSheet("" if ok else "background: #c62828; color: #ffffff; font-weight: bold;")
        if status.disk_text:  # staff hear of a filling disk well before the cache can no longer write
            w.sync.setText(f"{status.sync_text} · {status.disk_text}")
            w.sync.setStyleSheet("background: #c62828; color: #ffffff; font-weight: bold;")
        w.qr_warning.setText(f"⚠ {status.qr_warning}" if status.qr_warning else "")
        w.qr_warning.setVisible(bool(status.qr_warning))
        self.status = status

    def show_state(self, s: WindowState) -> None:
        self.state = s
        w = self.work
        who = f" · {self.staff.name}" if self.staff else ""
        paused = " · 暂停服务" if s.paused else ""
        w.title.setText(f"{s.number}号窗口 {s.name}{who}{paused}")
        w.buttons["pause"].setText("恢复服务  F8" if s.paused else "暂停服务  F8")
        t = s.current
        if t is None:
            w.ticket.setText("—")
            w.ticket_info.setText("暂停服务中" if s.paused else "没有正在办理的号，按 F1 叫下一位")
        else:
            w.ticket.setText(t.label)
            extra = "（优先）" if t.priority else ""
            w.ticket_info.setText(f"{t.business_name}{extra}\n叫号 {_hm(t.called_at, self.tz)} · 已叫 {t.call_count} 次"
                                  f" · 取号 {_hm(t.issued_at, self.tz)}")
        now = self.now()
        self._fill(w.waiting, [
            [v.label, v.business_name, "优先" if v.priority else "", _hm(v.issued_at, self.tz),
             str(max(0, int((now - v.issued_at).total_seconds() // 60)))] for v in s.waiting])
        self._fill(w.skipped, [[v.label, v.business_name, str(v.call_count), _hm(v.called_at, self.tz)]
                               for v in s.skipped])
        self._fill(w.held, [[v.label, v.business_name, _hm(v.called_at, self.tz)] for v in s.held])
        w.tabs.setTabText(0, f"等候 {s.waiting_total}")
        w.tabs.setTabText(1, f"过号 {len(s.skipped)}")
        w.tabs.setTabText(2, f"挂起 {len(s.held)}")
        avg = f"{s.avg_service_minutes:g} 分钟" if s.avg_service_minutes is not None else "—"
        w.stats.setText(f"今日办结 {s.served_today} 人 · 过号 {s.skipped_today} · 平均办理 {avg} · "
                        f"等候 {s.waiting_total} 人（{'、'.join(s.businesses)}）")
        self._update_buttons()  # 叫下一位 follows the pause

    def _fill(self, table: QTableWidget, rows: list[list[str]]) -> None:
        selected = self._selected_label(table)
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c == 0:
                    item.setData(Qt.ItemDataRole.UserRole, text)
                table.setItem(r, c, item)
            if row[0] == selected:
                table.selectRow(r)

    @staticmethod
    def _selected_label(table: QTableWidget) -> str | None:
        rows = table.selectionModel().selectedRows() if table.selectionModel() else []
        if not rows:
            return None
        item = table.item(rows[0].row(), 0)
        return item.text() if item else None

    def say(self, text: str, *, error: bool = False) -> None:
        self.work.message.setText(text)
        self.work.message.setStyleSheet(f"font-size: 12pt; color: {'#c62828' if error else '#1b5e20'};")

    def tell(self, text: str, *, error: bool = False) -> None:
        """A message on whichever page shows (an answer may come after a logout)."""
        if self.stack.currentWidget() is self.login_page:
            self.login_page.message.setText(text)
        else:
            self.say(text, error=error)

    # -- actions ----------------------------------------------------------------------------

    def _do(self, what: str, fn: Callable[..., Any], *args: Any, done: str | Callable[[Any], None] | None = None,
            **kw: Any) -> None:
        """Send one action; its answer shows when it comes. `what` names it in messages;
        `done` is the message on success (formatted with t=the result) or a function of it."""
        if self.staff is None or self._refused(what):
            return
        if done is None or isinstance(done, str):
            text = done

            def done(result: Any) -> None:
                if text:
                    self.say(text.format(t=result))

        self.busy = what
        self.say(f"正在{what}…")
        self._update_buttons()
        staff, gen = self.staff, self._gen
        self._submit(lambda result, exc: self._acted(what, staff, gen, done, result, exc), fn, staff, *args, **kw)

    def _refused(self, what: str) -> bool:
        """Says why an action cannot go to the hall now (the F-keys work even on a greyed button)."""
        if not self.connected:
            self.say(f"「{what}」未执行：{LOST}", error=True)
        elif self.busy:
            self.say(f"正在{self.busy}，请稍候…")
        elif self.unconfirmed is not None:
            self.say(f"「{self.unconfirmed.what}」的结果还未确认，请稍候…", error=True)
        else:
            return False
        return True

    def _acted(self, what: str, staff: Staff, gen: int, done: Callable[[Any], None], result: Any,
               exc: BaseException | None) -> None:
        self.busy = ""
        if isinstance(exc, ActionUnconfirmed):
            # It may or may not have happened: never send it again; ask the hall once it answers.
            self.unconfirmed = Unconfirmed(what, exc, staff, done)
            self._set_connected(False, str(exc))
            self.tell(f"「{what}」已发出，但大厅主机没有回应，结果未确认。连接恢复后会自动确认，请勿重复操作。",
                      error=True)
            return
        if isinstance(exc, HallUnreachable):
            self._set_connected(False, str(exc))
            self.tell(f"「{what}」未执行：{exc}", error=True)
            return
        if exc is None or isinstance(exc, LoginError | QueueError):
            self._set_connected(True)  # the hall answered (a poll may have timed out meanwhile)
        self._answered(what, gen, done, result, exc)

    def _answered(self, what: str, gen: int, done: Callable[[Any], None], result: Any, exc: BaseException | None,
                  note: str = "") -> None:
        self._update_buttons()
        if isinstance(exc, LoginError):
            self._show_login(str(exc))
            return
        if exc is not None:
            if not isinstance(exc, QueueError):
                log.error("%s failed", what, exc_info=exc)
            self.tell(f"「{what}」未执行：{exc}{note}" if isinstance(exc, ActionNotDone) else f"{exc}{note}",
                      error=True)
        elif gen == self._gen:
            done(result)
            if note:
                self.say(self.work.message.text() + note)
        else:
            self.tell(f"「{what}」已完成{note}")
        self.refresh()

    def _settle(self) -> None:
        """The hall answers again: ask it what became of the unconfirmed action."""
        u = self.unconfirmed
        assert u is not None
        self.busy = "确认上一个操作"
        self._update_buttons()
        self._submit(self._settled, self.client.settle, u.staff, u.error)

    def _settled(self, result: Any, exc: BaseException | None) -> None:
        self.busy = ""
        u, gen = self.unconfirmed, self._gen
        assert u is not None
        if isinstance(exc, HallUnreachable):  # gone again: ask at the next reconnect
            self._set_connected(False, str(exc))
            return
        self.unconfirmed = None
        if isinstance(exc, LoginError):  # a new hall process: it forgot the action with the session
            if self.staff is not None:
                self._show_login()
            self.tell(f"大厅主机已重启，「{u.what}」是否已完成无法确认，请登录后查看当前号码", error=True)
            self._update_buttons()
            return
        same = self.staff is not None and self.staff.session == u.staff.session
        self._answered(u.what, gen if same else -1, u.done, result, exc,
                       note="（连接恢复后确认）" if exc is None else "")

    def call_next(self) -> None:
        def done(t: TicketView | None) -> None:
            self.say(f"已叫 {t.label}" if t is not None else "没有人等候")

        self._do("叫下一位", self.client.call_next, self.window_number, done=done)

    def recall(self) -> None:
        self._do("重呼", self.client.recall, self.window_number, done="已重呼 {t.label}")

    def skip(self) -> None:
        self._do("过号", self.client.skip, self.window_number, done="{t.label} 已过号")

    def finish(self) -> None:
        self._do("办结", self.client.finish, self.window_number, done="{t.label} 已办结")

    def hold(self) -> None:
        self._do("挂起", self.client.hold, self.window_number, done="{t.label} 已挂起，可在“挂起”中恢复")

    def transfer(self, business_code: str | None, to_window: int | None) -> None:
        self._do("转移", self.client.transfer, self.window_number, business_code=business_code, to_window=to_window,
                 done="{t.label} 已转移")

    def transfer_dialog(self) -> None:
        if self.staff is None or self._refused("转移"):
            return
        if self.state is None or self.state.current is None:
            self.say(f"{self.window_number}号窗口当前没有正在办理的号", error=True)
            return
        self.busy = "读取业务和窗口"
        self._update_buttons()
        self._submit(self._transfer_lists, transfer_lists, self.client)

    def _transfer_lists(self, lists: tuple[list[Any], list[Any]] | None, exc: BaseException | None) -> None:
        self.busy = ""
        self._update_buttons()
        if isinstance(exc, HallUnreachable):
            self._set_connected(False, str(exc))
            self.say(f"「转移」未执行：{exc}", error=True)
            return
        if exc is not None:
            self.say(str(exc), error=True)
            return
        if self.staff is None or not self.connected:
            return
        assert lists is not None
        dialog = TransferDialog(self, *lists, self.window_number)
        self._open_dialog = dialog
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.transfer(*dialog.choice())

    def call_ticket(self, label: str, reason: str) -> None:
        self._do("指定叫号", self.client.call_ticket, self.window_number, label, reason, done="已叫 {t.label}")

    def call_ticket_dialog(self, label: str = "") -> None:
        if self.staff is None or self._refused("指定叫号"):
            return
        dialog = CallTicketDialog(self, label or "")
        self._open_dialog = dialog
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.call_ticket(dialog.label.text().strip(), dialog.reason.currentText())

    def call_selected(self) -> None:
        table = self.work.tabs.currentWidget()
        label = self._selected_label(table) if isinstance(table, QTableWidget) else None
        if label is None:
            self.say("请先在列表中选中一个号", error=True)
            return
        self.call_ticket_dialog(label)

    def return_selected(self) -> None:
        label = self._selected_label(self.work.skipped)
        if label is None:
            self.say("请先在“过号”列表中选中一个号", error=True)
            return
        self._do("过号回队", self.client.return_skipped, label, done="{t.label} 已回到队列")

    def bring_back_selected(self) -> None:
        label = self._selected_label(self.work.held)
        if label is None:
            self.say("请先在“挂起”列表中选中一个号", error=True)
            return
        self._do("恢复挂起", self.client.bring_back, self.window_number, label, done="已恢复 {t.label}")

    def toggle_pause(self) -> None:
        if self.state is not None and self.state.paused:
            self._do("恢复服务", self.client.resume, self.window_number, done="已恢复服务")
        else:
            self._do("暂停服务", self.client.pause, self.window_number, done="已暂停服务，LED屏显示“暂停服务”")

    def reprint_current(self) -> None:
        table = self.work.tabs.currentWidget()
        label = self._selected_label(table) if isinstance(table, QTableWidget) else None
        if label is None and self.state is not None and self.state.current is not None:
            label = self.state.current.label
        if label is None:
            self.say("请选中要补打的号", error=True)
            return

        def done(r: ReprintResult) -> None:
            self.say(r.message, error=not r.printed)

        self._do("补打号票", self.client.reprint, label, done=done)
