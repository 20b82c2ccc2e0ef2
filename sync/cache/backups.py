"""Automatic backups of the hall cache: SQLite's online backup API, rotated, in the data directory.

A backup is taken every `interval` (default hourly) by a thread of the hall app and at every
clean shutdown, into DATA_DIR/backups/hall-YYYYmmddTHHMMSSZ.sqlite3; the newest `keep` are kept.
A damaged cache is rebuilt from what is still readable in it together with the newest backup
that passes its integrity check (sync/cache/recovery.py).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from sync.cache.db import backup_database, check_integrity

log = logging.getLogger(__name__)

PATTERN = "hall-*.sqlite3"


def backups_dir(cache_path: Path) -> Path:
    return Path(cache_path).parent / "backups"


def list_backups(cache_path: Path) -> list[Path]:
    """Backups in the data directory, newest first."""
    folder = backups_dir(cache_path)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(PATTERN), key=lambda p: p.name, reverse=True)


def newest_sound_backup(cache_path: Path) -> Path | None:
    for path in list_backups(cache_path):
        if path.stat().st_size > 0 and check_integrity(path) is None:
            return path
        log.warning("backup %s is damaged; trying an older one", path)
    return None


def take_backup(cache_path: Path, keep: int) -> Path:
    """One consistent copy now, then the oldest beyond `keep` removed. Raises on a damaged cache."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = backups_dir(cache_path) / f"hall-{stamp}.sqlite3"
    backup_database(cache_path, target)
    rotate(cache_path, keep)
    return target


def rotate(cache_path: Path, keep: int) -> list[Path]:
    removed = []
    for old in list_backups(cache_path)[max(1, keep):]:
        old.unlink(missing_ok=True)
        removed.append(old)
    return removed


class BackupTimer:
    """Takes a backup every `interval_s` on a thread of its own until stopped."""

    def __init__(self, cache_path: Path, interval_s: float, keep: int):
        self.cache_path = Path(cache_path)
        self.interval_s = interval_s
        self.keep = keep
        self.taken = 0
        self.last_error = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cache-backup", daemon=True)

    def start(self) -> BackupTimer:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.backup_now()

    def backup_now(self) -> Path | None:
        try:
            path = take_backup(self.cache_path, self.keep)
        except (OSError, sqlite3.Error, RuntimeError) as exc:
            self.last_error = str(exc)
            log.error("automatic backup of %s failed: %s", self.cache_path, exc)
            return None
        self.taken += 1
        log.info("backed up the cache to %s", path)
        return path

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():  # (never started when only the shutdown's backup is wanted)
            self._thread.join(10)
