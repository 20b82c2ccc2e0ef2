"""A hall cache whose write lock another connection holds, as a counter action in progress does.

Inside `write_lock_held(cache)` a second sqlite3 connection on the same file is in a BEGIN
IMMEDIATE transaction with a row written and not committed. The cache's own connections give up
waiting for a lock after `busy_ms` instead of their usual 10 s, so a read that wants the write
lock fails at once with "database is locked" instead of stalling the test (no timing assert: the
read either needs the lock or it does not).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event


@contextmanager
def write_lock_held(cache: Any, *, busy_ms: int = 200) -> Iterator[sqlite3.Connection]:
    def short_wait(dbapi_conn: sqlite3.Connection, _record: object, _proxy: object) -> None:
        dbapi_conn.execute(f"PRAGMA busy_timeout={busy_ms}")

    event.listen(cache.engine, "checkout", short_wait)
    other = sqlite3.connect(cache.path, isolation_level=None, timeout=10)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO sync_state (key, value) VALUES ('write-lock-test', 'not committed')")
        yield other
    finally:
        other.execute("ROLLBACK")
        other.close()
        event.remove(cache.engine, "checkout", short_wait)
        cache.engine.dispose()  # pooled connections come back with the usual busy timeout
