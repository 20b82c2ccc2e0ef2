"""Queue latency with 5,000 tickets waiting: issue-ticket and call-next p50/p99, each also as a
ratio to a bare SQLite insert with the same durability (WAL, synchronous=FULL, one commit per
row) measured in the same run on the same disk.

    .venv/bin/python -m tests.bench.queue_bench [--waiting 5000] [--samples 2000]

Prints one JSON line. The three measurements are interleaved in a shuffled order so disk and
CPU hiccups (other work on the machine) hit all of them alike; both databases' journal mode and
synchronous level are read back and reported, and the run fails if they differ. On a shared
machine the p99s are mostly other processes' noise: compare the p50 ratios too, and the load.

`lan_call_p50_ms`/`lan_call_p99_ms`: a console's "call next" over the hall LAN API on loopback
(RemoteCounterClient -> HTTP -> LocalCounterClient -> the same queue), `--lan-samples` of them,
interleaved with the same call in process (`lan_local_call_*`, the baseline). Target p99 <= 5 ms
on a quiet machine.

After the timed loop, `--frames` more of each action (default 200, untimed) count the WAL
frames (4 KB pages) each one writes and fsyncs at commit: `wal_frames_per_*`, read from the
WAL index header (https://www.sqlite.org/walformat.html). `checkpoints_background` and
`checkpoint_background_ms` are the cache's background checkpoints during the timed loop.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sqlite3
import statistics
import struct
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.config import QueueSection
from kiosk.services.events import EventBus
from kiosk.services.queue import QueueService
from sync.cache.db import open_cache
from sync.cache.models import BusinessType, Ticket, Window, WindowService

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

    def durability(self) -> str:
        return _durability(self.conn)

    def __call__(self) -> None:
        self.i += 1
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("INSERT INTO t (label, at) VALUES (?, ?)", (f"A{self.i:04d}", datetime.now(UTC).isoformat()))
        self.conn.execute("COMMIT")


def _durability(conn: sqlite3.Connection) -> str:
    """journal_mode/synchronous as SQLite reports them (synchronous 2 = FULL)."""
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    sync = {0: "off", 1: "normal", 2: "full", 3: "extra"}[conn.execute("PRAGMA synchronous").fetchone()[0]]
    return f"{mode}+{sync}"


def wal_position(db: Path) -> tuple[int, bytes]:
    """(mxFrame, salts) from the WAL index header: frames in the WAL, and which WAL generation."""
    try:
        with open(f"{db}-shm", "rb") as f:
            header = f.read(48)
    except FileNotFoundError:
        return 0, b""
    if len(header) < 48:
        return 0, b""
    return struct.unpack("=I", header[16:20])[0], header[32:40]


def frames_written(db: Path, action) -> int | None:
    """WAL frames one committed action wrote (None if the WAL was restarted under it)."""
    before, salt = wal_position(db)
    action()
    after, salt_after = wal_position(db)
    return after - before if salt_after == salt and after >= before else None


def queue_durability(cache) -> str:
    """Read back on a connection of the queue's own engine (every one gets the same pragmas on connect)."""
    with cache.engine.connect() as conn:
        return _durability(conn.connection.driver_connection)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--waiting", type=int, default=5000)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--frames", type=int, default=200, help="untimed actions counting WAL frames per action")
    ap.add_argument("--lan-samples", type=int, default=500, help="call-next over the LAN API on loopback")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="queue-bench-", dir=Path(__file__).resolve().parent) as tmp:
        tmp = Path(tmp)
        cache = open_cache(tmp / "hall.sqlite3")
        q = QueueService(cache, EventBus(), tz=TZ, config=QueueSection(max_number=9999))
        seed(cache, args.waiting, q.service_day())
        rng = random.Random(7)
        bare_insert = BareInsert(tmp / "bare.sqlite3")  # same directory, same disk
        durability = {"queue": queue_durability(cache), "bare": bare_insert.durability()}
        if durability["queue"] != durability["bare"] or durability["bare"] != "wal+full":
            sys.exit(f"durability differs, the comparison would be unfair: {durability}")
        # warm-up (imports, statement caches, page cache), not measured
        for i in range(args.warmup):
            q.issue_ticket(BUSINESSES[i % len(BUSINESSES)][0])
            q.call_next(WINDOWS[i % len(WINDOWS)][0])
            bare_insert()
        gc.collect()
        checkpointer = getattr(cache, "checkpointer", None)  # (absent before the background checkpointer)
        ckpt_before = (checkpointer.checkpoints, checkpointer.seconds) if checkpointer else (0, 0.0)
        times: dict[str, list[float]] = {"issue": [], "call": [], "bare": []}
        empty_calls = 0
        for i in range(args.samples):
            code = rng.choice(BUSINESSES)[0]
            window = WINDOWS[i % len(WINDOWS)][0]
            for name in rng.sample(list(times), 3):
                if name == "bare":
                    t0 = time.perf_counter()
                    bare_insert()
                    times[name].append(time.perf_counter() - t0)
                elif name == "issue":
                    t0 = time.perf_counter()
                    q.issue_ticket(code, priority=(i % 20 == 0))
                    times[name].append(time.perf_counter() - t0)
                else:
                    t0 = time.perf_counter()
                    called = q.call_next(window)
                    times[name].append(time.perf_counter() - t0)
                    empty_calls += called is None
        ckpt = ((checkpointer.checkpoints - ckpt_before[0], checkpointer.seconds - ckpt_before[1])
                if checkpointer else (0, 0.0))
        frames: dict[str, list[int]] = {"issue": [], "call": [], "bare": []}
        for i in range(args.frames):
            code = rng.choice(BUSINESSES)[0]
            window = WINDOWS[i % len(WINDOWS)][0]
            for name, db, action in (("issue", tmp / "hall.sqlite3", partial(q.issue_ticket, code)),
                                     ("call", tmp / "hall.sqlite3", partial(q.call_next, window)),
                                     ("bare", tmp / "bare.sqlite3", bare_insert)):
                n = frames_written(db, action)
                if n is not None:
                    frames[name].append(n)
        bare_insert.conn.close()
        lan = lan_calls(cache, q, args.lan_samples)
        waiting_after = sum(b.waiting for b in q.businesses())
        cache.close()
    issue, call, bare = times["issue"], times["call"], times["bare"]

    def ms(v: float) -> float:
        return round(v * 1000, 3)

    def ratio(values: list[float], p: float) -> float:
        return round(percentile(values, p) / percentile(bare, p), 2)

    print(json.dumps({
        "bench": "queue", "waiting": args.waiting, "waiting_after": waiting_after, "samples": args.samples,
        "empty_calls": empty_calls, "durability": durability,
        "issue_p50_ms": ms(percentile(issue, 50)), "issue_p99_ms": ms(percentile(issue, 99)),
        "call_p50_ms": ms(percentile(call, 50)), "call_p99_ms": ms(percentile(call, 99)),
        "bare_insert_p50_ms": ms(percentile(bare, 50)), "bare_insert_p99_ms": ms(percentile(bare, 99)),
        "issue_p90_ms": ms(percentile(issue, 90)), "call_p90_ms": ms(percentile(call, 90)),
        "bare_insert_p90_ms": ms(percentile(bare, 90)),
        "issue_p999_ms": ms(percentile(issue, 99.9)), "call_p999_ms": ms(percentile(call, 99.9)),
        "bare_insert_p999_ms": ms(percentile(bare, 99.9)),
        "issue_max_ms": ms(max(issue)), "call_max_ms": ms(max(call)), "bare_insert_max_ms": ms(max(bare)),
        "issue_p99_ratio": ratio(issue, 99), "call_p99_ratio": ratio(call, 99),
        # p50 ratios too: on a shared machine the p99s are mostly other processes' noise
        "issue_p50_ratio": ratio(issue, 50), "call_p50_ratio": ratio(call, 50),
        "issue_mean_ms": ms(statistics.fmean(issue)), "call_mean_ms": ms(statistics.fmean(call)),
        "bare_insert_mean_ms": ms(statistics.fmean(bare)),
        # pages each action writes to the WAL (and fsyncs) at commit
        **{f"wal_frames_per_{k}": round(statistics.fmean(v), 2) if v else None for k, v in frames.items()},
        "checkpoints_background": ckpt[0], "checkpoint_background_ms": round(ckpt[1] * 1000, 1),
        **lan,
        "cpus": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 2),
    }))


