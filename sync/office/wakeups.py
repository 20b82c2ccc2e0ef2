"""Waking whoever waits for a change, in this server process and in the others.

A transaction notes what it changed (`note(session, "feed", hall_ids)`); once it commits,
every process's subscribers to that topic hear of it, on their event loop:

* PostgreSQL: the notes go out as one `pg_notify` per topic inside the transaction, so they are
  delivered only if it commits, and only after. Each server process keeps ONE listening
  connection (not one per waiting hall) and hands what it hears to its subscribers.
* SQLite (one process): the notes are handed over after the commit, in process.

A subscriber gets a set of keys, or None for "anything may have changed" (a long list of keys,
or a listener that reconnected and may have missed something). Waiters must therefore treat a
wake-up as "look again", never as the change itself: a wake-up too many costs a query, one
too few costs a wait until the waiter's own timeout.

Topics: "feed" (hall ids) wakes the halls' waiting pulls (sync/office/waiting.py); TICKETS,
"hall-tickets" (hall ids), wakes the residents' live ticket pages of those halls
(sync/office/live.py). One mechanism for both. TOKENS ("tokens", key "revoked") says a token
was revoked or replaced: the processes' token caches forget what they knew (sync/office/deps.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

Keys = frozenset[str] | None  # None: everything under the topic
Subscriber = Callable[[Keys], None]

FEED = "feed"  # a hall's feed grew: its waiting pull answers
TICKETS = "hall-tickets"  # a hall's tickets (or its sync) changed: its live ticket pages look again
TOKENS = "tokens"  # a token stopped (or started) working: token caches forget
CHANNEL = "yizhan_wakeups"
MAX_PAYLOAD = 7000  # PostgreSQL refuses NOTIFY payloads of 8000 bytes and more
_NOTES = "yizhan_wakeups"  # session.info key


def channel_for(schema: str) -> str:
    if not schema:
        return CHANNEL
    name = f"{CHANNEL}_{re.sub(r'[^a-z0-9_]', '_', schema.lower())}"
    # (a channel is an identifier: at most 63 bytes)
    return name if len(name) <= 63 else f"{CHANNEL}_{hashlib.sha1(schema.encode()).hexdigest()[:20]}"


def _search_path(url: Any) -> str:
    """The search_path a URL's `options=-csearch_path=...` sets, else ""."""
    options = url.query.get("options", "") if url is not None else ""
    options = " ".join(options) if isinstance(options, tuple) else options
    found = re.search(r"search_path\s*=\s*([^\s]+)", options)
    return found.group(1) if found else ""


def note(session: Session, topic: str, keys: Iterable[Any] | None) -> None:
    """Say that this transaction changed `keys` of `topic` (None: all of it).

    Nothing is sent unless the transaction commits. A session not bound to a Wakeups hub
    (the command line, some tests) keeps the note to no effect.
    """
    notes: dict[str, set[str] | None] = session.info.setdefault(_NOTES, {})
    if keys is None:
        notes[topic] = None
        return
    if topic in notes and notes[topic] is None:
        return
    notes.setdefault(topic, set()).update(str(k) for k in keys)  # type: ignore[union-attr]


def encode(topic: str, keys: set[str] | None) -> str:
    """`topic:k1,k2` or `topic:*`; a list too long for one notification becomes `*`."""
    if keys is None:
        return f"{topic}:*"
    payload = f"{topic}:{','.join(sorted(keys))}"
    return payload if len(payload.encode()) <= MAX_PAYLOAD else f"{topic}:*"


def decode(payload: str) -> tuple[str, Keys]:
    topic, _, rest = payload.partition(":")
    if rest == "*":
        return topic, None
    return topic, frozenset(k for k in rest.split(",") if k)


