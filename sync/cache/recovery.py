"""Rebuilding a damaged cache: everything still readable in it, together with the newest backup.

The damaged file has already been moved aside (never deleted). A new cache is migrated to the
current schema and filled, table by table, with the rows salvaged from the damaged file
(sync/cache/salvage.py) and then with the rows of the newest sound backup that the salvage
lacks (the salvage is newer, so it wins where both have a row). Rows whose parent was lost
(an event without its ticket) are dropped and counted. What could not be saved is written to
the log and kept in the new cache (`sync_state` key "recovery") for `yizhan db check` and the
counter console's status line.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sync.cache.salvage import Column, column_kind, salvage

log = logging.getLogger(__name__)

REPORT_KEY = "recovery"
# Rows are only ever added to these, so a hole in their ids is a row that was lost.
APPEND_ONLY = ("ticket", "ticket_event", "outbox", "audit_log", "content_revision")
SKIP = {"alembic_version"}


@dataclass
class RecoveryReport:
    reason: str
    damaged_copy: str
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    backup: str = ""  # the backup merged in, if any
    salvaged: dict[str, int] = field(default_factory=dict)  # rows read from the damaged file
    from_backup: dict[str, int] = field(default_factory=dict)  # rows only the backup still had
    lost: dict[str, str] = field(default_factory=dict)  # table -> what is missing ("ids 23–41")
    dropped: dict[str, int] = field(default_factory=dict)  # rows whose parent row was lost
    unsynced: int = 0  # outbox entries not yet confirmed by the office, all kept
    staff: int = 0
    office: str = ""  # asking the office for its highest ticket numbers: "" not yet, or what came of it

    def lines(self) -> list[str]:
        """What could not be saved, one line per table (empty: nothing known lost)."""
        out = [f"{t}: {what}" for t, what in sorted(self.lost.items())]
        out += [f"{t}: {n} row(s) dropped, their parent row was lost" for t, n in sorted(self.dropped.items())]
        return out

    def summary(self) -> str:
        lost = "; ".join(self.lines()) or "nothing known lost"
        return (f"cache rebuilt at {self.at} ({self.reason}); damaged copy kept at {self.damaged_copy}; "
                f"rows saved {sum(self.salvaged.values())} + {sum(self.from_backup.values())} from backup "
                f"{self.backup or '(none)'}; {self.unsynced} unsynced outbox entries kept; lost: {lost}; "
                f"office's ticket numbers: {self.office or 'not asked yet'}")

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> RecoveryReport:
        return cls(**json.loads(text))


def table_columns(conn: sqlite3.Connection) -> dict[str, list[Column]]:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                        " AND name NOT LIKE 'sqlite_%'")]
    tables = {}
    for name in names:
        if name in SKIP:
            continue
        info = conn.execute(f'PRAGMA table_info("{name}")').fetchall()
        pks = [r for r in info if r[5]]
        tables[name] = [
            Column(r[1], column_kind(r[2] or ""), bool(r[3]),
                   rowid_alias=len(pks) == 1 and r[5] == 1 and (r[2] or "").upper() == "INTEGER")
            for r in info
        ]
    return tables


def _fk_order(conn: sqlite3.Connection, tables: list[str]) -> list[str]:
    """Parents before children (the merge runs without FK checks, the order keeps ids sane)."""
    deps = {t: {r[2] for r in conn.execute(f'PRAGMA foreign_key_list("{t}")')} & set(tables) - {t} for t in tables}
    order: list[str] = []
    while deps:
        ready = sorted(t for t, d in deps.items() if not d - set(order))
        if not ready:  # a cycle: take the rest as they come
            ready = sorted(deps)
        for t in ready:
            order.append(t)
            deps.pop(t)
    return order


def _gaps(ids: list[int]) -> str:
    if not ids:
        return ""
    have = set(ids)
    missing = [i for i in range(1, max(ids)) if i not in have]
    if not missing:
        return ""
    ranges = []
    start = prev = missing[0]
    for i in missing[1:]:
        if i != prev + 1:
            ranges.append((start, prev))
            start = i
        prev = i
    ranges.append((start, prev))
    shown = ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in ranges[:8])
    more = "" if len(ranges) <= 8 else f" and {len(ranges) - 8} more ranges"
    return f"{len(missing)} row(s) lost (ids {shown}{more})"


def rebuild(new_path: Path, damaged: Path, reason: str, backup: Path | None) -> RecoveryReport:
    """Fill the freshly migrated cache at `new_path` from `damaged` and `backup`."""
    report = RecoveryReport(reason=reason, damaged_copy=str(damaged), backup=str(backup or ""))
    conn = sqlite3.connect(new_path, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys=OFF")
        tables = table_columns(conn)
        found = salvage(damaged, tables)
        order = _fk_order(conn, list(tables))
        conn.execute("BEGIN IMMEDIATE")
        for name in order:
            cols = tables[name]
            rows = found.rows.get(name, {})
            sql = (f'INSERT OR IGNORE INTO "{name}" ({", ".join(chr(34) + c.name + chr(34) for c in cols)})'
                   f" VALUES ({', '.join('?' * len(cols))})")
            before = _count(conn, name)
            conn.executemany(sql, [rows[k] for k in sorted(rows)])
            report.salvaged[name] = _count(conn, name) - before
        conn.execute("COMMIT")
        if backup is not None:
            _merge_backup(conn, backup, tables, order, report)
        conn.execute("BEGIN IMMEDIATE")
        _drop_orphans(conn, report)
        for name in APPEND_ONLY:
            if name in tables:
                gap = _gaps([r[0] for r in conn.execute(f'SELECT rowid FROM "{name}"')])
                if gap:
                    report.lost[name] = gap
        if found.bad_pages:
            report.lost["pages"] = f"{found.bad_pages} page(s) of the damaged file unreadable"
        report.unsynced = conn.execute("SELECT count(*) FROM outbox WHERE done_at IS NULL").fetchone()[0]
        report.staff = conn.execute("SELECT count(*) FROM staff").fetchone()[0]
        report.salvaged = {k: v for k, v in report.salvaged.items() if v}
        conn.execute("INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)", (REPORT_KEY, report.to_json()))
        conn.execute("COMMIT")
    finally:
        conn.close()
    return report


def _count(conn: sqlite3.Connection, name: str) -> int:
    return conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]


def _merge_backup(conn: sqlite3.Connection, backup: Path, tables: dict[str, list[Column]], order: list[str],
                  report: RecoveryReport) -> None:
    conn.execute("ATTACH DATABASE ? AS bk", (f"file:{backup}?mode=ro",))
    try:
        conn.execute("BEGIN IMMEDIATE")
        for name in order:
            have = {r[1] for r in conn.execute(f'PRAGMA bk.table_info("{name}")')}
            cols = [c.name for c in tables[name] if c.name in have]
            if not cols:
                continue
            quoted = ", ".join(f'"{c}"' for c in cols)
            before = _count(conn, name)
            # OR IGNORE: where the salvage has the row (same id, uid or number), the salvage is newer
            conn.execute(f'INSERT OR IGNORE INTO main."{name}" ({quoted}) SELECT {quoted} FROM bk."{name}"')
            if added := _count(conn, name) - before:
                report.from_backup[name] = added
        conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        log.error("could not read the backup %s (%s); rebuilt from the damaged file only", backup, exc)
        report.backup = ""
        report.from_backup = {}
    finally:
        conn.execute("DETACH DATABASE bk")


def _drop_orphans(conn: sqlite3.Connection, report: RecoveryReport) -> None:
    for _ in range(3):  # a dropped parent can orphan its own children
        problems = conn.execute("PRAGMA foreign_key_check").fetchall()
        if not problems:
            return
        for table, rowid, _parent, _fk in problems:
            if rowid is None:
                continue
            conn.execute(f'DELETE FROM "{table}" WHERE rowid = ?', (rowid,))
            report.dropped[table] = report.dropped.get(table, 0) + 1


def highest_numbers(conn: sqlite3.Connection) -> dict[tuple[str, str], int]:
    """{(day, prefix): highest ticket number} known to the cache: tickets and outbox payloads."""
    out: dict[tuple[str, str], int] = {}
    for day, prefix, number in conn.execute("SELECT service_day, prefix, max(number) FROM ticket"
                                            " GROUP BY service_day, prefix"):
        out[(str(day), prefix)] = int(number)
    for (payload,) in conn.execute("SELECT payload FROM outbox WHERE kind = 'ticket_event'"):
        try:
            t = json.loads(payload)["ticket"]
            key = (str(t["service_day"]), str(t["prefix"]))
            out[key] = max(out.get(key, 0), int(t["number"]))
        except (ValueError, KeyError, TypeError):
            continue
    return out


def parse_day(text: str) -> date | None:
    return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
