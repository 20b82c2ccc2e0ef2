"""Take a ticket: choose the business (or come from a guide), then see the ticket.

Numbers, people ahead and the wait estimate come from the queue service only; if it fails the
screen says so and shows no number at all.

The queue is asked off the GUI thread (kiosk/ui/tasks.py): an issue can wait up to 10 s for the
cache's write lock (a counter's call in progress), and the screen must not freeze meanwhile. The
business pressed stays disabled until the answer (a double tap never takes two tickets), and
after a moment the screen says 正在取号…….
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QCoreApplication as Q
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.services.events import TicketEvent
from kiosk.services.links import hall_public_url, ticket_url
from kiosk.ui.error_text import error_text
from kiosk.ui.resident import priority
from kiosk.ui.resident.common import Screen, english, label, qr_caption
from kiosk.ui.tasks import SLOW_MS, tasks
from kiosk.ui.widgets.qr import QrWidget
from kiosk.ui.widgets.read_aloud_bar import ReadAloudBar
from kiosk.ui.widgets.tiles import BadgeMark, Tile, clear_layout

log = logging.getLogger(__name__)


def waiting_counts(queue) -> list[tuple[str, int, bool]]:  # type: ignore[no-untyped-def]
    """What the chooser shows of each business: people waiting, and whether a window is open."""
    return [(b.code, b.waiting, bool(b.open_windows)) for b in queue.businesses()] if queue is not None else []


class TicketScreen(Screen):
    name = "ticket"

    def __init__(self, kiosk):  # type: ignore[no-untyped-def]
        super().__init__(kiosk)
        self.print_message = ""
        self.print_label = None
        # Calls, skips and new tickets (any console, the LAN API) change the waiting counts and a
        # ticket's people ahead: the queue's events set a flag on their thread; this GUI-thread
        # timer redraws the screen on show within a quarter of a second.
        self._queue_changed = threading.Event()
        self._shown_counts: list[tuple[str, int, bool]] = []
        hall = kiosk.hall
        if hall is not None:
            changed = self._queue_changed  # the bus keeps no reference to this widget
            hall.events.subscribe(TicketEvent, lambda _event: changed.set())
        self._live_timer = QTimer(self)
        self._live_timer.timeout.connect(self._follow_queue)
        self._live_timer.start(250)
        self.body = QVBoxLayout()
        self.body.setSpacing(20)
        self.outer.addLayout(self.body)
        self.qr = QrWidget(side=300)
        self.qr.setObjectName("ticket-qr")
        self.ticket = None  # the IssuedTicket on screen
        self.error = ""
        self.business_buttons: dict[str, Tile] = {}
        self.done_button: QPushButton | None = None
        self.pending = ""  # the business chosen, waiting for 普通号 / 优先号 (priority.py)
        self.issuing = ""  # the business whose ticket the queue is being asked for
        self.kind_buttons: dict[str, QPushButton] = {}
        self._resident = 0  # counts idle resets: an answer for the resident who left is not shown
        self._following = False  # a re-read of the queue is on its way
        self._slow = QTimer(self)  # a moment after the press: say 正在取号……
        self._slow.setSingleShot(True)
        self._slow.setInterval(SLOW_MS)
        self._slow.timeout.connect(self._say_issuing)
        self.read_aloud = ReadAloudBar(self, self._script, name="ticket-read-aloud")  # 读给我听

    def open(self, **params) -> None:  # type: ignore[no-untyped-def]
        self.ticket = None
        self.error = ""
        self.pending = ""
        business = params.get("business")
        if business and priority.allowed(self.kiosk):
            self.pending = business
        elif business:
            self._issue(business)
        super().open(**params)

    def reset(self) -> None:
        super().reset()
        self.ticket = None
        self.error = ""
        self.pending = ""
        self.issuing = ""
        self._slow.stop()
        self._resident += 1

    def _issue(self, business_code: str, wants_priority: bool = False) -> None:
        """Ask the queue for a ticket off the GUI thread; the answer shows the ticket or why not."""
        queue = self.kiosk.queue
        if queue is None:
            self.error = Q.translate("Kiosk", "取号服务暂时不可用，请到服务窗口咨询。")
            return
        if self.issuing:  # one ticket per press: a second tap waits for the first answer
            return
        self.issuing, self.ticket, self.error = business_code, None, ""
        self._enable_choices(False)
        self._slow.start()
        resident = self._resident
        tasks().run(queue.issue_ticket, business_code, priority=wants_priority, owner=self).on_done(
            lambda ticket: self._issued(resident, ticket)).on_error(
            lambda exc: self._not_issued(resident, business_code, exc))

    def _issued(self, resident: int, ticket) -> None:  # type: ignore[no-untyped-def]
        if resident != self._resident:  # the resident left (idle reset): not for the next one's eyes
            log.info("ticket %s was issued after its resident left", ticket.label)
            return
        self.issuing = ""
        self._slow.stop()
        self.ticket, self.error = ticket, ""
        self._print(ticket)
        self.refresh()

    def _not_issued(self, resident: int, business_code: str, exc: BaseException) -> None:
        from kiosk.services.queue import QueueError

        if resident != self._resident:
            return
        self.issuing = ""
        self._slow.stop()
        if isinstance(exc, QueueError):  # its code and parameters, worded in the screen's language
            log.warning("could not issue a ticket for %s: %s", business_code, exc)
            self.error = error_text(exc, english=english(self.kiosk))
        else:
            log.error("issuing a ticket for %s failed", business_code, exc_info=exc)
            self.error = Q.translate("Kiosk", "取号失败，请稍后再试或到服务窗口咨询。")
        self.ticket = None
        self.refresh()

    def _say_issuing(self) -> None:
        if self.issuing:
            self.refresh()

    def _enable_choices(self, on: bool) -> None:
        for button in (*self.business_buttons.values(), *self.kind_buttons.values()):
            button.setEnabled(on)

    def _print(self, ticket) -> None:  # type: ignore[no-untyped-def]
        """Print the paper ticket off the UI thread: a slow or missing printer never freezes the
        screen, and the number is on screen (and committed) whatever the printer does."""
        printer = self.kiosk.hall.printer if self.kiosk.hall is not None else None
        self.print_message = ""
        if printer is None:
            return
        self.print_message = Q.translate("Kiosk", "正在打印号票……")

        def failed(exc: BaseException) -> None:
            log.error("printing ticket %s failed", ticket.label, exc_info=exc)
            self._on_printed(ticket.uid, Q.translate("Kiosk", "号票未能打印，请记下您的号码"))

        # the answer comes back on the GUI thread (kiosk/ui/tasks.py); no Qt object is touched off it
        tasks().run(printer.print_ticket, ticket, owner=self).on_done(
            lambda result: self._on_printed(ticket.uid, result.message)).on_error(failed)

    def _on_printed(self, uid: str, message: str) -> None:
        if self.ticket is not None and self.ticket.uid == uid:
            self.print_message = message
            if self.print_label is not None:
                self.print_label.setText(message)

    def _follow_queue(self) -> None:
        """The queue changed: re-read the ticket or the counts off the GUI thread, redraw if they differ."""
        if self._following or self.issuing or not self._queue_changed.is_set():
            return  # (the flag stays set: read once the answer on its way is in)
        self._queue_changed.clear()
        if self.kiosk.current() is not self or self.error:
            return
        queue, shown = self.kiosk.queue, self.ticket
        if shown is not None:
            fn, args = queue.issued_ticket, (shown.uid,)
        else:
            fn, args = waiting_counts, (queue,)
        self._following = True
        tasks().run(fn, *args, owner=self).on_done(lambda fresh: self._followed(shown, fresh)).on_error(
            self._not_followed)

    def _followed(self, shown, fresh) -> None:  # type: ignore[no-untyped-def]
        self._following = False
        if self.kiosk.current() is not self or self.ticket is not shown or self.error or self.issuing:
            return  # the screen moved on meanwhile
        if shown is not None:
            if (fresh.people_ahead, fresh.estimated_wait_minutes) == (
                    shown.people_ahead, shown.estimated_wait_minutes):
                return  # e.g. our own new ticket: nothing on screen changed
            self.ticket = fresh
        elif fresh == self._shown_counts:
            return
        self.refresh()

    def _not_followed(self, exc: BaseException) -> None:
        self._following = False  # what is on screen stays; only the counts could not be read
        log.error("could not re-read the queue for the ticket screen", exc_info=exc)

    def _business_title(self, tk) -> str:  # type: ignore[no-untyped-def]
        """The business as the chooser names it: its English name on an English screen."""
        if not english(self.kiosk):
            return tk.business_name
        try:
            known = {b.code: b.name_en for b in self.kiosk.queue.businesses()}
        except Exception:
            log.exception("could not read the businesses")
            known = {}
        return known.get(tk.business_code) or tk.business_name

    def _choose(self, business_code: str) -> None:
        if self.issuing:
            return
        if priority.allowed(self.kiosk):
            self.pending = business_code
            self.refresh()
        else:
            self._issue(business_code)
            if not self.issuing:  # refused at once (no queue service): say so
                self.refresh()

    def _choose_kind(self, wants_priority: bool) -> None:
        if self.issuing:
            return
        code, self.pending = self.pending, ""
        self._issue(code, wants_priority)
        if not self.issuing:
            self.refresh()

    def _business_name(self, code: str) -> str:
        try:
            found = [b for b in self.kiosk.queue.businesses() if b.code == code]
        except Exception:
            found = []
        if not found:
            return code
        b = found[0]
        return (b.name_en or b.name) if english(self.kiosk) else b.name

    def _script(self) -> list[str]:
        from kiosk.services.read_aloud import ticket_script

        return ticket_script(self.ticket.label, self.ticket.people_ahead) if self.ticket is not None else []

    def refresh(self) -> None:
        self.qr.setParent(None)
        self.read_aloud.setParent(None)
        clear_layout(self.body)
        self.business_buttons.clear()
        self.kind_buttons = {}
        self.done_button = None
        self.print_label = None
        if self.error:
            self._show_error()
        elif self.ticket is not None:
            self._show_ticket()
        elif self.issuing:
            self._show_issuing()
        elif self.pending:
            self.kind_buttons = priority.show_choice(self.body, self._business_name(self.pending), self._choose_kind)
        else:
            self._show_chooser()

    def _show_issuing(self) -> None:
        """The queue has not answered yet: after a moment, say that the ticket is on its way."""
        waiting = label(Q.translate("Kiosk", "正在取号……") if not self._slow.isActive() else "", "title")
        waiting.setObjectName("ticket-issuing")
        self.body.addWidget(waiting)
        self.body.addStretch(1)

    def _show_error(self) -> None:
        msg = label(self.error, "title")
        msg.setObjectName("ticket-error")
        self.body.addWidget(msg)
        self.body.addWidget(label(Q.translate("Kiosk", "没有取到号码。工作人员会在服务窗口帮您办理。"), "body"))
        self.body.addStretch(1)

    def _show_chooser(self) -> None:
        t = self.kiosk.theme
        en = english(self.kiosk)
        self.body.addWidget(label(Q.translate("Kiosk", "请选择要办理的业务"), "title"))
        self.body.addWidget(label(Q.translate("Kiosk", "不清楚选哪一项？可先查看办事指南，指南页面可直接取号。"), "muted"))
        queue = self.kiosk.queue
        try:
            businesses = queue.businesses() if queue is not None else []
        except Exception:
            log.exception("could not read the businesses")
            businesses = []
        self._shown_counts = [(b.code, b.waiting, bool(b.open_windows)) for b in businesses]  # as waiting_counts
        if not businesses:
            msg = label(Q.translate("Kiosk", "取号服务暂时不可用，请到服务窗口咨询。"), "title")
            msg.setObjectName("ticket-error")
            self.body.addWidget(msg)
            self.body.addStretch(1)
            return
        grid = QGridLayout()
        grid.setSpacing(20)
        columns = 2
        for i, b in enumerate(businesses):
            title = (b.name_en or b.name) if en else b.name
            waiting = Q.translate("Kiosk", "现在等候 %n 人", None, b.waiting)
            sub = f"{b.name} · {waiting}" if en else waiting
            if not b.open_windows:
                sub += " · " + Q.translate("Kiosk", "窗口暂停，号码保留")
            badge = BadgeMark(b.prefix, t.ticket, t.px(92), t.on_ticket)
            tile = Tile(title, sub, badge, theme=t, role="business-tile", small=en)
            tile.setObjectName(f"business-{b.code}")
            tile.clicked.connect(lambda _=False, code=b.code: self._choose(code))
            self.business_buttons[b.code] = tile
            grid.addWidget(tile, i // columns, i % columns)
        self.body.addLayout(grid)
        self.body.addStretch(1)

    def _show_ticket(self) -> None:
        t = self.kiosk.theme
        tk = self.ticket
        card = QFrame()
        card.setProperty("role", "card")
        row = QHBoxLayout(card) if self.kiosk.orientation == "landscape" else QVBoxLayout(card)
        row.setContentsMargins(48, 36, 48, 36)
        row.setSpacing(48)
        info = QVBoxLayout()
        info.setSpacing(10)
        heading = Q.translate("Kiosk", "您的号码")
        if tk.priority:  # on the heading's line: a priority ticket takes no more room
            heading += " · " + priority.ticket_mark()
        info.addWidget(label(heading, "h2"))
        number = label(tk.label, "big-number", wrap=False)
        number.setObjectName("ticket-number")
        number_line = QWidget()  # 读给我听 beside the number, where the eye already is
        number_row = QHBoxLayout(number_line)
        number_row.setContentsMargins(0, 0, 0, 0)
        number_row.setSpacing(36)
        number_row.addWidget(number)
        self.read_aloud.show_state()
        if self.kiosk.orientation == "landscape":
            number_row.addWidget(self.read_aloud, 0, Qt.AlignmentFlag.AlignVCenter)
        number_row.addStretch(1)
        info.addWidget(number_line)
        if self.kiosk.orientation != "landscape":  # under the number: beside it, it is wider than the screen
            info.addWidget(self.read_aloud)
        info.addWidget(label(self._business_title(tk), "title"))
        ahead = label(Q.translate("Kiosk", "前面还有 %n 人", None, tk.people_ahead), "title")
        ahead.setObjectName("ticket-ahead")
        info.addWidget(ahead)
        if tk.people_ahead == 0:
            wait_text = Q.translate("Kiosk", "您是下一位，请留意叫号")
        elif tk.estimated_wait_minutes is None:
            wait_text = Q.translate("Kiosk", "等候时间暂时无法估计")
        else:
            wait_text = Q.translate("Kiosk", "预计等候约 %n 分钟", None, tk.estimated_wait_minutes)
        wait = label(wait_text, "body")
        wait.setObjectName("ticket-wait")
        info.addWidget(wait)
        issued = tk.issued_at.astimezone(self.kiosk.tz)
        info.addWidget(label(Q.translate("Kiosk", "取号时间 %1").replace("%1", f"{issued:%Y-%m-%d %H:%M}"), "muted"))
        info.addWidget(label(Q.translate("Kiosk", "请留意叫号屏和语音广播，过号请到窗口说明。"), "body"))
        self.print_label = label(self.print_message, "h2")
        self.print_label.setObjectName("ticket-print")
        info.addWidget(self.print_label)
        info.addStretch(1)
        row.addLayout(info, 1)
        qr_col = QVBoxLayout()
        self.qr.set_data(ticket_url(hall_public_url(self.kiosk.hall), tk.uid))
        self.qr.set_side(340 if t.large else 300)
        qr_col.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignHCenter)
        caption = qr_caption(self.kiosk, Q.translate("Kiosk", "手机扫码，随时查看叫号进度"))
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        qr_col.addWidget(caption)
        qr_col.addStretch(1)
        row.addLayout(qr_col)
        self.body.addWidget(card)
        self.done_button = QPushButton(Q.translate("Kiosk", "完成，返回首页"))
        self.done_button.setObjectName("ticket-done")
        self.done_button.setProperty("role", "primary")
        self.done_button.clicked.connect(self.kiosk.home)
        if self.kiosk.orientation == "landscape":  # under the QR code: a 1080 px high screen holds it in large text
            qr_col.addWidget(self.done_button)
        else:
            self.body.addWidget(self.done_button)
        self.body.addStretch(1)