class Wakeups:
    """One per server process. `attach` it to the session factory whose commits it announces;
    `start` it on the event loop that runs the subscribers (lazily, from the first waiter)."""

    def __init__(self, url: str = "", *, schema: str | None = None):
        parsed = make_url(url) if url else None
        self.postgres = parsed is not None and parsed.get_backend_name() == "postgresql"
        self._conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False) \
            if self.postgres and parsed is not None else ""
        # Several office databases in one PostgreSQL (a schema each: tests, benches, offices set
        # apart by search_path in the URL): a channel each, or every office would wake the others.
        self.channel = channel_for(schema or _search_path(parsed))
        self._subscribers: dict[str, list[Subscriber]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listener: asyncio.Task[None] | None = None
        self._start_lock = threading.Lock()
        self.notifications = 0  # heard (for tests and the bench)
        # Bumped whenever wake-ups may have been missed (the listener reconnects): what waiters
        # concluded before is no longer to be trusted.
        self.epoch = 0
        # PostgreSQL: listening now, so every commit's wake-ups reach us (caches may trust them).
        self.listening = False

    # --- the sending side (any thread) -------------------------------------------------------

    def attach(self, sessions: sessionmaker[Session]) -> None:
        event.listen(sessions, "before_commit", self._before_commit)
        event.listen(sessions, "after_commit", self._after_commit)
        event.listen(sessions, "after_rollback", self._after_rollback)

    def _before_commit(self, session: Session) -> None:
        notes = session.info.get(_NOTES)
        if not notes or not self.postgres:
            return
        for topic, keys in notes.items():
            session.execute(select(func.pg_notify(self.channel, encode(topic, keys))))

    def _after_commit(self, session: Session) -> None:
        notes = session.info.pop(_NOTES, None)
        if not notes or self.postgres:  # PostgreSQL: the listener hears our own notifications too
            return
        for topic, keys in notes.items():
            self.wake(topic, None if keys is None else frozenset(keys))

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(_NOTES, None)

    def wake(self, topic: str, keys: Keys) -> None:
        """Hand a wake-up to the subscribers on the loop (thread-safe; no loop yet: nobody waits)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._dispatch, topic, keys)
        except RuntimeError:  # the loop closed meanwhile
            pass

    # --- the receiving side (the event loop) -------------------------------------------------

    def subscribe(self, topic: str, subscriber: Subscriber) -> None:
        self._subscribers.setdefault(topic, []).append(subscriber)

    async def start(self) -> None:
        """Bind to the running loop and, on PostgreSQL, start listening (idempotent)."""
        loop = asyncio.get_running_loop()
        if self._loop is loop and (self._listener is not None or not self.postgres):
            return
        self._loop = loop
        if self.postgres:
            self._listener = loop.create_task(self._listen(), name="wakeups-listener")

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            try:
                await self._listener
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - stopping anyway
                pass
            self._listener = None

    def _dispatch(self, topic: str, keys: Keys) -> None:
        for subscriber in self._subscribers.get(topic, ()):
            try:
                subscriber(keys)
            except Exception:  # noqa: BLE001 - one subscriber must not stop the others
                log.exception("wake-up subscriber for %r failed", topic)

    def _dispatch_all(self) -> None:
        for topic in list(self._subscribers):
            self._dispatch(topic, None)

    async def _listen(self) -> None:
        import psycopg

        delay = 0.5
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True,
                                                             application_name="yizhan-wakeups")
                async with conn:
                    await conn.execute(f'LISTEN "{self.channel}"')
                    delay = 0.5
                    self.listening = True
                    # Whatever was announced while we were not listening: everyone looks again.
                    self.epoch += 1
                    self._dispatch_all()
                    async for n in conn.notifies():
                        self.notifications += 1
                        self._dispatch(*decode(n.payload))
                self.listening = False
            except asyncio.CancelledError:
                self.listening = False
                raise
            except Exception as exc:  # noqa: BLE001 - the database restarts, the network drops
                self.listening = False
                self.epoch += 1
                log.warning("wake-up listener lost its connection (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
