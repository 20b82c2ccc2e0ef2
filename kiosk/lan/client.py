"""One interface for a counter console: `LocalCounterClient` calls the hall's services in the same
process; `RemoteCounterClient` calls the hall PC's LAN API. Both return the queue's own
dataclasses and raise the same errors (QueueError, AuthError, HallUnreachable), so the console
does not care where the hall is.

Over the LAN an action can fail after the hall got it. The remote client sends each action
with its own request id, asks once more with the same id (the hall answers, never acts twice),
and if the hall still does not answer raises ActionUnconfirmed; `settle()` later gives the
action's real answer, or raises ActionNotDone once the hall guarantees it will never happen."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.errors import HallError
from kiosk.lan import schema
from kiosk.lan.schema import HallStatus, ReprintResult, Staff
from kiosk.services.queue import QueueError
from kiosk.services.queue_views import BusinessInfo, TicketView, WindowInfo, WindowState

if TYPE_CHECKING:
    from kiosk.hall import Hall
    from kiosk.services.auth import AuthService
    from kiosk.services.printer import TicketPrinter
    from kiosk.services.queue import QueueService

__all__ = ["ActionNotDone", "ActionUnconfirmed", "CounterClient", "HallStatus", "HallUnreachable",
           "LocalCounterClient", "LoginError", "RemoteCounterClient", "ReprintResult", "Staff", "hall_status"]

log = logging.getLogger(__name__)


class HallUnreachable(HallError):
    """The hall PC does not answer (network, hall app stopped); the console retries.

    `sent` is False when no connection was made at all, so the hall cannot have acted on it."""

    def __init__(self, message: str, *, sent: bool = True):
        super().__init__(message, "hall_unreachable")
        self.sent = sent


class ActionUnconfirmed(HallUnreachable):
    """An action went out but its answer never came back: pass this to `settle()` later."""

    def __init__(self, message: str, request_id: str, decode: Callable[[Any], Any]):
        super().__init__(message)
        self.request_id = request_id
        self.decode = decode  # the reply's JSON -> what the action method returns


class ActionNotDone(QueueError):
    """settle(): the hall never applied the action, and now never will."""


class LoginError(HallError):
    """Login refused; str() is the Chinese message (wraps kiosk.services.auth.AuthError remotely)."""


class CounterClient(Protocol):
    description: str  # "本机" or the hall URL, for the console's title bar
    # A remote client also has ping() and settle(staff, ActionUnconfirmed) (see RemoteCounterClient).

    def staff_names(self) -> list[str]: ...
    def login(self, name: str, pin: str) -> Staff: ...
    def windows(self) -> list[WindowInfo]: ...
    def businesses(self) -> list[BusinessInfo]: ...
    def window_state(self, window: int) -> WindowState: ...
    def status(self) -> HallStatus: ...
    def call_next(self, staff: Staff, window: int) -> TicketView | None: ...
    def recall(self, staff: Staff, window: int) -> TicketView: ...
    def skip(self, staff: Staff, window: int) -> TicketView: ...
    def finish(self, staff: Staff, window: int) -> TicketView: ...
    def hold(self, staff: Staff, window: int) -> TicketView: ...
    def transfer(self, staff: Staff, window: int, *, business_code: str | None = None,
                 to_window: int | None = None) -> TicketView: ...
    def bring_back(self, staff: Staff, window: int, label: str) -> TicketView: ...
    def call_ticket(self, staff: Staff, window: int, label: str, reason: str) -> TicketView: ...
    def return_skipped(self, staff: Staff, label: str) -> TicketView: ...
    def cancel(self, staff: Staff, label: str, reason: str) -> TicketView: ...
    def pause(self, staff: Staff, window: int) -> None: ...
    def resume(self, staff: Staff, window: int) -> None: ...
    def reprint(self, staff: Staff, label: str) -> ReprintResult: ...


# -- status texts (shared by the local client and the API) ----------------------------------


def hall_status(hall: Hall | None, printer: TicketPrinter | None) -> HallStatus:
    """The status line of a console; `hall` None for a queue on its own (tests, tools)."""
    sync = hall.sync if hall is not None else None
    if hall is not None and sync is None and hall.sync_starting:
        sync_text, sync_ok = "同步：连接中", True
    elif sync is None:
        sync_text, sync_ok = "同步：未启用", True
    else:
        try:
            st = sync.status()
            when = f"，上次 {st.last_success.astimezone(hall.tz):%H:%M}" if hall and st.last_success else ""
            if st.online:
                # Polling although waiting was asked for: something between hall and office cuts
                # long requests, so office changes arrive at the next poll, not at once.
                how = "（轮询）" if getattr(st, "mode", "") == "poll_fallback" else ""
                sync_text, sync_ok = f"同步：在线{how}{when}，待发 {st.waiting} 条", True
            else:
                sync_text = f"同步：离线，待发 {st.waiting} 条{when}"
                sync_ok = False
        except Exception as exc:
            sync_text, sync_ok = f"同步：状态未知（{exc}）", False
    note = hall.cache_note if hall is not None else ""
    if note:  # a rebuilt cache (and what it lost) stays on every console's status line
        sync_text, sync_ok = f"{sync_text} · {note}", False
    board = hall.board if hall is not None else None
    if board is None:
        board_text, board_ok = "LED屏：未接入", True
    else:
        try:
            from kiosk.services.board_feed import board_state_text

            board_text, board_ok = board_state_text(board.status(), board.boards())
        except Exception as exc:
            board_text, board_ok = f"LED屏：状态未知（{exc}）", False
    if printer is None:
        printer_text, alarm = "打印机：未配置", False
    else:
        ps = printer.status()
        printer_text, alarm = f"打印机：{ps.message}", ps.alarm
    disk_text = ""
    voice = hall.voice if hall is not None else None
    voice_text, voice_ok = voice.status() if voice is not None else ("", True)
    qr_warning = ""
    if hall is not None:
        from kiosk.services.disk import low_disk_text
        from kiosk.services.links import hall_public_url, loopback_warning

        disk_text = low_disk_text(hall.config.data_dir())
        qr_warning = loopback_warning(hall_public_url(hall))
    return HallStatus(sync_text, sync_ok, board_text, board_ok, printer_text, alarm, disk_text, voice_text,
                      voice_ok, qr_warning)


# -- in process -----------------------------------------------------------------------------


class LocalCounterClient:
    """The console in the hall app's own process."""

    description = "本机"

    def __init__(self, queue: QueueService, auth: AuthService | None = None, printer: TicketPrinter | None = None,
                 hall: Hall | None = None):
        self.queue = queue
        self.auth = auth
        self.printer = printer
        self.hall = hall

    def staff_names(self) -> list[str]:
        return self.auth.staff_names("counter") if self.auth is not None else []

    def login(self, name: str, pin: str) -> Staff:
        if self.auth is None:
            raise LoginError("没有账号服务，无法登录")
        from kiosk.services.auth import AuthError

        try:
            s = self.auth.login(name, pin)
        except AuthError as exc:
            raise LoginError(str(exc)) from None
        if not s.can("counter"):
            raise LoginError(f"{s.name} 没有窗口叫号权限")
        return Staff(s.staff_id, s.name, s.role)

    def account_stamp(self, staff_id: int) -> str | None:
        """The account's PIN hash while it is active (the LAN API ends sessions when it changes)."""
        return self.auth.account_stamp(staff_id) if self.auth is not None else None

    def windows(self) -> list[WindowInfo]:
        return self.queue.windows()

    def businesses(self) -> list[BusinessInfo]:
        return self.queue.businesses()

    def window_state(self, window: int) -> WindowState:
        return self.queue.window_state(window)

    def status(self) -> HallStatus:
        return hall_status(self.hall, self.printer)

    def call_next(self, staff: Staff, window: int) -> TicketView | None:
        return self.queue.call_next(window, staff_id=staff.staff_id)

    def recall(self, staff: Staff, window: int) -> TicketView:
        return self.queue.recall(window, staff_id=staff.staff_id)

    def skip(self, staff: Staff, window: int) -> TicketView:
        return self.queue.skip(window, staff_id=staff.staff_id)

    def finish(self, staff: Staff, window: int) -> TicketView:
        return self.queue.finish(window, staff_id=staff.staff_id)

    def hold(self, staff: Staff, window: int) -> TicketView:
        return self.queue.hold(window, staff_id=staff.staff_id)

    def transfer(self, staff: Staff, window: int, *, business_code: str | None = None,
                 to_window: int | None = None) -> TicketView:
        return self.queue.transfer(window, business_code=business_code, to_window=to_window,
                                   staff_id=staff.staff_id)

    def bring_back(self, staff: Staff, window: int, label: str) -> TicketView:
        return self.queue.bring_back(window, label, staff_id=staff.staff_id)

    def call_ticket(self, staff: Staff, window: int, label: str, reason: str) -> TicketView:
        return self.queue.call_ticket(window, label, reason=reason, staff_id=staff.staff_id)

    def return_skipped(self, staff: Staff, label: str) -> TicketView:
        return self.queue.return_skipped(label, staff_id=staff.staff_id)

    def cancel(self, staff: Staff, label: str, reason: str) -> TicketView:
        return self.queue.cancel(label, reason=reason, staff_id=staff.staff_id)

    def pause(self, staff: Staff, window: int) -> None:
        self.queue.pause(window, staff_id=staff.staff_id)

    def resume(self, staff: Staff, window: int) -> None:
        self.queue.resume(window, staff_id=staff.staff_id)

    def reprint(self, staff: Staff, label: str) -> ReprintResult:
        if self.printer is None:
            return ReprintResult(False, "未配置打印机")
        r = self.printer.reprint(self.queue, label)
        return ReprintResult(r.printed, r.message if not r.printed else f"已补打 {label.upper()}")


