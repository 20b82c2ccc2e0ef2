"""Queue latency with 5,000 tickets waiting: issue-ticket and call-next p50/p99, each p99 also as
a ratio to a bare SQLite insert with the same durability (WAL, synchronous=FULL, one commit per
row) measured in the same run on the same disk.

    .venv/bin/python tests/bench/queue_bench.py [--waiting 5000] [--samples 400]

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.config import QueueSection  # noqa: E402
from kiosk.services.events import EventBus  # noqa: E402
from kiosk.services.queue import QueueService  # noqa: E402
from sync.cache.db import open_cache  # noqa: E402
from sync.cache.models import BusinessType, Ticket, Window, WindowService  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
BUSINESSES = [("labor", "劳动保障业务", "A"), ("civil", "民政事务业务", "B"), ("health", "计生卫生业务", "C"),
              ("disability", "残疾人服务业务", "D"), ("safety", "维稳综治业务", "E"), ("culture", "文体科教业务", "F")]
WINDOWS = [(1, ["labor"]), (2, ["civil", "disability"]), (3, ["health", "civil"]), (4, ["disability"]),
           (5, ["safety", "culture", "labor"])]


def seed(cache, waiting: int, day) -> None:
    """Businesses, windows and `waiting` tickets already in the queue (bulk, not timed)."""
    with cache.transaction() as s:
        ids = {}
        for code, name, prefix in BUSINESSES:
            b = BusinessType(code=code, name=name, prefix=prefix)
            s.add(b)
            s.flush()
            ids[code] = b.id
        for number, codes in WINDOWS:
            w = Window(number=number, name=f"{number}号窗口")
            s.add(w)
            s.flush()
            for rank, code in enumerate(codes):
                s.add(WindowService(window_id=w.id, business_type_id=ids[code], priority=rank))
        start = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)
        per = waiting // len(BUSINESSES)
        for code, _name, prefix in BUSINESSES:
            for n in range(1, per + 1):
                at = start + timedelta(seconds=n)
                s.add(Ticket(service_day=day, prefix=prefix, number=n, label=f"{prefix}{n:04d}",
                             business_type_id=ids[code], priority=(n % 17 == 0), state="waiting",
                             queue_key=at.timestamp(), issued_at=at))


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


class BareInsert:
    """The baseline: one row per transaction into a plain table, WAL + synchronous=FULL."""

    def __init__(self, path: Path):
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, label TEXT, at TEXT)")
        self.i = 0

    def __call__(self) -> None:
        self.i += 1
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("INSERT INTO t (label, at) VALUES (?, ?)", (f"A{self.i:04d}", datetime.now(UTC).isoformat()))
        self.conn.execute("COMMIT")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--waiting", type=int, default=5000)
    ap.add_argument("--samples", type=int, default=400)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="queue-bench-", dir=Path(__file__).resolve().parent) as tmp:
        tmp = Path(tmp)
        cache = open_cache(tmp / "hall.sqlite3")
        q = QueueService(cache, EventBus(), tz=TZ, config=QueueSection(max_number=9999))
        seed(cache, args.waiting, q.service_day())
        rng = random.Random(7)
        # warm-up (imports, statement cache), not measured
        for _ in range(20):
            q.issue_ticket("labor")
            q.call_next(1)
        # Interleave the three measurements so disk and CPU hiccups (other work on the machine)
        # hit all of them alike; the ratios are what to compare between machines.
        bare_insert = BareInsert(tmp / "bare.sqlite3")
        for _ in range(20):
            bare_insert()
        issue, call, bare = [], [], []
        for i in range(args.samples):
            t0 = time.perf_counter()
            bare_insert()
            bare.append(time.perf_counter() - t0)
            code = rng.choice(BUSINESSES)[0]
            t0 = time.perf_counter()
            q.issue_ticket(code, priority=(i % 20 == 0))
            issue.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            q.call_next(WINDOWS[i % len(WINDOWS)][0])
            call.append(time.perf_counter() - t0)
        bare_insert.conn.close()
        waiting_after = sum(b.waiting for b in q.businesses())
        cache.close()

    def ms(v: float) -> float:
        return round(v * 1000, 3)

    bare_p99 = percentile(bare, 99)
    print(json.dumps({
        "bench": "queue", "waiting": args.waiting, "waiting_after": waiting_after, "samples": args.samples,
        "issue_p50_ms": ms(percentile(issue, 50)), "issue_p99_ms": ms(percentile(issue, 99)),
        "call_p50_ms": ms(percentile(call, 50)), "call_p99_ms": ms(percentile(call, 99)),
        "bare_insert_p50_ms": ms(percentile(bare, 50)), "bare_insert_p99_ms": ms(bare_p99),
        "issue_p99_ratio": round(percentile(issue, 99) / bare_p99, 2),
        "call_p99_ratio": round(percentile(call, 99) / bare_p99, 2),
        # p50 ratios too: on a shared machine the p99s are mostly other processes' noise
        "issue_p50_ratio": round(percentile(issue, 50) / percentile(bare, 50), 2),
        "call_p50_ratio": round(percentile(call, 50) / percentile(bare, 50), 2),
        "issue_mean_ms": ms(statistics.fmean(issue)), "call_mean_ms": ms(statistics.fmean(call)),
    }))


if __name__ == "__main__":
    main()
