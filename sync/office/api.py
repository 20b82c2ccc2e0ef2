"""The office's HTTP interface (FastAPI): the halls' sync API, admin publishing, public pages.

Every refusal is a 4xx with `{"detail": {"message": ..., "entry": ...}}` and changes nothing.
"""

# No `from __future__ import annotations`: FastAPI must see the local dependency functions.

import asyncio
import base64
import contextlib
import logging
import threading
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Query, Request
from fastapi import Path as UrlPath
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync import wire
from sync.office import pages, proposals_api, store, wakeups
from sync.office import ratings as good_and_bad  # 好差评
from sync.office.db import OfficeDB
from sync.office.held_pulls import HeldPulls
from sync.office.models import utcnow
from sync.office.rollup import ROLL_UP_EVERY_S, Roller
from sync.office.store import Caller, OfficeError
from sync.office.throttle import WrongTokenThrottle
from sync.office.waiting import PullWaiters

log = logging.getLogger(__name__)

UID_PATTERN = r"^[0-9a-fA-F-]{32,36}$"
# Declared in the schema only: a malformed cursor gets the store's clear 400, which the hall reads.
CURSOR_SCHEMA = {"format": "cursor", "pattern": wire.CURSOR_PATTERN}
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": wire.ErrorReply, "description": what} for code, what in {
        400: "malformed request", 401: "missing or unknown token", 403: "not this token's data",
        404: "no such hall or proposal", 429: "too many wrong tokens from this address",
        409: "conflicts with what is stored", 413: "too large", 422: "invalid content",
    }.items()
}
# HTML pages answer refusals in JSON too: say so, or clients expect text/html.
_ERROR_JSON = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorReply"}}}
HTML_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or unknown token", "content": _ERROR_JSON},
    403: {"description": "not an admin token", "content": _ERROR_JSON},
    422: {"description": "invalid query", "content": _ERROR_JSON},
}


# --- request bodies: gzip and size limits ----------------------------------------------------


class BodyLimit:
    """ASGI middleware: refuses bodies over the limits (413) and undoes Content-Encoding: gzip.

    The body is decompressed with a cap, so a small "zip bomb" cannot fill the memory.
    """

    def __init__(self, app: ASGIApp, authorize: Callable[[Scope], Awaitable[None]] | None = None):
        self.app = app
        # Checks the request's token (raises OfficeError): a gzip body is unpacked only after it.
        self.authorize = authorize

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        encoding = headers.get("content-encoding", "identity").strip().lower()
        limit = wire.MAX_COMPRESSED_BYTES if encoding == "gzip" else wire.MAX_BODY_BYTES
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _send_error(send, 413, f"request body of {declared} bytes is over the limit of {limit}")
            return
        if encoding == "gzip" and self.authorize is not None:
            try:
                await self.authorize(scope)
            except OfficeError as exc:
                await _send_error(send, exc.status, exc.message, exc.headers)
                return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _send_error(send, 413, f"request body is over the limit of {limit} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        if encoding == "gzip":
            try:
                body = _gunzip(body)
            except ValueError as exc:
                await _send_error(send, 413 if "limit" in str(exc) else 400, str(exc))
                return
        elif encoding not in ("identity", ""):
            await _send_error(send, 400, f"unsupported Content-Encoding {encoding!r}; use gzip or none")
            return
        new_headers = [(k, v) for k, v in scope["headers"]
                       if k.lower() not in (b"content-encoding", b"content-length")]
        new_headers.append((b"content-length", str(len(body)).encode()))
        scope = {**scope, "headers": new_headers}
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _gunzip(data: bytes) -> bytes:
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, wire.MAX_BODY_BYTES + 1)
    except zlib.error as exc:
        raise ValueError(f"request body is not valid gzip: {exc}") from None
    if len(out) > wire.MAX_BODY_BYTES:
        raise ValueError(f"request body is over the limit of {wire.MAX_BODY_BYTES} bytes once decompressed")
    if not d.eof:
        raise ValueError("request body is truncated gzip")
    return out


async def _send_error(send: Send, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    body = wire.ErrorReply(detail=wire.ErrorDetail(message=message)).model_dump_json().encode()
    extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *extra]})
    await send({"type": "http.response.body", "body": body})


# --- admin bodies ----------------------------------------------------------------------------


class PublishRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: wire.ContentKind
    data: dict[str, Any]


