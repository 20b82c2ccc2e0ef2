"""The statistics of the days not rolled up (today, mostly), kept per hall between requests.

A month of a thousand halls is rolled up (store.roll_up_days); what remains is today's tickets,
tens of thousands, which every statistics request and the halls page would read again. This
keeps each hall's part, grouped, and reads again only the halls whose tickets changed since:
every commit that changes a hall's tickets announces it (wakeups.TICKETS, from store.push and
the ratings), in this process at once (after_commit) and from the other server processes
through the wake-up hub. A wake-up too many costs one hall's re-read; a listener that lost its
connection wakes everything; and nothing is trusted for longer than TRUST_S (a writer that
announces nothing, or a wake-up lost on the way, is seen by then).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from sync.office import wakeups

TRUST_S = 120.0
INFO_KEY = "yizhan_live_figures"  # session.info: the cache of the database the session is on
_PENDING = "yizhan_live_figures_pending"

# One hall's part: group key -> [issued, served, not shown, waiting, wait sum, waits, service times]
Part = dict[tuple[Any, ...], list[Any]]
# Reads the tickets of these halls (None: all) into {hall id: Part}.
Reader = Callable[[Sequence[int] | None], dict[int, Part]]


class _Entry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.parts: dict[int, Part] = {}
        self.seq = -1  # the wake-up count it is up to date with
        self.everything = -1  # the "everything changed" count it was read at
        self.made = 0.0


class LiveFigures:
    def __init__(self, trust_s: float = TRUST_S, entries: int = 16):
        self.trust_s = trust_s
        self.max_entries = entries
        self._lock = threading.Lock()
        self._count = itertools.count(1)
        self.seq = 0
        self.everything = 0
        self.woken: dict[int, int] = {}  # hall id -> wake-up count when its tickets last changed
        self._entries: dict[tuple[Any, ...], _Entry] = {}
        self.reads = 0  # ticket reads made (tests)
        self.halls_read = 0

    # --- hearing of changes ------------------------------------------------------------------

    def attach(self, sessions: sessionmaker[Session], hub: wakeups.Wakeups) -> None:
        sessions.kw.setdefault("info", {})[INFO_KEY] = self
        # This process's commits, at once (before the answer leaves); the hub's notes are still
        # there before the commit and gone after it.
        event.listen(sessions, "before_commit", self._before_commit)
        event.listen(sessions, "after_commit", self._after_commit)
        event.listen(sessions, "after_rollback", self._after_rollback)
        hub.subscribe(wakeups.TICKETS, self.changed)  # the other processes' commits

    def _before_commit(self, session: Session) -> None:
        notes = session.info.get(wakeups._NOTES)
        if notes and wakeups.TICKETS in notes:
            keys = notes[wakeups.TICKETS]
            session.info[_PENDING] = None if keys is None else set(keys)

    def _after_commit(self, session: Session) -> None:
        if _PENDING in session.info:
            self.changed(session.info.pop(_PENDING))

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(_PENDING, None)

    def changed(self, hall_ids: Any) -> None:
        """These halls' tickets changed (None: any hall's)."""
        with self._lock:
            self.seq = n = next(self._count)
            if hall_ids is None:
                self.everything = n
                return
            for h in hall_ids:
                try:
                    self.woken[int(h)] = n
                except ValueError:
                    self.everything = n

    # --- answering -----------------------------------------------------------------------------

    def parts(self, key: tuple[Any, ...], read: Reader) -> dict[int, Part]:
        """Each hall's part of the question `key`, read by `read` where not known or changed.
        The answer is shared: read it, never change it."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                while len(self._entries) >= self.max_entries:
                    self._entries.pop(next(iter(self._entries)))
                entry = self._entries[key] = _Entry()
        with entry.lock:  # one reader per question; the others wait and use what it read
            with self._lock:
                now_seq, everything = self.seq, self.everything
                whole = (entry.everything < everything or entry.seq < 0
                         or time.monotonic() - entry.made > self.trust_s)
                stale = None if whole else [h for h, n in self.woken.items() if n > entry.seq]
            if whole:
                made = time.monotonic()
                entry.parts = read(None)
                entry.made = made
                self.reads += 1
            elif stale:
                fresh = read(stale)
                parts = dict(entry.parts)
                for h in stale:
                    if h in fresh:
                        parts[h] = fresh[h]
                    else:
                        parts.pop(h, None)
                entry.parts = parts
                self.reads += 1
                self.halls_read += len(stale)
            entry.seq, entry.everything = now_seq, everything
            return entry.parts


def of(session: Session) -> LiveFigures | None:
    return session.info.get(INFO_KEY)