# -- over the hall LAN ----------------------------------------------------------------------


class RemoteCounterClient:
    """The console on a clerk's own PC, talking to the hall PC's LAN API."""

    def __init__(self, url: str, token: str, *, timeout: float = 3.0):
        import requests

        self.url = url.rstrip("/")
        self.description = self.url
        self.timeout = timeout
        self.http = requests.Session()  # one keep-alive connection: no TCP handshake per press
        # The hall PC is on the LAN: no proxy from the environment, no ~/.netrc read per request
        # (requests looks both up on every call otherwise).
        self.http.trust_env = False
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.session = ""  # the last login's session: every poll carries it, so a hall restart shows

    def _call(self, method: str, path: str, *, staff: Staff | None = None, anonymous: bool = False,
              request_id: str = "", **body: Any) -> Any:
        import requests
        from urllib3.exceptions import ConnectTimeoutError

        session = staff.session if staff is not None else ("" if anonymous else self.session)
        headers = {"X-Staff-Session": session} if session else {}
        if request_id:
            headers["X-Request-Id"] = request_id
        try:
            r = self.http.request(method, f"{self.url}/api/v1{path}", json=body if method == "POST" else None,
                                  headers=headers, timeout=(min(2.0, self.timeout), self.timeout))
        except requests.RequestException as exc:
            # refused / no route / connect timeout: nothing reached the hall (the
            # urllib3 reason of a refused connection, NewConnectionError, is a ConnectTimeoutError)
            reason = getattr(exc.args[0], "reason", None) if exc.args else None
            sent = not (isinstance(exc, requests.ConnectTimeout) or isinstance(reason, ConnectTimeoutError))
            raise HallUnreachable(f"连接不上大厅主机 {self.url}", sent=sent) from exc
        if r.status_code == 200:
            return r.json()
        message = _error_message(r)
        if r.status_code == 401:
            raise LoginError(message)
        if r.status_code in (409, 404, 422):
            raise QueueError(message)
        raise HallUnreachable(f"大厅主机出错（HTTP {r.status_code}）：{message}")

    def _once(self, path: str, staff: Staff, decode: Callable[[Any], Any], **body: Any) -> Any:
        """POST an action with a fresh request id; on a lost answer, once more with the same id."""
        request_id = uuid.uuid4().hex
        try:
            return decode(self._call("POST", path, staff=staff, request_id=request_id, **body))
        except HallUnreachable as exc:
            if not exc.sent:
                raise
            log.info("no answer from the hall for %s (%s): asking again with the same request id", path, exc)
        try:
            return decode(self._call("POST", path, staff=staff, request_id=request_id, **body))
        except HallUnreachable as exc:
            raise ActionUnconfirmed(str(exc), request_id, decode) from exc

    def settle(self, staff: Staff, unconfirmed: ActionUnconfirmed) -> Any:
        """The answer of an action that raised ActionUnconfirmed, now that the hall answers:
        its result, its QueueError, or ActionNotDone (it was not done and never will be)."""
        reply = schema.read(schema.Settled, self._call("POST", f"/requests/{unconfirmed.request_id}/settle",
                                                       staff=staff))
        if not reply.done:
            raise ActionNotDone("大厅主机没有收到，请重新操作")
        status, body = reply.status, reply.body
        if status == 200:
            return unconfirmed.decode(body)
        message = body.get("error", "") if isinstance(body, dict) else str(body)
        raise QueueError(message if status in (404, 409, 422) else f"大厅主机出错（HTTP {status}）：{message}")

    def ping(self) -> dict[str, Any]:
        return schema.read(schema.Ping, self._call("GET", "/ping")).model_dump()

    def staff_names(self) -> list[str]:
        return schema.read(list[str], self._call("GET", "/staff", anonymous=True))

    def login(self, name: str, pin: str) -> Staff:
        staff = schema.read(Staff, self._call("POST", "/login", anonymous=True, name=name, pin=pin))
        self.session = staff.session
        return staff

    def windows(self) -> list[WindowInfo]:
        return schema.read(list[WindowInfo], self._call("GET", "/windows"))

    def businesses(self) -> list[BusinessInfo]:
        return schema.read(list[BusinessInfo], self._call("GET", "/businesses"))

    def window_state(self, window: int) -> WindowState:
        return schema.read(WindowState, self._call("GET", f"/windows/{window}/state"))

    def status(self) -> HallStatus:
        return schema.read(HallStatus, self._call("GET", "/status"))

    def _act(self, staff: Staff, window: int, action: str, **body: Any) -> TicketView | None:
        return self._once(f"/windows/{window}/{action}", staff, _ticket, **body)

    def call_next(self, staff: Staff, window: int) -> TicketView | None:
        return self._act(staff, window, "call_next")

    def recall(self, staff: Staff, window: int) -> TicketView:
        return self._act(staff, window, "recall")

    def skip(self, staff: Staff, window: int) -> TicketView:
        return self._act(staff, window, "skip")

    def finish(self, staff: Staff, window: int) -> TicketView:
        return self._act(staff, window, "finish")

    def hold(self, staff: Staff, window: int) -> TicketView:
        return self._act(staff, window, "hold")

    def transfer(self, staff: Staff, window: int, *, business_code: str | None = None,
                 to_window: int | None = None) -> TicketView:
        return self._act(staff, window, "transfer", business_code=business_code, to_window=to_window)

    def bring_back(self, staff: Staff, window: int, label: str) -> TicketView:
        return self._act(staff, window, "bring_back", label=label)

    def call_ticket(self, staff: Staff, window: int, label: str, reason: str) -> TicketView:
        return self._act(staff, window, "call_ticket", label=label, reason=reason)

    def return_skipped(self, staff: Staff, label: str) -> TicketView:
        return self._once(f"/tickets/{label}/return", staff, _ticket)

    def cancel(self, staff: Staff, label: str, reason: str) -> TicketView:
        return self._once(f"/tickets/{label}/cancel", staff, _ticket, reason=reason)

    def pause(self, staff: Staff, window: int) -> None:
        self._act(staff, window, "pause")

    def resume(self, staff: Staff, window: int) -> None:
        self._act(staff, window, "resume")

    def reprint(self, staff: Staff, label: str) -> ReprintResult:
        return self._once(f"/tickets/{label}/reprint", staff, lambda d: schema.read(ReprintResult, d))


def _ticket(reply: Any) -> TicketView | None:
    return schema.read(schema.TicketReply, reply).ticket


def _error_message(r: Any) -> str:
    try:
        data = r.json()
        return data.get("error") or str(data.get("detail"))
    except (ValueError, AttributeError):
        return r.text[:200]


def to_json(obj: Any) -> Any:
    """Dataclasses -> JSON-ready dicts (datetimes and dates as ISO text)."""
    if obj is None:
        return None
    if isinstance(obj, list):
        return [to_json(x) for x in obj]
    data = asdict(obj) if hasattr(obj, "__dataclass_fields__") else obj

    def fix(v: Any) -> Any:
        if isinstance(v, datetime | date):
            return v.isoformat()
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v

    return fix(data)
