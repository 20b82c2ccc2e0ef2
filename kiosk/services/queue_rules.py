"""The queue's rules: who is called next, who stands ahead of whom, where a returning or
transferred ticket goes back in, and how long a resident will wait (see QueueSection).

Calling order at a window:
1. tickets transferred to this very window;
2. priority tickets (优先) of the window's businesses (rule "first"; "ratio" lets one regular
   ticket through after `priority_ratio` priority calls in a row; "off" ignores the flag);
3. the window's businesses in the window's own order (先叫第一项业务的号，没有人等再叫下一项),
   oldest first inside one business.

The decisions are pure functions; where a rule needs the queue's rows it asks the database for
the few it needs (index seeks, counts: kiosk/services/queue_db.py) rather than loading the
thousands that may be waiting.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from kiosk.config import QueueSection
from kiosk.services.queue_db import QueueDb, TicketRow, WindowRow


def kinds_to_call(rule: str, streak: int, ratio: int) -> list[bool | None]:
    """The kinds of ticket to look for, in turn: priority first, regular first after `ratio`
    priority calls in a row (rule "ratio"), or None: both kinds alike (rule "off")."""
    if rule == "off":
        return [None]
    if rule == "ratio" and streak >= ratio:
        return [False, True]  # let one regular ticket through
    return [True, False]


def priority_streak(details: Iterable[dict[str, Any] | None]) -> int:
    """How many of the calls (their event details, newest first) were priority tickets, in a row."""
    streak = 0
    for d in details:
        if not (d or {}).get("priority"):
            break
        streak += 1
    return streak


def next_ticket(db: QueueDb, window: WindowRow, day: date, day_start: datetime,
                rules: QueueSection) -> TicketRow | None:
    """The ticket this window calls next on `day` (which began at `day_start`), or None when
    nobody waits for it."""
    sday = db.c.day_in(day)
    sent = db.first_sent_to(window.id, sday, by_priority=rules.priority_rule != "off")
    if sent is not None:
        return db.ticket_by_id(sent)
    ranked = [bid for bid, _code, _name in db.window_businesses(window.id)]
    if not ranked:
        return None
    streak = 0
    if rules.priority_rule == "ratio":
        streak = priority_streak(db.last_call_details(window.id, day_start, rules.priority_ratio))
    for want_priority in kinds_to_call(rules.priority_rule, streak, rules.priority_ratio):
        for bid in ranked:  # the first business (in the window's order) with a ticket of this kind wins
            if want_priority is None:
                # priority ignored: oldest of both kinds (two index seeks, the smaller key wins)
                found = [db.first_waiting(sday, bid, p, window.id) for p in (True, False)]
                rows = [db.ticket_by_id(i) for i in found if i is not None]
                if rows:
                    return min(rows, key=lambda t: (t.queue_key, t.id))
                continue
            found_id = db.first_waiting(sday, bid, want_priority, window.id)
            if found_id is not None:
                return db.ticket_by_id(found_id)
    return None


def people_ahead(db: QueueDb, ticket: TicketRow, rule: str) -> int:
    """Tickets waiting for the same business that will be called before this waiting one: every
    priority ticket before a regular one (unless the rule is "off"), then queue order."""
    day = db.c.day_in(ticket.service_day)
    if rule == "off":
        return db.count_waiting(day, ticket.business_type_id, ahead_of=ticket)
    if ticket.priority:
        return db.count_waiting(day, ticket.business_type_id, priority=True, ahead_of=ticket)
    return (db.count_waiting(day, ticket.business_type_id, priority=True)
            + db.count_waiting(day, ticket.business_type_id, priority=False, ahead_of=ticket))


def ahead_of_new(db: QueueDb, day: str, business_id: int, priority: bool, rule: str) -> int:
    """People ahead of a ticket about to be issued: it will be the last of its kind (a priority
    one only has the priority tickets ahead), counted before it joins the queue."""
    return db.count_waiting(day, business_id, priority=True if priority and rule != "off" else None)


def returning_key(before: list[float], rules: QueueSection, now: datetime) -> float:
    """Where a skipped resident who came back goes: the front, or after `skip_return_after`
    of those waiting (`before`: their queue keys, in order)."""
    if rules.skip_return == "front" or not before:
        return (before[0] - 1.0) if before else now.timestamp()
    n = rules.skip_return_after
    if n == 0:
        return before[0] - 1.0
    if len(before) > n:
        return (before[n - 1] + before[n]) / 2
    return before[-1] + 1e-3


def wait_minutes(ahead: int, open_windows: int, per_ticket: float) -> int | None:
    """Minutes until called: people ahead × service time ÷ open windows (None if none is open)."""
    if open_windows == 0:
        return None
    if ahead == 0:
        return 0
    return max(1, math.ceil(ahead * per_ticket / open_windows))


def estimate_wait(db: QueueDb, business_id: int, default_minutes: int, day: date, ahead: int,
                  recent: int) -> int | None:
    """wait_minutes with the business's open windows and its recent service time (the
    business's own default until the day has served some)."""
    windows = db.serving_windows(business_id, open_only=True)
    if windows == 0 or ahead == 0:
        return wait_minutes(ahead, windows, 0.0)  # no need for the service time
    avg = db.avg_service(day, recent, business_id=business_id)
    return wait_minutes(ahead, windows, avg if avg is not None else float(default_minutes))
