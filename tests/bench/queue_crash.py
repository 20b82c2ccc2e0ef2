"""Crash test of the ticket engine: SIGKILL a worker at random points while it issues and calls
tickets, restart, and check that nothing shown was lost and nothing was doubled.

    .venv/bin/python -m tests.bench.queue_crash [--kills 1000] [--seed 1]

A forked worker (its parent already imported everything, so each restart is cheap) opens the
cache and runs a random mix of issue / call next / recall / skip / return / transfer / finish,
writing a line to a pipe only after an action returned — what a kiosk would have shown or
printed, or the board announced. The parent kills it with SIGKILL after a random 0-60 ms, then
checks the cache:

- lost: shown tickets missing, or announced calls without a committed "called" event;
- duplicated: a (day, prefix, number) twice, a ticket with more than one "issued" event, or
  an outbox entry twice;
- gaps: missing numbers in 1..max per business and day;
- inconsistent: tickets whose stored state differs from the state their events lead to
  (a ticket "in two states"), or events without their outbox row.

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from kiosk.config import QueueSection
from kiosk.services.events import EventBus
from kiosk.services.queue import QueueError, QueueService
from sync.cache.db import open_cache
from sync.cache.models import BusinessType, Outbox, Ticket, TicketEvent, Window, WindowService

BUSINESSES = [("labor", "A"), ("civil", "B"), ("health", "C")]
WINDOWS = [(1, ["labor"]), (2, ["civil", "health"]), (3, ["health", "labor"])]
AFTER = {"issued": "waiting", "called": "called", "skipped": "skipped", "returned": "waiting",
         "transferred": "waiting", "held": "held", "served": "served", "cancelled": "cancelled",
         "expired": "expired"}


def seed(path: Path) -> None:
    cache = open_cache(path)
    with cache.transaction() as s:
        ids = {}
        for code, prefix in BUSINESSES:
            b = BusinessType(code=code, name=code, prefix=prefix)
            s.add(b)
            s.flush()
            ids[code] = b.id
        for number, codes in WINDOWS:
            w = Window(number=number, name=f"{number}")
            s.add(w)
            s.flush()
            for rank, code in enumerate(codes):
                s.add(WindowService(window_id=w.id, business_type_id=ids[code], priority=rank))
    cache.close()


def worker(q: QueueService, fd: int, rng_seed: int) -> None:
    """Runs in the forked child until it is killed (forever, unless something is wrong)."""
    rng = random.Random(rng_seed)
    out = os.fdopen(fd, "w", buffering=1)
    out.write("ready\n")
    while True:
        r = rng.random()
        window = rng.choice(WINDOWS)[0]
        try:
            if r < 0.45:
                t = q.issue_ticket(rng.choice(BUSINESSES)[0], priority=rng.random() < 0.1)
                out.write(f"I {t.uid}\n")
            elif r < 0.75:
                t = q.call_next(window)
                if t is not None:
                    out.write(f"C {t.uid}\n")
            elif r < 0.80:
                q.recall(window)
            elif r < 0.85:
                q.skip(window)
            elif r < 0.88:
                state = q.window_state(window, limit=1)
                if state.skipped:
                    q.return_skipped(state.skipped[0].uid)
            elif r < 0.91:
                q.transfer(window, business_code=rng.choice(BUSINESSES)[0])
            elif r < 0.93:
                q.hold(window)
            else:
                q.finish(window)
        except QueueError:
            pass  # e.g. nothing at the window; a normal answer


def check(cache, shown: set[str], called: set[str]) -> dict[str, int]:
    with cache.sessions() as s:
        tickets = s.scalars(select(Ticket)).all()
        events = s.execute(select(TicketEvent.ticket_id, TicketEvent.kind, TicketEvent.uid)
                           .order_by(TicketEvent.id)).all()
        outbox = Counter(s.scalars(select(Outbox.uid)))
    cache.engine.dispose()  # no connection may cross the next fork
    by_uid = {t.uid: t for t in tickets}
    by_id = {t.id: t for t in tickets}
    story: dict[int, list[str]] = defaultdict(list)
    duplicated = 0
    inconsistent = 0
    for ticket_id, kind, uid in events:
        story[ticket_id].append(kind)
        if outbox.get(uid, 0) == 0:
            inconsistent += 1  # an event the office would never hear of
    keys = Counter((t.service_day, t.prefix, t.number) for t in tickets)
    duplicated += sum(n - 1 for n in keys.values() if n > 1)
    duplicated += sum(1 for kinds in story.values() if kinds.count("issued") != 1)
    duplicated += sum(n - 1 for n in outbox.values() if n > 1)
    lost = sum(1 for uid in shown if uid not in by_uid)
    lost += sum(1 for uid in called if uid not in by_uid or "called" not in story[by_uid[uid].id])
    gaps = 0
    numbers: dict[tuple, set[int]] = defaultdict(set)
    for t in tickets:
        numbers[(t.service_day, t.prefix)].add(t.number)
    for nums in numbers.values():
        gaps += max(nums) - len(nums)
    for tid, kinds in story.items():
        state = "waiting"
        for kind in kinds:
            state = AFTER.get(kind, state)
        if by_id[tid].state != state:
            inconsistent += 1
    return {"tickets": len(tickets), "events": len(events), "lost": lost, "duplicated": duplicated,
            "gaps": gaps, "inconsistent": inconsistent}


def run(kills: int, seed_value: int = 1, max_delay_ms: float = 60.0) -> dict:
    rng = random.Random(seed_value)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="queue-crash-") as tmp:
        path = Path(tmp) / "hall.sqlite3"
        seed(path)
        # One engine prepared (and its statements compiled) in the parent; each forked worker
        # starts with an empty pool and opens its own connection, like a restarted hall app.
        cache = open_cache(path, migrate=False)
        q = QueueService(cache, EventBus(), tz=ZoneInfo("Asia/Shanghai"), config=QueueSection(max_number=9999))
        warm = random.Random(0)
        for _ in range(30):
            q.issue_ticket(warm.choice(BUSINESSES)[0])
            for window, _codes in WINDOWS:
                q.call_next(window)
        cache.engine.dispose()
        shown: set[str] = set()
        called: set[str] = set()
        result = {}
        for k in range(kills):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # child
                os.close(r)
                try:
                    cache.engine.dispose(close=False)
                    worker(q, w, seed_value * 100_003 + k)
                finally:
                    os._exit(1)
            os.close(w)
            reader = os.fdopen(r, "r")
            assert reader.readline().strip() == "ready"
            time.sleep(rng.uniform(0, max_delay_ms) / 1000)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            for line in reader:  # what the worker reported before it died
                kind, _, uid = line.strip().partition(" ")
                if kind == "I" and len(uid) == 36:
                    shown.add(uid)
                elif kind == "C" and len(uid) == 36:
                    called.add(uid)
            reader.close()
            cache.engine.dispose()
            if k % 25 == 24 or k == kills - 1:
                result = check(cache, shown, called)
                if result["lost"] or result["duplicated"] or result["gaps"] or result["inconsistent"]:
                    result["failed_after_kill"] = k + 1
                    break
    return {"bench": "queue_crash", "kills": kills, **result, "shown": len(shown), "called": len(called),
            "seconds": round(time.monotonic() - started, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    print(json.dumps(run(args.kills, args.seed)))


if __name__ == "__main__":
    main()
