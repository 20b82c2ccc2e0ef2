"""The ticket high-water mark: a small file beside the cache, so no number is issued twice a day.

A resident holds a paper ticket the moment it is printed. If the cache later loses what it
wrote (a deleted WAL after a crash, torn pages), the database alone would hand out the same
numbers again. So before a number is issued it must be covered by a *reservation* fsynced to
`<cache>.numbers`: numbers are reserved in blocks of `BLOCK` (one small fsync per block, not
per ticket), and every start numbers after the reservation found in the file. A clean shutdown
gives the unused part back (the file then holds the last number actually taken), so only a
crash skips numbers: fewer than two blocks per business, past anything a resident may hold.

The file also says whether a process that reserved numbers is still running ("open"): found
open at start with the WAL gone, the cache has lost its newest commits (see db.open_cache).
Tickets are issued by one process (the hall app); other processes only read the file.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import date, timedelta
from pathlib import Path

log = logging.getLogger(__name__)

BLOCK = 20
KEEP_DAYS = 3  # earlier days are dropped from the file


def mark_path(cache_path: Path) -> Path:
    return cache_path.with_name(cache_path.name + ".numbers")


def started_path(cache_path: Path) -> Path:
    """Written at a hall's first start: a hall that has run never gets the sample staff again."""
    return Path(cache_path).with_name(Path(cache_path).name + ".started")