class PublishRequest(BaseModel):
    """Publish records to halls by code, or to "all" (which includes halls added later)."""

    model_config = ConfigDict(extra="forbid")
    records: list[PublishRecord] = Field(min_length=1, max_length=wire.MAX_ENTRIES)
    halls: Literal["all"] | list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(min_length=1)


class PublishedRecord(BaseModel):
    uid: str
    version: int
    changed: bool


class PublishReply(BaseModel):
    records: list[PublishedRecord]
    halls: int


class HallRow(BaseModel):
    code: str
    name: str
    revoked: bool
    last_seen_at: Any = None


class SatisfactionFigures(BaseModel):
    """好差评 of the row's tickets: ratings, how many were 满意 or better, and the rate (None: none rated)."""

    rated: int
    satisfied: int
    rate: float | None
    levels: dict[str, int]


class StatsRow(BaseModel):
    hall: str
    business: str
    day: date
    tickets: int
    served: int
    avg_wait_min: float | None
    avg_service_min: float | None
    satisfaction: SatisfactionFigures


# A day in a query: strictly YYYY-MM-DD (no numbers taken for timestamps).
Day = Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="YYYY-MM-DD")]


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise OfficeError(422, f"query.{name}: {value!r} is not a date (YYYY-MM-DD)") from None


# --- the app ---------------------------------------------------------------------------------


class TokenCache:
    """Token -> caller for a while: a request need not hit the hall table every time.

    A revoked token stops working within `ttl_s` (30 s in the app), and at once where every
    revocation is heard (`trusted()`: PostgreSQL with this process's wake-up listener up, see
    sync/office/wakeups.py TOKENS): there a known token is kept for `trusted_ttl_s`, so that
    thousands of halls renewing their waiting pulls cost no query.
    """

    def __init__(self, ttl_s: float = 2.0, trusted_ttl_s: float = 0.0,
                 trusted: Callable[[], bool] = lambda: False):
        self.ttl_s = ttl_s
        self.trusted_ttl_s = max(ttl_s, trusted_ttl_s)
        self.trusted = trusted
        # token -> (when put, caller, read with no revocation heard since)
        self._items: dict[str, tuple[float, Caller | None, bool]] = {}
        self._lock = threading.Lock()
        self.generation = 0  # bumped by forget()

    def get(self, token: str) -> tuple[bool, Caller | None]:
        """(hit, caller): a miss must be looked up and `put`."""
        hit = self._items.get(token)
        if hit is None:
            return False, None
        ttl = self.trusted_ttl_s if hit[1] is not None and hit[2] and self.trusted() else self.ttl_s
        if time.monotonic() - hit[0] < ttl:
            return True, hit[1]
        return False, None

    def put(self, token: str, caller: Caller | None, generation: int | None = None) -> None:
        """`generation`: as it was when the lookup began; if a revocation was heard since, what
        was read may be stale, and is kept only `ttl_s` (as where revocations are not heard)."""
        with self._lock:
            if len(self._items) > 200_000:
                self._items.clear()
            fresh = generation is not None and generation == self.generation and self.trusted()
            self._items[token] = (time.monotonic(), caller, fresh)

    def forget(self, keys: frozenset[str] | None = None) -> None:
        """A token was revoked or replaced somewhere: forget every token. None: the listener
        (re)connected and may have missed that: forget what was kept for long on its word."""
        with self._lock:
            self.generation += 1
            if keys is None:
                self._items = {t: v for t, v in self._items.items() if not v[2]}
            else:
                self._items.clear()


