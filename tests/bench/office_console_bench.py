"""Office console benchmark: one JSON line.

An office (its own process, SQLite by default, PostgreSQL with --pg) holding 1,000 halls, each
with a reported state, and a month of tickets (TICKETS_PER_DAY per hall and day). A signed-in
browser session asks for:

- halls_p95_ms: the halls page (/console/halls) and halls_json_p95_ms its live refresh;
- stats_week_p95_ms: the statistics page with its default range (the last 7 days, by hall);
- stats_month_p95_ms: the statistics page for the whole month, by hall (after
  stats_month_first_ms, the first request, which rolls the finished days up).

The finished days are rolled up in the background when the office starts (sync/office/rollup.py):
rollup_s is how long that took, and the figures are measured after it (stats_month_first_ms, the
first month request, then too).

Target: <= 300 ms p95. Baseline from the same run: healthz_p95_ms (/healthz, the cheapest
request); each *_vs_healthz is the ratio.

With sync_bench's load (tests/bench/sync_load.py: every hall polls every 5 s and pushes a
ticket of today every 6th round), measured in the same run, SYNC_SECONDS each:
- sync_p99_ms: the halls' requests with no console request;
- sync_p99_ms_with_console: the same load while a console user asks for the halls page, its
  refresh and both statistics pages back to back; sync_with_console_vs_alone is the ratio, and
  halls_p95_ms_with_sync, stats_week_p95_ms_with_sync, stats_month_p95_ms_with_sync are the
  console's answers meanwhile.
The office runs OFFICE_WORKERS processes (PostgreSQL 2 as sync_bench, SQLite 1).

usage: .venv/bin/python -m tests.bench.office_console_bench [--quick] [--pg]
(CONSOLE_BENCH_SYNC_S: seconds of each sync load window, default 25, --quick 8; 0: no sync load.
 CONSOLE_BENCH_PACE_S: seconds the console user waits between two pages during the sync load,
 default 0: back to back, the harshest; the halls page itself refreshes every 10 s)
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

from tests.bench.sync_bench import run_load, start_office  # the office in its own process

QUICK = "--quick" in sys.argv
PG = "--pg" in sys.argv
HALLS = 200 if QUICK else 1000
DAYS = 30
TICKETS_PER_DAY = int(os.environ.get("CONSOLE_BENCH_TICKETS", 10 if QUICK else 30))
ROUNDS = 10 if QUICK else 30
STATS_ROUNDS = 10
SYNC_SECONDS = float(os.environ.get("CONSOLE_BENCH_SYNC_S", 8 if QUICK else 25))
CONSOLE_PACE_S = float(os.environ.get("CONSOLE_BENCH_PACE_S", "0"))  # between two pages of the console user
SYNC_PERIOD_S, SYNC_PUSH_EVERY = 5.0, 6  # as sync_bench
OFFICE_WORKERS = 2 if PG else 1
PASSWORD = "bench-password-123"


def fill(url: str, tokens_file: Path | None = None) -> int:
    """Halls, their reports and a month of tickets, written straight into the database; the
    halls' tokens (for the sync load) into `tokens_file`."""
    from sync.office import store
    from sync.office.console import accounts
    from sync.office.db import OfficeDB
    from sync.office.models import Hall, HallReport, Ticket

    db = OfficeDB(url)
    tz = ZoneInfo("Asia/Shanghai")
    today = datetime.now(tz).date()
    rnd = random.Random(7)
    now = datetime.now(UTC)
    tokens = [store.new_token(store.TOKEN_PREFIX_HALL) for _ in range(HALLS)]
    if tokens_file is not None:
        tokens_file.write_text("\n".join(tokens))
    with db.sessions.begin() as s:
        accounts.add_account(s, "bench", "admin", PASSWORD, actor="bench")
        s.execute(Hall.__table__.insert(), [
            {"id": i, "code": f"hall-{i:04d}", "name": f"社区工作站 {i}", "token_hash": store.hash_token(tokens[i - 1]),
             "created_at": now, "last_seen_at": now - timedelta(minutes=rnd.choice([0, 1, 2, 30]))}
            for i in range(1, HALLS + 1)])
        s.execute(HallReport.__table__.insert(), [
            {"hall_id": i, "reported_at": now, "data": {
                "app_version": "0.1.0", "outbox_waiting": rnd.randint(0, 5), "outbox_rejected": 0,
                "board": {"ok": True, "text": "LED屏：正常"}, "printer": {"ok": i % 17 != 0, "text": "打印机：正常"},
                "voice": None, "at": now.isoformat()}}
            for i in range(1, HALLS + 1)])
    total = 0
    businesses = ["labor", "civil", "medical", "elderly"]
    for d in range(DAYS):
        day: date = today - timedelta(days=d)
        rows = []
        for hall in range(1, HALLS + 1):
            for n in range(TICKETS_PER_DAY):
                issued = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC) + timedelta(minutes=n * 9)
                state = rnd.choices(["served", "skipped", "waiting"], [90, 7, 3])[0]
                called = issued + timedelta(minutes=rnd.randint(1, 30)) if state != "waiting" else None
                finished = called + timedelta(minutes=rnd.randint(2, 25)) if state == "served" else None
                rows.append({"uid": str(uuid.uuid4()), "hall_id": hall, "label": f"A{n:03d}", "prefix": "A",
                             "number": n, "service_day": day, "business_code": businesses[n % 4],
                             "priority": False, "state": state, "window_number": 1 + n % 4,
                             "clerk": f"clerk{n % 4}", "issued_at": issued, "called_at": called,
                             "finished_at": finished, "last_seq": n, "updated_at": now})
        with db.sessions.begin() as s:
            s.execute(Ticket.__table__.insert(), rows)
        total += len(rows)
    db.close()
    return total


