"""The office's HTTP interface (FastAPI): the halls' sync API, admin publishing, public pages.

`create_app` builds the app's state (the store's database, the token check, the wake-ups, the
statistics' roll-up, the held pulls) and includes the routers of sync/office/routes/; what the
routes depend on is in sync/office/deps.py. Every refusal is a 4xx with
`{"detail": {"message": ..., "entry": ...}}` and changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Receive, Scope, Send

from sync import wire
from sync.office import wakeups
from sync.office.body_limit import BodyLimit
from sync.office.config import RatingsSection
from sync.office.console.routes import Console
from sync.office.console.routes import install as install_console
from sync.office.db import OfficeDB
from sync.office.deps import OfficeSettings, TokenCache, TokenCheck
from sync.office.held_pulls import HeldPulls
from sync.office.rollup import ROLL_UP_EVERY_S, Roller
from sync.office.routes import content, hall_sync, halls, proposals, public, stats
from sync.office.routes import ratings as ratings_routes
from sync.office.store import OfficeError
from sync.office.throttle import WrongTokenThrottle
from sync.office.waiting import PullWaiters


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
               silent_after_min: int = 10, ratings: RatingsSection | None = None,
               roll_up_every_s: float | None = ROLL_UP_EVERY_S) -> FastAPI:
    """The office app on an open database; `ratings` is the config's [ratings] section (defaults if None);
    `roll_up_every_s` None: no statistics roll-up in the background (figures are then counted live)."""
    settings = OfficeSettings(public_url=public_url, tz=ZoneInfo(timezone), ratings=ratings or RatingsSection())
    # Known tokens for 10 min where every revocation is heard at once (wake-ups, TOKENS).
    tokens = TokenCache(ttl_s=token_ttl_s, trusted_ttl_s=600.0, trusted=lambda: db.wakeups.listening)
    db.wakeups.subscribe(wakeups.TOKENS, tokens.forget)
    token_check = TokenCheck(db, tokens, WrongTokenThrottle(wrong_token_limit, wrong_token_window_s))
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

    app = OfficeApp(
        lifespan=lifespan,
        title="一站 Yizhan street office",
        version=str(wire.WIRE_VERSION),
        description="Sync API for community halls, content publishing, public guide and ticket pages.",
    )
    # What the routes' dependencies read (sync/office/deps.py).
    app.state.db = db
    app.state.settings = settings
    app.state.token_check = token_check
    app.state.waiters = waiters = PullWaiters(db)
    # Level 5 as the halls compress: level 9 costs ~1.5 ms per page for a few % fewer bytes.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)
    app.add_middleware(BodyLimit, authorize=lambda scope: token_check.caller(Request(scope)))
    # In front of FastAPI itself: the halls' held pulls skip the rest (sync/office/held_pulls.py).
    app.held_pulls = HeldPulls(app.call_fastapi, waiters, token_check.known_hall)

    app.exception_handler(OfficeError)(_office_error)
    app.exception_handler(RequestValidationError)(_invalid)
    app.exception_handler(StarletteHTTPException)(_http)

    app.include_router(hall_sync.router)
    app.include_router(content.router)
    app.include_router(halls.router)
    app.include_router(stats.router)
    app.include_router(proposals.router)  # halls' edits of shared records, for office review
    app.include_router(public.router)
    # The office console in the browser (sync/office/console), with its own sign-in.
    install_console(app, Console(tz=settings.tz, silent_after_min=silent_after_min,
                                 secure_cookie=public_url.startswith("https://")))
    app.state.live_tickets = ratings_routes.LiveTickets(db, settings)
    app.include_router(ratings_routes.router)  # the live ticket page, 好差评, follow-ups
    return app


# --- refusals, all in one shape (wire.ErrorReply) --------------------------------------------


def _error_response(status: int, message: str, entry: str | None = None,
                    headers: dict[str, str] | None = None) -> JSONResponse:
    body = wire.ErrorReply(detail=wire.ErrorDetail(message=message, entry=entry))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


async def _office_error(request: Request, exc: OfficeError) -> JSONResponse:
    headers = exc.headers
    if exc.status == 401 and request.url.path == "/stats":
        headers = {"WWW-Authenticate": 'Basic realm="yizhan office (password: admin token)"'}
    return _error_response(exc.status, exc.message, exc.entry, headers)


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(p) for p in first.get("loc", ()))
    entry = None
    loc = list(first.get("loc", ()))
    if len(loc) > 2 and loc[:2] == ["body", "entries"] and isinstance(loc[2], int):
        entry = f"#{loc[2]}"
    return _error_response(422, f"{where}: {first.get('msg')} ({len(errors)} problem(s))", entry)


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    # Starlette's own headers, e.g. Allow on a 405
    return _error_response(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))
