"""The hall LAN API: counter consoles on other PCs call the hall PC's queue through it.

Every request carries the hall's LAN token (`Authorization: Bearer …`, [lan] token in the
config or a random one kept in the data directory); counter actions also carry the session
key a staff PIN login returned (`X-Staff-Session`), so every action is logged with the clerk
who did it. Errors come back as {"error": "<Chinese message>"} with 401 (token, login), 404
(unknown window or ticket), 409 (the action is not possible now) or 422 (bad input).

Actions may carry `X-Request-Id` (the console sends one per press): a retry with the same id
gets the first answer instead of acting twice, and `POST /api/v1/requests/{id}/settle` tells a
console that lost the answer whether it was done (kiosk/lan/once.py).
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Header, Request
from fastapi import Path as UrlPath
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from kiosk.lan.client import LocalCounterClient, LoginError
from kiosk.lan.once import Answer, RequestLog, StillRunning
from kiosk.lan.schema import HallStatus, Ping, ReprintResult, Settled, Staff, TicketReply
from kiosk.services.console_sessions import ConsoleSessions, SessionEnded, SignedIn
from kiosk.services.queue import QueueError
from kiosk.services.queue_views import BusinessInfo, WindowInfo, WindowState

if TYPE_CHECKING:
    from kiosk.hall import Hall

log = logging.getLogger(__name__)
R = TypeVar("R")

ACTIONS = ("call_next", "recall", "skip", "finish", "hold", "transfer", "bring_back", "call_ticket",
           "pause", "resume")


def lan_token(config: Any) -> str:
    """The configured token, or a random one created once and kept in the data directory."""
    if config.lan.token:
        return config.lan.token
    path = Path(config.data_dir()) / "lan-token.txt"
    if path.is_file():
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    log.info("created the hall LAN token in %s (give it to the counter PCs)", path)
    return token


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    business_code: str | None = Field(None, max_length=40)
    to_window: int | None = Field(None, ge=0, le=999)
    label: str | None = Field(None, max_length=10)
    reason: str = Field("", max_length=200)


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=50)
    pin: str = Field(min_length=1, max_length=20)


# a window number in a URL: the range content allows (sync/content.py Window.number), so a
# number too large for the database is a 422, not a 500
WindowNumber = Annotated[int, UrlPath(ge=1, le=999, description="the window's number")]

REQUEST_ID = Header("", max_length=64, description="the console's id for this press (retries reuse it)")


class _Replayed(Exception):
    """A repeated request id whose first answer was a refusal: the same refusal again."""

    def __init__(self, status: int, body: Any):
        super().__init__(status)
        self.status = status
        self.body = body


def queue_error_status(exc: QueueError) -> int:
    return 404 if str(exc).startswith(("没有", "找不到")) else 409


def create_app(counter: LocalCounterClient, token: str, *, hall_name: str = "",
               timezone: str = "Asia/Shanghai", session_idle_hours: float = 4.0,
               now: Callable[[], datetime] = lambda: datetime.now(UTC),
               monotonic: Callable[[], float] = time.monotonic, ratings: Any = None) -> FastAPI:
    app = FastAPI(title="Yizhan hall LAN API", version="1", docs_url=None, redoc_url=None)
    # Staff sign-ins live in the hall cache: a restart of the hall app keeps them valid.
    sessions = ConsoleSessions(getattr(counter.auth, "cache", None), tz=ZoneInfo(timezone), idle_s=session_idle_hours * 3600,
                               now=now, monotonic=monotonic)
    requests_log = RequestLog()
    ended = {"day": "已过当天，请重新登录", "idle": f"超过{session_idle_hours:g}小时未操作，请重新登录",
             "account": "账户的 PIN 已重置或账户已停用，请重新登录"}

    def session_of(key: str) -> Staff:
        """The signed-in staff of a session key; raises LoginError (and forgets it) once it ended."""
        try:
            who = sessions.check(key, counter.account_stamp)
        except SessionEnded as exc:
            if exc.reason == "unknown":
                raise LoginError("登录已失效，请重新登录") from None
            raise LoginError(f"登录已失效：{ended[exc.reason]}") from None
        return Staff(who.staff_id, who.name, who.role, key)

    @app.exception_handler(QueueError)
    async def _queue_error(_r: Request, exc: QueueError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=queue_error_status(exc))

    @app.exception_handler(RequestValidationError)
    async def _bad_input(_r: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        return JSONResponse({"error": f"请求有误 (bad input): {where}"}, status_code=422)

    @app.exception_handler(StillRunning)
    async def _still_running(_r: Request, _exc: StillRunning) -> JSONResponse:
        return JSONResponse({"error": "该操作仍在处理中，请稍后"}, status_code=503)

    @app.exception_handler(LoginError)
    async def _login_error(_r: Request, exc: LoginError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=401)

    # async dependencies run on the event loop: a `def` one would cost a trip through the thread
    # pool each (a thread hop per dependency per request: milliseconds at p99 on a busy PC).
    # The session check is one primary-key read on a WAL snapshot (never waits for a writer).
    # The session is checked once per request: `staff` reuses check_token's answer (FastAPI
    # caches a dependency within a request).
    async def check_token(authorization: str = Header(""), x_staff_session: str = Header("")) -> Staff | None:
        given = authorization.removeprefix("Bearer ").strip()
        if not given or not hmac.compare_digest(given.encode(), token.encode()):
            raise LoginError("大厅令牌不对，请检查 counter 的 --token")
        if x_staff_session:
            # e.g. the hall app restarted or the PIN was reset: tell the console at its next poll
            return session_of(x_staff_session)
        return None

    async def staff(who: Staff | None = Depends(check_token)) -> Staff:
        return who if who is not None else session_of("")

    auth = [Depends(check_token)]
    if ratings is not None:  # the counters' rating pads (kiosk/lan/rating_api.py); before the
        from kiosk.lan.rating_api import rating_router  # window actions, whose {action} would match

        app.include_router(rating_router(ratings, check_token))

    @app.exception_handler(_Replayed)
    async def _replayed(_r: Request, exc: _Replayed) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status)

    def once(who: Staff, request_id: str, action: Callable[[], R]) -> R:
        """Run a counter action at most once per request id (none given: just run it)."""
        if not request_id:
            return action()

        def answer() -> Answer:
            try:
                return 200, action()
            except QueueError as exc:  # a refusal is an answer too: a retry gets the same one
                return queue_error_status(exc), {"error": str(exc)}

        status, body = requests_log.run(who.session, request_id, answer)
        if status != 200:
            raise _Replayed(status, body)
        return body

    @app.get("/api/v1/ping", dependencies=auth)
    def ping() -> Ping:
        return Ping(hall=hall_name, time=datetime.now(UTC).isoformat(), timezone=timezone)

    @app.get("/api/v1/staff", dependencies=auth)
    def staff_names() -> list[str]:
        return counter.staff_names()

    @app.post("/api/v1/login", dependencies=auth)
    def login(body: LoginBody) -> Staff:
        s = counter.login(body.name, body.pin)
        key = secrets.token_urlsafe(24)
        sessions.open(key, SignedIn(s.staff_id, s.name, s.role), counter.account_stamp(s.staff_id) or "")
        return Staff(s.staff_id, s.name, s.role, key)

    @app.get("/api/v1/windows", dependencies=auth)
    def windows() -> list[WindowInfo]:
        return counter.windows()

    @app.get("/api/v1/businesses", dependencies=auth)
    def businesses() -> list[BusinessInfo]:
        return counter.businesses()

    @app.get("/api/v1/windows/{number}/state", dependencies=auth)
    def window_state(number: WindowNumber) -> WindowState:
        return counter.window_state(number)

    @app.get("/api/v1/status", dependencies=auth)
    def status() -> HallStatus:
        return counter.status()

    @app.post("/api/v1/windows/{number}/{action}", dependencies=auth)
    async def act(number: WindowNumber, action: str, body: Body | None = None, who: Staff = Depends(staff),
                  x_request_id: str = REQUEST_ID) -> TicketReply:
        body = body or Body()
        calls: dict[str, Callable[[], Any]] = {
            "call_next": lambda: counter.call_next(who, number),
            "recall": lambda: counter.recall(who, number),
            "skip": lambda: counter.skip(who, number),
            "finish": lambda: counter.finish(who, number),
            "hold": lambda: counter.hold(who, number),
            "transfer": lambda: counter.transfer(who, number, business_code=body.business_code,
                                                 to_window=body.to_window),
            "bring_back": lambda: counter.bring_back(who, number, body.label or ""),
            "call_ticket": lambda: counter.call_ticket(who, number, body.label or "", body.reason),
            "pause": lambda: counter.pause(who, number),
            "resume": lambda: counter.resume(who, number),
        }
        if action not in calls:
            raise QueueError(f"没有这个操作：{action}（可用：{', '.join(ACTIONS)}）")  # (a 404)
        # The action itself (a write and its fsync) goes to the thread pool: the one hop.
        return await run_in_threadpool(once, who, x_request_id, lambda: TicketReply(ticket=calls[action]()))

    @app.post("/api/v1/tickets/{label}/{action}", dependencies=auth)
    async def ticket_action(label: str, action: str, body: Body | None = None, who: Staff = Depends(staff),
                      x_request_id: str = REQUEST_ID) -> TicketReply | ReprintResult:
        body = body or Body()
        calls: dict[str, Callable[[], TicketReply | ReprintResult]] = {
            "return": lambda: TicketReply(ticket=counter.return_skipped(who, label)),
            "cancel": lambda: TicketReply(ticket=counter.cancel(who, label, body.reason)),
            "reprint": lambda: counter.reprint(who, label),
        }
        if action not in calls:
            raise QueueError(f"没有这个操作：{action}（可用：return, cancel, reprint）")  # (a 404)
        return await run_in_threadpool(once, who, x_request_id, calls[action])

    @app.post("/api/v1/requests/{request_id}/settle", dependencies=auth, response_model_exclude_unset=True)
    def settle(request_id: str, who: Staff = Depends(staff)) -> Settled:
        """Was this action done? {"done": false} is final: the request will never be applied."""
        answer = requests_log.settle(who.session, request_id[:64])
        if answer is None:
            return Settled(done=False)
        return Settled(done=True, status=answer[0], body=answer[1])

    return app



class HallApiServer:
    """uvicorn on a background thread of the hall app (or a test).

    The socket is bound here, before the thread starts, so a port in use is a clear error at
    once (OSError naming host and port) and port 0 gets its real number.
    """

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0):
        import uvicorn

        self.config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
        self.server = uvicorn.Server(self.config)
        self.host = host
        self.port = port
        self.thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> HallApiServer:
        import socket

        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise OSError(f"the hall LAN API cannot listen on {self.host}:{self.port}: {exc.strerror}") from None
        sock.listen(64)
        self.port = sock.getsockname()[1]
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]},
                                       name="hall-lan-api", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the hall LAN API did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        log.info("hall LAN API on %s", self.url)
        return self

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=5)


def start_hall_api(hall: Hall, counter: LocalCounterClient) -> HallApiServer | None:
    """Serve the LAN API per the [lan] config; None when disabled."""
    config = hall.config
    if not config.lan.enabled:
        return None
    app = create_app(counter, lan_token(config), hall_name=config.hall.name, timezone=config.hall.timezone,
                     session_idle_hours=config.lan.session_idle_hours, ratings=hall.ratings)
    return HallApiServer(app, config.lan.host, config.lan.port).start()
