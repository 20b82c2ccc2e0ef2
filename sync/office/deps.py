"""What the office's routes depend on, one place for all routers (sync/office/routes/): the
database session, a transaction, the caller behind the request's token (hall or admin, with the
wrong-token throttle in front) and the app's settings.

`create_app` (sync/office/api.py) builds the state these read from `request.app.state`; a route
names what it needs in its signature (`who: HallCaller, s: SessionDep`), as in FastAPI's
full-stack template. The checks that are cheap are `async`: no trip through the thread pool.
"""

# No `from __future__ import annotations`: FastAPI must see the dependency types.

import base64
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from starlette.types import Scope

from sync.office import store
from sync.office.config import RatingsSection
from sync.office.db import OfficeDB
from sync.office.store import Caller, OfficeError
from sync.office.throttle import WrongTokenThrottle

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[Session], Any]


@dataclass(frozen=True)
class OfficeSettings:
    """What the routes read of the office's configuration."""

    public_url: str
    tz: ZoneInfo
    ratings: RatingsSection  # the config's [ratings]: follow-ups, the live ticket page, phone ratings


# --- tokens ----------------------------------------------------------------------------------


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


def bearer_of(header: str) -> str:
    """The token of an Authorization header: Bearer, or Basic with the token as the password."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic" and value.strip():  # browsers: any user name, the token as password
        try:
            return base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            return ""
    return ""


class TokenCheck:
    """Who is behind a request's token: the cache first, then the database; wrong tokens are
    counted per source address, and a source that sent too many is refused (429) whatever it sends.

    One per app (`app.state.token_check`): the routes' `caller`, the gzip body check in front of
    them (sync/office/body_limit.py) and the held pulls (sync/office/held_pulls.py) all ask it.
    """

    def __init__(self, db: OfficeDB, tokens: TokenCache, throttle: WrongTokenThrottle):
        self.db = db
        self.tokens = tokens
        self.throttle = throttle

    def _load(self, token: str) -> Caller | None:
        with self.db.reading() as s:
            return store.authenticate(s, token)

    async def caller(self, request: Request) -> Caller:
        token = bearer_of(request.headers.get("authorization", ""))
        if not token:
            raise OfficeError(401, "missing token: send Authorization: Bearer <token>")
        source = request.client.host if request.client else "unknown"
        wait = self.throttle.retry_after(source)
        if wait:
            raise OfficeError(429, f"too many wrong tokens from {source}; try again in {wait} s",
                              headers={"Retry-After": str(wait)})
        hit, found = self.tokens.get(token)
        if not hit:  # the database lookup runs in the thread pool, never on the event loop
            generation = self.tokens.generation
            found = await run_in_threadpool(self._load, token)
            self.tokens.put(token, found, generation)
        if found is None:
            count = self.throttle.failed(source)
            # The guess itself is never logged: it may be a real token with a typo.
            log.warning("wrong token from %s for %s %s (%d within %.0f s)", source, request.method,
                        request.url.path, count, self.throttle.window_s)
            raise OfficeError(401, "unknown or revoked token")
        return found

    def known_hall(self, scope: Scope) -> Caller | None:
        """The hall behind a request's token if the cache knows it (HeldPulls), else None."""
        header = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        token = bearer_of(header.decode("latin-1"))
        client = scope.get("client")
        if not token or self.throttle.retry_after(client[0] if client else "unknown"):
            return None
        hit, found = self.tokens.get(token)
        return found if hit and found is not None and found.kind == "hall" else None


# --- transactions ----------------------------------------------------------------------------


def run_transaction(db: OfficeDB, work: Callable[[Session], T]) -> T:
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


# --- the dependencies ------------------------------------------------------------------------


async def office_db(request: Request) -> OfficeDB:
    return request.app.state.db


async def settings(request: Request) -> OfficeSettings:
    return request.app.state.settings


def session(request: Request) -> Iterator[Session]:
    """A session for reading, closed after the answer is sent."""
    with request.app.state.db.reading() as s:  # (SQLite: never waits for a writer)
        yield s


async def transaction(request: Request) -> Callable[[Work], Any]:
    """`transaction(work)`: `work(session)` in one transaction (run_transaction)."""
    return functools.partial(run_transaction, request.app.state.db)


async def caller(request: Request) -> Caller:
    return await request.app.state.token_check.caller(request)


async def hall_caller(who: Annotated[Caller, Depends(caller)]) -> Caller:
    if who.kind != "hall":
        raise OfficeError(403, "this needs a hall token")
    return who


async def admin_caller(who: Annotated[Caller, Depends(caller)]) -> Caller:
    if who.kind != "admin":
        raise OfficeError(403, "this needs an admin token")
    return who


DBDep = Annotated[OfficeDB, Depends(office_db)]
SettingsDep = Annotated[OfficeSettings, Depends(settings)]
SessionDep = Annotated[Session, Depends(session)]
TransactionDep = Annotated[Callable[[Work], Any], Depends(transaction)]
HallCaller = Annotated[Caller, Depends(hall_caller)]
AdminCaller = Annotated[Caller, Depends(admin_caller)]