class OfficeApp(FastAPI):
    """The office app; the halls' held pulls are served before FastAPI's own per-request work."""

    held_pulls: HeldPulls | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.held_pulls is not None:
            await self.held_pulls(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def call_fastapi(self, scope: Scope, receive: Receive, send: Send) -> None:
        await super().__call__(scope, receive, send)


def create_app(db: OfficeDB, *, public_url: str = "", timezone: str = "Asia/Shanghai",
               token_ttl_s: float = 30.0, wrong_token_limit: int = 10, wrong_token_window_s: float = 60.0,
               silent_after_min: int = 10, ratings: Any = None,
               roll_up_every_s: float | None = ROLL_UP_EVERY_S) -> FastAPI:
    """The office app on an open database; `ratings` is the config's [ratings] section (defaults if None);
    `roll_up_every_s` None: no statistics roll-up in the background (figures are then counted live)."""
    from sync.office.config import RatingsSection
    tz = ZoneInfo(timezone)
    rating_options = ratings or RatingsSection()
    # Known tokens for 10 min where every revocation is heard at once (wake-ups, TOKENS).
    tokens = TokenCache(ttl_s=token_ttl_s, trusted_ttl_s=600.0, trusted=lambda: db.wakeups.listening)
    db.wakeups.subscribe(wakeups.TOKENS, tokens.forget)
    roller = Roller(db.sessions, roll_up_every_s) if roll_up_every_s else None

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Listening before the halls come: tokens looked up meanwhile are kept on its word
        # (otherwise thousands of halls connecting at once would all be looked up again), and
        # the other processes' ticket changes reach live_figures.
        await db.wakeups.start()
        if roller is not None:  # the statistics' roll-up, never on a request's time
            roller.start()
        yield
        app.state.waiters.release_all()
        if roller is not None:
            await asyncio.to_thread(roller.stop)
        await db.wakeups.stop()

    throttle = WrongTokenThrottle(wrong_token_limit, wrong_token_window_s)
    app = OfficeApp(
        lifespan=lifespan,
        title="一站 Yizhan street office",
        version=str(wire.WIRE_VERSION),
        description="Sync API for community halls, content publishing, public guide and ticket pages.",
    )
    waiters = PullWaiters(db)
    app.state.waiters = waiters
    # Level 5 as the halls compress: level 9 costs ~1.5 ms per page for a few % fewer bytes.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)
    app.add_middleware(BodyLimit, authorize=lambda scope: check_token(Request(scope)))
    # In front of FastAPI itself: the halls' held pulls skip the rest (sync/office/held_pulls.py).
    app.held_pulls = HeldPulls(app.call_fastapi, waiters, lambda scope: known_hall(scope))
    app.state.db = db

    def session() -> Any:
        with db.sessions() as s:
            yield s

    def transaction(work: Any) -> Any:
        """Run `work(session)` in one transaction; retried if a concurrent writer won a race
        (the same entry sent twice at once, or a PostgreSQL deadlock): the retry then sees it."""
        for attempt in range(3):
            try:
                with db.sessions.begin() as s:
                    return work(s)
            except (IntegrityError, OperationalError) as exc:
                racy = isinstance(exc, IntegrityError) or "deadlock" in str(exc).lower()
                if attempt == 2 or not racy:
                    raise
                log.info("retrying a transaction after %s", type(exc).__name__)
        raise AssertionError("unreachable")

    def bearer(request: Request) -> str:
        return bearer_of(request.headers.get("authorization", ""))

    def bearer_of(header: str) -> str:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        if scheme.lower() == "basic" and value.strip():  # browsers: any user name, the token as password
            try:
                return base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[2]
            except (ValueError, UnicodeDecodeError):
                return ""
        return ""

    def load_caller(token: str) -> Caller | None:
        with db.sessions() as s:
            return store.authenticate(s, token)

    async def check_token(request: Request) -> Caller:
        token = bearer(request)
        if not token:
            raise OfficeError(401, "missing token: send Authorization: Bearer <token>")
        source = request.client.host if request.client else "unknown"
        wait = throttle.retry_after(source)
        if wait:
            raise OfficeError(429, f"too many wrong tokens from {source}; try again in {wait} s",
                              headers={"Retry-After": str(wait)})
        hit, found = tokens.get(token)
        if not hit:  # the database lookup runs in the thread pool, never on the event loop
            generation = tokens.generation
            found = await run_in_threadpool(load_caller, token)
            tokens.put(token, found, generation)
        if found is None:
            count = throttle.failed(source)
            # The guess itself is never logged: it may be a real token with a typo.
            log.warning("wrong token from %s for %s %s (%d within %.0f s)", source, request.method,
                        request.url.path, count, throttle.window_s)
            raise OfficeError(401, "unknown or revoked token")
        return found

    def known_hall(scope: Scope) -> Caller | None:
        """The hall behind a request's token if the cache knows it (HeldPulls), else None."""
        header = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        token = bearer_of(header.decode("latin-1"))
        client = scope.get("client")
        if not token or throttle.retry_after(client[0] if client else "unknown"):
            return None
        hit, found = tokens.get(token)
        return found if hit and found is not None and found.kind == "hall" else None

    async def caller(request: Request) -> Caller:
        return await check_token(request)

    # async: pure checks, no need for a trip through the thread pool
    async def hall_caller(who: Annotated[Caller, Depends(caller)]) -> Caller:
        if who.kind != "hall":
            raise OfficeError(403, "this needs a hall token")
        return who

    async def admin_caller(who: Annotated[Caller, Depends(caller)]) -> Caller:
        if who.kind != "admin":
            raise OfficeError(403, "this needs an admin token")
        return who

    def error_response(status: int, message: str, entry: str | None = None,
                       headers: dict[str, str] | None = None) -> JSONResponse:
        body = wire.ErrorReply(detail=wire.ErrorDetail(message=message, entry=entry))
        return JSONResponse(body.model_dump(), status_code=status, headers=headers)

    @app.exception_handler(OfficeError)
    async def _office_error(request: Request, exc: OfficeError) -> JSONResponse:
        headers = exc.headers
        if exc.status == 401 and request.url.path == "/stats":
            headers = {"WWW-Authenticate": 'Basic realm="yizhan office (password: admin token)"'}
        return error_response(exc.status, exc.message, exc.entry, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        entry = None
        loc = list(first.get("loc", ()))
        if len(loc) > 2 and loc[:2] == ["body", "entries"] and isinstance(loc[2], int):
            entry = f"#{loc[2]}"
        return error_response(422, f"{where}: {first.get('msg')} ({len(errors)} problem(s))", entry)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette's own headers, e.g. Allow on a 405
        return error_response(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    # --- hall API ---

    @app.get("/api/v1/hello", response_model=wire.HallInfo, responses=ERRORS, tags=["hall"])
    def hello(who: Annotated[Caller, Depends(hall_caller)]) -> wire.HallInfo:
        """Which hall this token belongs to."""
        return wire.HallInfo(hall=who.code, name=who.name, public_url=public_url)

    @app.post("/api/v1/push", response_model=wire.PushReply, responses=ERRORS, tags=["hall"])
    def push(batch: wire.PushBatch, who: Annotated[Caller, Depends(hall_caller)]) -> Response:
        """Store a batch of outbox entries exactly once (the whole batch or nothing)."""

        def work(s: Session) -> wire.PushReply:
            reply = store.push(s, who, batch, follow_up_days=rating_options.follow_up_days, tz=tz)
            store.touch_hall(s, who.id)
            return reply

        reply = transaction(work)  # (its commit wakes the hall's live ticket pages, in every process)
        return Response(reply.model_dump_json(), media_type="application/json")

    def pull_now(who: Caller, cursor: str, limit: int) -> wire.PullPage:
        with db.sessions() as s:
            page = store.pull(s, who, cursor, limit)
            store.touch_hall(s, who.id, relaxed=True)
            s.commit()
        return page

    @app.get("/api/v1/pull", response_model=wire.PullPage, responses=ERRORS, tags=["hall"])
    async def pull(who: Annotated[Caller, Depends(hall_caller)],
                   cursor: Annotated[str, Query(max_length=60, description="the cursor of the last page",
                                                json_schema_extra=CURSOR_SCHEMA)] = "",
                   limit: Annotated[int, Query(ge=1, le=wire.MAX_PULL_LIMIT)] = wire.DEFAULT_PULL_LIMIT,
                   wait_s: Annotated[float, Query(ge=0, le=wire.MAX_WAIT_S, description=(
                       "if nothing is new, wait up to this long for a change before answering "
                       "(an empty page); 0 answers at once"))] = 0,
                   ) -> Response:
        """Content changes for this hall after `cursor`, oldest first; with `wait_s`, the answer
        comes as soon as there is one (a long poll: one request held per hall)."""
        store.parse_cursor(cursor)  # a malformed cursor is refused at once, not after the wait
        if wait_s > 0:
            page = await waiters.pull(who, cursor, limit, wait_s)
        else:
            page = await run_in_threadpool(pull_now, who, cursor, limit)
        # Serialised directly: the page is already a validated PullPage (this is the hot path).
        return Response(page.model_dump_json(), media_type="application/json",
                        headers={"X-Yizhan-Waited": "1"} if wait_s > 0 else None)

    @app.get("/api/v1/tickets/high-water", response_model=wire.HighWater, responses=ERRORS, tags=["hall"])
    def high_water(who: Annotated[Caller, Depends(hall_caller)], s: Annotated[Session, Depends(session)],
                   day: Day = None) -> wire.HighWater:
        """The highest ticket number per prefix this hall has pushed for `day` (default: the office's
        today): a hall that lost its cache numbers its next tickets after these."""
        return store.high_water(s, who, _day(day, "day") or utcnow().astimezone(tz).date())

    # --- admin API ---

    @app.post("/api/v1/admin/publish", response_model=PublishReply, responses=ERRORS, tags=["admin"])
    def publish(body: PublishRequest, who: Annotated[Caller, Depends(admin_caller)]) -> PublishReply:
        """Publish content records to one hall, several, or all."""
        records = [r.model_dump() for r in body.records]
        results = transaction(lambda s: store.publish(s, records, body.halls, author=who.name))
        return PublishReply(records=[PublishedRecord(uid=r.uid, version=r.version, changed=r.changed)
                                     for r in results], halls=results[0].halls if results else 0)

    @app.get("/api/v1/admin/halls", response_model=list[HallRow], responses=ERRORS, tags=["admin"])
    def halls(who: Annotated[Caller, Depends(admin_caller)],
              s: Annotated[Session, Depends(session)]) -> list[HallRow]:
        from sqlalchemy import select

        from sync.office.models import Hall

        return [HallRow(code=h.code, name=h.name, revoked=h.revoked_at is not None,
                        last_seen_at=h.last_seen_at.isoformat() if h.last_seen_at else None)
                for h in s.scalars(select(Hall).order_by(Hall.code))]

    @app.get("/api/v1/stats", response_model=list[StatsRow], responses=ERRORS, tags=["admin"])
    def stats(who: Annotated[Caller, Depends(admin_caller)], s: Annotated[Session, Depends(session)],
              since: Day = None, until: Day = None,
              hall: Annotated[str | None, Query(max_length=40)] = None) -> list[StatsRow]:
        """Tickets per hall, business and day, with mean waiting and service minutes and 满意率."""
        first, last = _day(since, "since"), _day(until, "until")
        rated = good_and_bad.satisfaction_by_day(s, first, last, hall)
        none = good_and_bad.Satisfaction()
        return [StatsRow(**r.__dict__, satisfaction=rated.get((r.hall, r.business, r.day), none).as_dict())
                for r in store.statistics(s, first, last, hall)]

    @app.get("/stats", response_class=HTMLResponse, responses=HTML_ERRORS, tags=["admin"])
    def stats_html(who: Annotated[Caller, Depends(admin_caller)], s: Annotated[Session, Depends(session)],
                   since: Day = None, until: Day = None,
                   hall: Annotated[str | None, Query(max_length=40)] = None) -> HTMLResponse:
        """The statistics as an HTML table (a browser asks for the admin token as the password)."""
        rows = store.statistics(s, _day(since, "since"), _day(until, "until"), hall)
        return HTMLResponse(pages.stats_page(rows))

    # Halls' edits of shared records, for office review (sync/office/proposals_api.py).
    proposals_api.add_routes(app, admin=admin_caller, hall=hall_caller, session=session, transaction=transaction,
                             errors=ERRORS)

    # --- public pages ---

    html_404 = {404: {"description": "not found", "content": {"text/html": {}}},
                422: HTML_ERRORS[422]}

    @app.get("/g/{uid}", response_class=HTMLResponse, responses=html_404, tags=["public"])
    def guide(uid: Annotated[str, UrlPath(max_length=36, json_schema_extra={"format": "uuid"})], s: Annotated[Session, Depends(session)]) -> HTMLResponse:
        """A service guide, readable on a phone (the kiosk's QR code)."""
        data = store.unpublished_guide(s, uid)
        if data is None:
            return HTMLResponse(pages.not_found_page("没有这份办事指南 No such guide."), status_code=404)
        return HTMLResponse(pages.guide_page(data))

    @app.get("/healthz", tags=["public"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # The office console in the browser (sync/office/console).
    from sync.office.console.routes import install

    install(app, db, tz=tz, transaction=transaction, silent_after_min=silent_after_min,
            secure_cookie=public_url.startswith("https://"))
    from sync.office.ratings_api import ratings_router  # the live ticket page, 好差评, follow-ups

    app.include_router(ratings_router(
        db, transaction=transaction, admin_caller=admin_caller, hall_caller=hall_caller, session=session, tz=tz,
        follow_up_days=rating_options.follow_up_days, near_ahead=rating_options.near_ahead,
        offline_after_s=rating_options.offline_after_s, phone_per_minute=rating_options.phone_per_minute))

    return app