def write_durably(path: Path, text: str) -> None:
    """Replace `path` atomically and fsync it and its folder: it survives a power cut."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    try:
        dfd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # (a folder cannot be opened on Windows; the rename is durable there)
        return
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


class NumberMark:
    """Reservations of ticket numbers per hall-local day and prefix, kept in `<cache>.numbers`.

    `_reserved` holds only what a completed fsync covers: numbers up to it may be issued. When
    half a block is used, the next block is reserved on a short-lived thread, so issuing a
    ticket normally waits for no fsync of its own; it writes synchronously only when it would
    otherwise pass the reservation (the first ticket after a start or of a day). Every write
    carries `_target` (reservations made or under way), so the file never falls behind.
    """

    def __init__(self, cache_path: Path):
        self.path = mark_path(Path(cache_path))
        self._lock = threading.Lock()  # the state below
        self._io = threading.Lock()  # one write of the file at a time, each with the newest state
        self._reserved: dict[str, dict[str, int]] = {}  # day -> prefix -> highest number covered on disk
        self._target: dict[str, dict[str, int]] = {}  # the same, with reservations being written
        self._floor: dict[str, dict[str, int]] = {}  # the reservations found at start: never reused
        self._ahead: set[tuple[str, str]] = set()  # reservations being written in the background
        self.was_open = False  # the last process to reserve numbers did not shut down cleanly
        self._mine = False  # this process reserved numbers (and gives back the rest on close)
        self.unreadable = ""
        self.found = self.path.exists()  # at start: absent in a new (or lost) data directory
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            days = {str(d): {str(p): int(n) for p, n in v.items()} for d, v in data.get("days", {}).items()}
            self.was_open = bool(data.get("open", False))
        except FileNotFoundError:
            return
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            # never silently: a mark that cannot be read cannot protect the numbering
            self.unreadable = f"{self.path}: {exc}"
            log.error("the ticket number mark %s is unreadable (%s); numbering follows the cache only",
                      self.path, exc)
            return
        self._reserved = {d: dict(v) for d, v in days.items()}
        self._target = {d: dict(v) for d, v in days.items()}
        self._floor = {d: dict(v) for d, v in days.items()}

    @property
    def reserved_here(self) -> bool:
        return self._mine

    def exists(self) -> bool:
        return self.path.exists()

    def floors(self) -> dict[str, dict[str, int]]:
        """{day: {prefix: number}} found at start: numbers that may have been handed out."""
        with self._lock:
            return {d: dict(v) for d, v in self._floor.items()}

    def floor(self, day: date, prefix: str) -> int:
        return self._floor.get(day.isoformat(), {}).get(prefix, 0)

    def next_number(self, day: date, prefix: str, db_last: int) -> int:
        """The number to issue after `db_last` (call it holding the cache's write lock)."""
        key = day.isoformat()
        with self._lock:
            number = max(db_last, self._floor.get(key, {}).get(prefix, 0)) + 1
            reserved = self._reserved.get(key, {}).get(prefix, 0)
            self._mine = True
            if number <= reserved:
                if reserved - number < BLOCK // 2 and (key, prefix) not in self._ahead:
                    self._ahead.add((key, prefix))
                    self._raise_target(key, prefix, reserved + BLOCK)
                    threading.Thread(target=self._write_ahead, args=(key, prefix), name="ticket-mark",
                                     daemon=True).start()
                return number
            self._raise_target(key, prefix, number + BLOCK - 1)
        self._persist(open_=True)  # not covered yet: wait for the fsync before handing it out
        return number

    def _raise_target(self, key: str, prefix: str, value: int) -> None:
        target = self._target.setdefault(key, {})
        target[prefix] = max(target.get(prefix, 0), value)

    def _write_ahead(self, key: str, prefix: str) -> None:
        try:
            self._persist(open_=self._mine)  # (after a clean shutdown's release: still closed)
        except OSError as exc:  # the next ticket past the reservation writes synchronously (and raises)
            log.error("could not reserve ticket numbers in %s: %s", self.path, exc)
        finally:
            with self._lock:
                self._ahead.discard((key, prefix))

    def _persist(self, *, open_: bool) -> None:
        """Write `_target` durably; then everything in it is covered (`_reserved`)."""
        with self._io:
            on_disk = self._read_days() if open_ else {}  # another process's reservations are kept too
            with self._lock:
                for d, prefixes in on_disk.items():
                    for p, n in prefixes.items():
                        self._raise_target(d, p, n)
                self._prune()
                snapshot = {d: dict(v) for d, v in self._target.items()}
            write_durably(self.path, json.dumps({"open": open_, "days": snapshot}, sort_keys=True))
            with self._lock:
                for d, prefixes in snapshot.items():
                    covered = self._reserved.setdefault(d, {})
                    for p, n in prefixes.items():
                        covered[p] = n if not open_ else max(covered.get(p, 0), n)

    def _read_days(self) -> dict[str, dict[str, int]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {str(d): {str(p): int(n) for p, n in v.items()} for d, v in data.get("days", {}).items()}
        except (OSError, ValueError, TypeError, AttributeError):
            return {}

    def raise_floors(self, taken: dict[tuple[date, str], int]) -> None:
        """Never issue these numbers or below again ({(day, prefix): number}, found by a recovery)."""
        with self._lock:
            for (day, prefix), number in taken.items():
                key = day.isoformat()
                floor = self._floor.setdefault(key, {})
                floor[prefix] = max(floor.get(prefix, 0), number)
                self._raise_target(key, prefix, number)
        self._persist(open_=self.was_open or self._mine)

    def release(self, taken: dict[tuple[str, str], int]) -> None:
        """Clean shutdown: keep only the numbers taken ({(day, prefix): highest issued})."""
        with self._lock:
            if not self._mine:
                return
            for day, prefixes in self._target.items():
                for prefix in prefixes:
                    prefixes[prefix] = max(taken.get((day, prefix), 0), self._floor.get(day, {}).get(prefix, 0))
            self._mine = False
        self._persist(open_=False)

    def _prune(self) -> None:
        days = sorted(self._target)
        if days:
            newest = date.fromisoformat(days[-1])
            for d in days:
                if date.fromisoformat(d) < newest - timedelta(days=KEEP_DAYS):
                    self._target.pop(d, None)
                    self._reserved.pop(d, None)
                    self._floor.pop(d, None)