def lan_calls(cache, q, samples: int) -> dict:
    """Call-next from a console over the LAN API on loopback, and in process, interleaved."""
    from kiosk.lan.api import HallApiServer, create_app
    from kiosk.lan.client import LocalCounterClient, RemoteCounterClient
    from kiosk.services.auth import AuthService

    auth = AuthService(cache)
    auth.add_staff("王芳", "clerk", "2468")
    local = LocalCounterClient(q, auth, None, None)
    server = HallApiServer(create_app(local, "bench-token")).start()
    try:
        remote = RemoteCounterClient(server.url, "bench-token")
        clerk, here = remote.login("王芳", "2468"), local.login("王芳", "2468")
        for i in range(20):  # warm-up: connection, imports
            remote.call_next(clerk, WINDOWS[i % len(WINDOWS)][0])
        times: dict[str, list[float]] = {"lan": [], "local": []}
        for i in range(samples):
            window = WINDOWS[i % len(WINDOWS)][0]
            for name in random.Random(i).sample(["lan", "local"], 2):
                t0 = time.perf_counter()
                if name == "lan":
                    remote.call_next(clerk, window)
                else:
                    local.call_next(here, window)
                times[name].append(time.perf_counter() - t0)
    finally:
        server.stop()
    lan, local_times = times["lan"], times["local"]
    return {"lan_samples": samples,
            "lan_call_p50_ms": round(percentile(lan, 50) * 1000, 3), "lan_call_p99_ms": round(percentile(lan, 99) * 1000, 3),
            "lan_local_call_p50_ms": round(percentile(local_times, 50) * 1000, 3),
            "lan_local_call_p99_ms": round(percentile(local_times, 99) * 1000, 3),
            "lan_call_overhead_p50_ms": round((percentile(lan, 50) - percentile(local_times, 50)) * 1000, 3)}

if __name__ == "__main__":
    main()
