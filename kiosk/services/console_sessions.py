"""Counter consoles' sign-ins on the hall's LAN API, kept in the hall cache.

A session ends at the hall's midnight, after `idle_s` without a request, and when the account's
PIN is reset or the account is disabled or removed. It does not end when the hall app restarts:
the cache keeps a hash of the session key (never the key), a hash of the account's PIN hash at
sign-in, the expiry and when it was last used, so a console that rides through a restart keeps
its clerk signed in. Plain Python, no Qt and no HTTP: kiosk/lan/api.py asks it on each request.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import delete, select

from kiosk.errors import HallError
from sync.cache.models import ConsoleSession, Staff

TOUCH_EVERY_S = 60.0  # last use is written at most once a minute: a poll every second stays a read


class SessionEnded(HallError):
    """Why a session key no longer signs anyone in: `reason` is unknown, day, idle or account."""

    def __init__(self, reason: str):
        super().__init__(reason, "session_ended", reason=reason)
        self.reason = reason


@dataclass(frozen=True)
class SignedIn:
    staff_id: int
    name: str
    role: str


@dataclass
class _Live:
    who: SignedIn
    stamp_hash: str
    expires_at: datetime
    last_used: float  # monotonic
    written: float  # monotonic time last_used_at was last stored


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def next_midnight(moment: datetime, tz: tzinfo) -> datetime:
    local = moment.astimezone(tz)
    return datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tz).astimezone(UTC)


class ConsoleSessions:
    def __init__(self, cache, *, tz: tzinfo, idle_s: float,  # type: ignore[no-untyped-def]
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 monotonic: Callable[[], float] = time.monotonic):
        self.cache, self.tz, self.idle_s = cache, tz, idle_s
        self.now, self.monotonic = now, monotonic
        self._live: dict[str, _Live] = {}
        self._lock = threading.Lock()

    def open(self, key: str, who: SignedIn, stamp: str) -> None:
        """Remember a new sign-in under `key` (a random session key the console keeps)."""
        now = self.now()
        live = _Live(who, _sha(stamp), next_midnight(now, self.tz), self.monotonic(), self.monotonic())
        with self._lock:
            self._live[key] = live
        if self.cache is None:  # no accounts to sign in with (a queue-only test set-up)
            return
        with self.cache.transaction() as s:
            s.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= now))  # yesterday's
            s.add(ConsoleSession(key_hash=_sha(key), staff_id=who.staff_id, stamp_hash=live.stamp_hash,
                                 expires_at=live.expires_at, last_used_at=now))

    def check(self, key: str, stamp_of: Callable[[int], str | None]) -> SignedIn:
        """Who `key` signs in, and the session used now; raises SessionEnded (and forgets the
        session) once it ended. `stamp_of(staff_id)` is the account's PIN hash while active."""
        if not key:
            raise SessionEnded("unknown")
        with self._lock:
            live = self._live.get(key)
        if live is None:
            live = self._load(key)  # e.g. made before the hall app restarted
        if live is None:
            raise SessionEnded("unknown")
        reason = ""
        if self.now() >= live.expires_at:
            reason = "day"
        elif self.monotonic() - live.last_used > self.idle_s:
            reason = "idle"
        elif _sha(stamp_of(live.who.staff_id) or "") != live.stamp_hash:
            reason = "account"
        if reason:
            self.end(key)
            raise SessionEnded(reason)
        live.last_used = self.monotonic()
        if live.last_used - live.written >= TOUCH_EVERY_S and self.cache is not None:
            live.written = live.last_used
            with self.cache.transaction() as s:
                row = s.get(ConsoleSession, _sha(key))
                if row is not None:
                    row.last_used_at = self.now()
        return live.who

    def end(self, key: str) -> None:
        with self._lock:
            self._live.pop(key, None)
        if self.cache is None:
            return
        with self.cache.transaction() as s:
            s.execute(delete(ConsoleSession).where(ConsoleSession.key_hash == _sha(key)))

    def _load(self, key: str) -> _Live | None:
        if self.cache is None:
            return None
        with self.cache.reading() as s:
            row = s.execute(select(ConsoleSession, Staff.name, Staff.role)
                            .join(Staff, Staff.id == ConsoleSession.staff_id)
                            .where(ConsoleSession.key_hash == _sha(key))).first()
        if row is None:
            return None
        stored, name, role = row
        # Idle time so far, from the stored wall clock (monotonic time does not survive a restart).
        idle = max(0.0, (self.now() - stored.last_used_at).total_seconds())
        mono = self.monotonic()
        live = _Live(SignedIn(stored.staff_id, name, role), stored.stamp_hash, stored.expires_at,
                     mono - idle, mono - idle)
        with self._lock:
            return self._live.setdefault(key, live)
