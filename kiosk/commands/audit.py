"""`yizhan audit`: print the audit log (logins, failed logins, publishes, restores, accounts)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from kiosk.commands.common import add_hall_options, hall_config
from sync.cache.db import open_cache
from sync.cache.models import AuditLog
from sync.checks import terminal_safe


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("audit", help="print the audit log",
                              description="Print who did what: logins, failed logins, publishes, "
                              "restores, conflict decisions and account changes (oldest first).")
    add_hall_options(p)
    p.add_argument("--since", type=_since, metavar="WHEN",
                   help="only entries from this date/time on (2026-11-25, 2026-11-25T14:00, or 7d / 12h)")
    p.add_argument("--actor", help="only entries by this staff member")
    p.add_argument("--action", help="only this action (login, login_failed, publish, restore, ...)")
    p.add_argument("--limit", type=int, default=0, help="only the newest N entries")
    p.set_defaults(run=run)


def _since(text: str) -> datetime:
    """A date, a local date-time, or a span back from now like 7d / 12h."""
    text = text.strip()
    try:
        if text[-1:] in ("d", "h") and text[:-1].isdigit():
            span = timedelta(days=int(text[:-1])) if text[-1] == "d" else timedelta(hours=int(text[:-1]))
            return datetime.now(UTC) - span
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day).astimezone(UTC)
        moment = datetime.fromisoformat(text)
        return (moment if moment.tzinfo else moment.astimezone()).astimezone(UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--since 应为日期或时间，如 2026-11-25、2026-11-25T14:00 或 7d (got {text!r})") from None


def run(args: argparse.Namespace) -> int:
    config = hall_config(args)
    tz = ZoneInfo(config.hall.timezone)  # times as the hall's clock shows them
    cache = open_cache(config.cache_path())
    query = select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc())
    if args.since is not None:
        query = query.where(AuditLog.at >= args.since)
    if args.actor:
        query = query.where(AuditLog.actor == args.actor)
    if args.action:
        query = query.where(AuditLog.action == args.action)
    if args.limit > 0:
        query = query.limit(args.limit)
    with cache.sessions() as session:
        rows = list(session.scalars(query))
    cache.close()
    out = sys.stdout
    for row in reversed(rows):
        when = row.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
        detail = json.dumps(row.detail, ensure_ascii=False, sort_keys=True) if row.detail else ""
        # names and targets come from anyone at a login screen: never let them drive the terminal
        line = f"{when}  {terminal_safe(row.actor):<8}  {terminal_safe(row.action):<16}  {terminal_safe(row.target)}"
        print(f"{line}  {terminal_safe(detail)}".rstrip(), file=out)
    if not rows:
        print("（没有符合条件的记录 no matching entries）", file=out)
    return 0
