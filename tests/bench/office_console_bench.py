"""Office console benchmark: one JSON line.

An office (its own process, SQLite by default, PostgreSQL with --pg) holding 1,000 halls, each
with a reported state, and a month of tickets (TICKETS_PER_DAY per hall and day). A signed-in
browser session asks for:

- halls_p95_ms: the halls page (/console/halls) and halls_json_p95_ms its live refresh;
- stats_week_p95_ms: the statistics page with its default range (the last 7 days, by hall);
- stats_month_p95_ms: the statistics page for the whole month, by hall (after
  stats_month_first_ms, the first request, which rolls the finished days up).

Target: <= 300 ms p95. Baseline from the same run: healthz_p95_ms (/healthz, the cheapest
request); each *_vs_healthz is the ratio.

usage: .venv/bin/python tests/bench/office_console_bench.py [--quick] [--pg]
"""

from __future__ import annotations

import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.bench.sync_bench import start_office  # noqa: E402  (the office in its own process)

QUICK = "--quick" in sys.argv
PG = "--pg" in sys.argv
HALLS = 200 if QUICK else 1000
DAYS = 30
TICKETS_PER_DAY = int(os.environ.get("CONSOLE_BENCH_TICKETS", 10 if QUICK else 30))
ROUNDS = 10 if QUICK else 30
STATS_ROUNDS = 10
PASSWORD = "bench-password-123"


def fill(url: str) -> int:
    """Halls, their reports and a month of tickets, written straight into the database."""
    from sync.office.console import accounts
    from sync.office.db import OfficeDB
    from sync.office.models import Hall, HallReport, Ticket

    db = OfficeDB(url)
    tz = ZoneInfo("Asia/Shanghai")
    today = datetime.now(tz).date()
    rnd = random.Random(7)
    now = datetime.now(UTC)
    with db.sessions.begin() as s:
        accounts.add_account(s, "bench", "admin", PASSWORD, actor="bench")
        s.execute(Hall.__table__.insert(), [
            {"id": i, "code": f"hall-{i:04d}", "name": f"社区工作站 {i}", "token_hash": secrets.token_hex(32),
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
    http.get(url, timeout=600).raise_for_status()  # warm (the first statistics request rolls days up)
    for _ in range(rounds):
        t = time.perf_counter()
        r = http.get(url, timeout=60)
        times.append((time.perf_counter() - t) * 1000)
        r.raise_for_status()
    return round(statistics.quantiles(times, n=20)[-1], 1)


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
        t = time.perf_counter()
        tickets = fill(url)
        fill_s = time.perf_counter() - t
        proc, base = start_office(url)
        try:
            http = requests.Session()
            http.post(f"{base}/console/login", data={"name": "bench", "password": PASSWORD},
                      allow_redirects=False, timeout=30).raise_for_status()
            today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
            month = f"since={today - timedelta(days=DAYS - 1)}&until={today}"
            t = time.perf_counter()
            http.get(f"{base}/console/stats?{month}&by=hall", timeout=600).raise_for_status()
            first_month_ms = round((time.perf_counter() - t) * 1000)
            out = {
                "bench": "office_console", "backend": "postgresql" if PG else "sqlite", "halls": HALLS,
                "tickets": tickets, "days": DAYS, "fill_s": round(fill_s, 1),
                "healthz_p95_ms": p95(http, f"{base}/healthz"),
                "halls_p95_ms": p95(http, f"{base}/console/halls"),
                "halls_json_p95_ms": p95(http, f"{base}/console/halls.json"),
                "stats_week_p95_ms": p95(http, f"{base}/console/stats", STATS_ROUNDS),
                "stats_month_p95_ms": p95(http, f"{base}/console/stats?{month}&by=hall", STATS_ROUNDS),
                "stats_month_first_ms": first_month_ms,  # rolls the month's finished days up once
                "load_average": round(os.getloadavg()[0], 1),
            }
            for key in ("halls_p95_ms", "halls_json_p95_ms", "stats_week_p95_ms", "stats_month_p95_ms"):
                out[key.replace("_p95_ms", "_vs_healthz")] = round(out[key] / max(out["healthz_p95_ms"], 0.01), 1)
            out["target_ms"] = 300
            out["meets_target"] = all(out[k] <= 300 for k in ("halls_p95_ms", "stats_week_p95_ms",
                                                              "stats_month_p95_ms"))
            print(json.dumps(out, ensure_ascii=False))
        finally:
            proc.terminate()
            proc.wait(10)
            if schema:
                from sqlalchemy import create_engine, text

                admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                admin.dispose()


if __name__ == "__main__":
    main()
