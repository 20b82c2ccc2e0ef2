"""The waiting pull's short road: `GET /api/v1/pull?wait_s=...` from a hall whose token is known.

Thousands of halls renew their waiting pull every minute and are all answered at once by a
publish to all; through FastAPI (routing, dependencies, validation, the gzip middleware) each
such request costs about a millisecond of CPU, most of the office's idle CPU. This ASGI
app, in front of FastAPI (sync/office/api.py OfficeApp), serves exactly that request itself: the same checks, the
same waiters (sync/office/waiting.py), the same answer. Anything else, or anything it is not
sure of (an unknown or expired token, an odd query, a throttled address), goes on to FastAPI,
which answers or refuses it as before.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import re
from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from sync import wire
from sync.office import store
from sync.office.store import Caller, OfficeError
from sync.office.waiting import PullWaiters

log = logging.getLogger(__name__)

PATH = "/api/v1/pull"
GZIP_OVER = 1024  # as the app's GZipMiddleware
_DIGITS = re.compile(r"[0-9]{1,4}")
_SECONDS = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3})?")

# (scope) -> the hall behind the request's token if known without a query, else None
KnownHall = Callable[[Scope], Caller | None]


class HeldPulls:
    def __init__(self, app: ASGIApp, waiters: PullWaiters, known_hall: KnownHall):
        self.app = app
        self.waiters = waiters
        self.known_hall = known_hall
        self.served = 0  # held pulls answered here (tests, the bench)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != PATH:
            return await self.app(scope, receive, send)
        query = _query(scope["query_string"])
        who = self.known_hall(scope) if query is not None else None
        if query is None or who is None:
            return await self.app(scope, receive, send)
        cursor, limit, wait_s = query
        self.served += 1
        try:
            page = await self.waiters.pull(who, cursor, limit, wait_s)
        except asyncio.CancelledError:  # the server is stopping: an empty answer, the hall asks again
            page = wire.PullPage(changes=[], cursor=cursor or store.make_cursor(0, 0), more=False,
                                 office_time=store.utcnow())
        except Exception:  # (outside FastAPI: say so as its error middleware would)
            log.exception("a waiting pull of hall %s failed", who.code)
            body = b'{"detail":{"message":"the office could not read the feed; try again","entry":null}}'
            await send({"type": "http.response.start", "status": 500, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        body = page.model_dump_json().encode()
        headers = [(b"content-type", b"application/json"), (b"x-yizhan-waited", b"1")]
        if len(body) >= GZIP_OVER and _accepts_gzip(scope):
            body = gzip.compress(body, compresslevel=5, mtime=0)
            headers += [(b"content-encoding", b"gzip"), (b"vary", b"Accept-Encoding")]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _query(raw: bytes) -> tuple[str, int, float] | None:
    """(cursor, limit, wait_s) of a well-formed waiting pull, else None (FastAPI decides)."""
    try:
        items = parse_qsl(raw.decode("ascii"), keep_blank_values=True, strict_parsing=bool(raw))
    except (UnicodeDecodeError, ValueError):
        return None
    given = dict(items)
    if len(given) != len(items) or not set(given) <= {"cursor", "limit", "wait_s"}:
        return None
    cursor = given.get("cursor", "")
    limit = given.get("limit", str(wire.DEFAULT_PULL_LIMIT))
    wait = given.get("wait_s", "")
    if len(cursor) > 60 or not _DIGITS.fullmatch(limit) or not _SECONDS.fullmatch(wait):
        return None
    try:
        store.parse_cursor(cursor)
    except OfficeError:
        return None
    limit_n, wait_s = int(limit), float(wait)
    if not (1 <= limit_n <= wire.MAX_PULL_LIMIT and 0 < wait_s <= wire.MAX_WAIT_S):
        return None
    return cursor, limit_n, wait_s


def _accepts_gzip(scope: Scope) -> bool:
    return any(k == b"accept-encoding" and b"gzip" in v for k, v in scope["headers"])