def p95(http: requests.Session, url: str, rounds: int = ROUNDS) -> float:
    times = []
    http.get(url, timeout=600).raise_for_status()  # warm
    for _ in range(rounds):
        t = time.perf_counter()
        r = http.get(url, timeout=60)
        times.append((time.perf_counter() - t) * 1000)
        r.raise_for_status()
    return round(statistics.quantiles(times, n=20)[-1], 1)


def wait_for_roll_up(url: str, limit_s: float = 900) -> float:
    """Seconds until the office's background roll-up has every finished day (polled in the database)."""
    from sync.office import store
    from sync.office.db import OfficeDB

    db = OfficeDB(url, migrate=False)
    t = time.perf_counter()
    try:
        while time.perf_counter() - t < limit_s:
            with db.sessions() as s:
                if not store.days_to_roll_up(s):
                    return round(time.perf_counter() - t, 1)
            time.sleep(0.5)
        raise RuntimeError(f"the roll-up did not finish in {limit_s} s")
    finally:
        db.close()


def console_while(http: requests.Session, urls: dict[str, str], stop: threading.Event) -> dict[str, list[float]]:
    """Ask for the console pages one after the other until `stop` (CONSOLE_PACE_S between two
    requests; 0, the default, back to back); each page's times (ms)."""
    times: dict[str, list[float]] = {k: [] for k in urls}
    while not stop.is_set():
        for key, url in urls.items():
            t = time.perf_counter()
            http.get(url, timeout=60).raise_for_status()
            times[key].append((time.perf_counter() - t) * 1000)
            if CONSOLE_PACE_S and stop.wait(CONSOLE_PACE_S):
                return times
    return times


def sync_figures(base: str, http: requests.Session, tokens_file: Path, urls: dict[str, str]) -> dict:
    """sync_bench's load alone, then with a console user asking meanwhile."""
    alone = run_load(base, tokens_file, SYNC_SECONDS, SYNC_PERIOD_S, SYNC_PUSH_EVERY)
    stop = threading.Event()
    box: dict[str, dict[str, list[float]]] = {}
    user = threading.Thread(target=lambda: box.update(times=console_while(http, urls, stop)))
    user.start()
    try:
        both = run_load(base, tokens_file, SYNC_SECONDS, SYNC_PERIOD_S, SYNC_PUSH_EVERY)
    finally:
        stop.set()
        user.join(120)
    out = {"sync_halls": HALLS, "sync_seconds": SYNC_SECONDS, "sync_requests": alone["requests"],
           "sync_errors": alone["errors"] + both["errors"],
           "sync_p99_ms": alone["p99_ms"], "sync_p99_ms_with_console": both["p99_ms"],
           "sync_push_p99_ms": alone["push_p99_ms"], "sync_push_p99_ms_with_console": both["push_p99_ms"],
           "sync_with_console_vs_alone": round(both["p99_ms"] / max(alone["p99_ms"], 0.01), 2),
           "console_pace_s": CONSOLE_PACE_S}
    for key, times in box.get("times", {}).items():
        out[f"{key}_p95_ms_with_sync"] = (round(statistics.quantiles(times, n=20)[-1], 1) if len(times) >= 2
                                          else round(max(times, default=0.0), 1))
        out[f"{key}_requests_with_sync"] = len(times)
    return out


def main() -> None:
    schema = None
    with tempfile.TemporaryDirectory() as tmp:
        if PG:
            from sqlalchemy import create_engine, text

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            admin.dispose()
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
        else:
            url = f"sqlite:///{tmp}/office.sqlite3"
        tokens_file = Path(tmp) / "tokens.txt"
        t = time.perf_counter()
        tickets = fill(url, tokens_file)
        fill_s = time.perf_counter() - t
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        # The halls push today's tickets (sync_load's default day is an old one: a late ticket).
        os.environ["SYNC_LOAD_DAY"] = today.isoformat()
        proc, base = start_office(url, workers=OFFICE_WORKERS)
        try:
            rollup_s = wait_for_roll_up(url)
            http = requests.Session()
            http.post(f"{base}/console/login", data={"name": "bench", "password": PASSWORD},
                      allow_redirects=False, timeout=30).raise_for_status()
            month = f"since={today - timedelta(days=DAYS - 1)}&until={today}"
            t = time.perf_counter()
            http.get(f"{base}/console/stats?{month}&by=hall", timeout=600).raise_for_status()
            first_month_ms = round((time.perf_counter() - t) * 1000)
            urls = {"halls": f"{base}/console/halls", "halls_json": f"{base}/console/halls.json",
                    "stats_week": f"{base}/console/stats", "stats_month": f"{base}/console/stats?{month}&by=hall"}
            out = {
                "bench": "office_console", "backend": "postgresql" if PG else "sqlite", "halls": HALLS,
                "tickets": tickets, "days": DAYS, "fill_s": round(fill_s, 1), "office_workers": OFFICE_WORKERS,
                "rollup_s": rollup_s,
                "healthz_p95_ms": p95(http, f"{base}/healthz"),
                "halls_p95_ms": p95(http, urls["halls"]),
                "halls_json_p95_ms": p95(http, urls["halls_json"]),
                "stats_week_p95_ms": p95(http, urls["stats_week"], STATS_ROUNDS),
                "stats_month_p95_ms": p95(http, urls["stats_month"], STATS_ROUNDS),
                "stats_month_first_ms": first_month_ms,
            }
            for key in ("halls_p95_ms", "halls_json_p95_ms", "stats_week_p95_ms", "stats_month_p95_ms"):
                out[key.replace("_p95_ms", "_vs_healthz")] = round(out[key] / max(out["healthz_p95_ms"], 0.01), 1)
            out["target_ms"] = 300
            out["meets_target"] = all(out[k] <= 300 for k in ("halls_p95_ms", "stats_week_p95_ms",
                                                              "stats_month_p95_ms"))
            if SYNC_SECONDS > 0:
                out.update(sync_figures(base, http, tokens_file, urls))
            out["load_average"] = round(os.getloadavg()[0], 1)
            print(json.dumps(out, ensure_ascii=False))
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            if schema:
                from sqlalchemy import create_engine, text

                admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                admin.dispose()


if __name__ == "__main__":
    main()
