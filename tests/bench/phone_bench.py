"""Phone benchmark: one JSON line.

- call_to_phone_p95_s: a call on the hall (QueueService.call_next) to the change arriving at an
  open ticket page's long poll (/t/{uid}/live, what the page's script does), p95 over CALLS calls
  with the hall online: the hall's sync worker is woken by the call and pushes, the office wakes
  the waiting polls of that hall. Target <= 2 s.
- pages_open: residents waiting behind them in the same queue with their pages open (long
  polls, one connection each, tests/bench/phone_pages.py in its own process); every call
  changes their "前面还有 N 人".
  office_live_p99_s: p99 over all those page updates of the time from the call on the hall to
  the page having it: how the office copes with many open pages. page_updates counts them
  (calls x pages when none is coalesced).
- Baseline from the same run: page_get_p50_s, one plain GET of the ticket page;
  call_vs_get_p95 is the ratio. (The page before this change reloaded every 15 s: 7.5 s on
  average after the hall's next sync.)
- office_p99_ms_with_pages: sync_bench's 1,000-hall load (LOAD_HALLS halls polling every 5 s
  and pushing every 6th round, tests/bench/sync_load.py in its own process) while the PAGES
  pages stay open and the hall calls a ticket every CALL_EVERY_S (each call moves every page):
  the office's p99 over the halls' requests. office_p99_ms_alone is the same load with no page
  open, just before (the baseline); pages_vs_alone_p99 is the ratio. pages_live_p99_s is the
  pages' update lag during that load. Target: the office's p99 <= 50 ms, as in sync_bench.

The office runs as in production and in sync_bench: its own processes (OFFICE_WORKERS, 2) on
the PostgreSQL at 127.0.0.1:5432 (a schema of its own, dropped after), so a call pushed to one
process wakes the pages held by the other through LISTEN/NOTIFY.
usage: .venv/bin/python -m tests.bench.phone_bench [--quick]
(PHONE_BENCH_CALLS, PHONE_BENCH_PAGES, PHONE_BENCH_LOAD_HALLS, PHONE_BENCH_LOAD_S override the sizes)
"""

from __future__ import annotations

import bisect
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

from tests.bench.sync_bench import PG, run_load, start_office, stop  # one way to run the office

REPO = Path(__file__).resolve().parents[2]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

QUICK = "--quick" in sys.argv
CALLS = int(os.environ.get("PHONE_BENCH_CALLS", 20 if QUICK else 100))
PAGES = int(os.environ.get("PHONE_BENCH_PAGES", 100 if QUICK else 1000))
LOAD_HALLS = int(os.environ.get("PHONE_BENCH_LOAD_HALLS", 200 if QUICK else 1000))
LOAD_S = float(os.environ.get("PHONE_BENCH_LOAD_S", 8 if QUICK else 25))
OFFICE_WORKERS = 2
CALL_EVERY_S = 2.0  # during the load: the hall calls, every open page moves


def p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


class OpenPages:
    """PAGES open ticket pages: tests/bench/phone_pages.py in its own process."""

    def __init__(self, url: str, uids: list[str], folder: Path):
        uids_file = folder / "page-uids.txt"
        uids_file.write_text("\n".join(uids))
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.bench.phone_pages", url, str(uids_file)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO)
        self.updates: list[float] = []  # time.monotonic() of each page update
        self.errors = 0

    def wait_ready(self) -> None:
        line = self.proc.stdout.readline()
        if json.loads(line or "{}").get("event") != "ready":
            raise RuntimeError("the pages did not open")

    def close(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.stdin.write("stop\n")
        self.proc.stdin.flush()
        result = json.loads(self.proc.stdout.readline() or '{"updates": [], "errors": -1}')
        self.updates, self.errors = result["updates"], result["errors"]
        self.proc.wait(30)

    def lags(self, changes: list[float], since: float = 0.0, until: float = float("inf")) -> list[float]:
        """Each page update between `since` and `until`: the time since the last change on the hall before it."""
        out = []  # (changes are in time order: the last one before each update by bisection)
        for at in self.updates:
            i = bisect.bisect_right(changes, at)
            if since <= at <= until and i:
                out.append(at - changes[i - 1])
        return out


class Office:
    """The office in its own processes on a PostgreSQL schema of its own: our hall plus LOAD_HALLS."""

    def __init__(self, folder: Path):
        from sqlalchemy import create_engine, text

        from sync.office import store
        from sync.office.db import OfficeDB

        self.schema = f"bench_{uuid.uuid4().hex[:10]}"
        self.admin = create_engine(PG)
        with self.admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        database = f"{PG}?options=-csearch_path%3D{self.schema}"
        db = OfficeDB(database)
        with db.sessions.begin() as s:
            self.token = store.add_hall(s, "幸福社区", "xingfu")[1]
        tokens = []
        for start in range(0, LOAD_HALLS, 500):
            with db.sessions.begin() as s:
                tokens += [store.add_hall(s, f"社区 {i}", f"hall-{i}")[1]
                           for i in range(start, min(LOAD_HALLS, start + 500))]
        db.close()
        self.tokens_file = folder / "load-tokens.txt"
        self.tokens_file.write_text("\n".join(tokens))
        self.proc, self.url = start_office(database, workers=OFFICE_WORKERS)

    def close(self) -> None:
        from sqlalchemy import text

        stop(self.proc)  # (open long polls would keep it waiting: then it is killed)
        with self.admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        self.admin.dispose()


def main() -> None:
    import logging

    from kiosk.config import HallConfig
    from kiosk.hall import Hall
    from kiosk.services.events import Event, SyncDone, SyncNumbers
    from kiosk.services.queue import QueueService
    from sync.client import SyncWorker

    logging.disable(logging.WARNING)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a connection per page, and the office's
    load_avg_start = round(os.getloadavg()[0], 2)
    folder = Path(tempfile.mkdtemp(prefix="yizhan-phone-bench-"))
    office = Office(folder)
    url = office.url
    config = HallConfig()
    config.hall.data_dir = folder / "hall"
    config.queue.max_number = 9999  # a thousand residents waiting in one business
    hall = Hall(config)
    q = QueueService(hall.cache, hall.events, tz=hall.tz, config=hall.config)
    worker = SyncWorker(hall.cache, url, office.token, apply_content=lambda *a: None, interval_s=15.0)
    hall.events.subscribe(Event, lambda e: None if isinstance(e, SyncDone | SyncNumbers) else worker.wake())
    business = q.businesses()[0].code
    window = next(w.number for w in q.windows() if business in w.business_codes)
    pages = None
    http = requests.Session()
    try:
        # the queue: CALLS tickets called in turn by the bench, then the ones called during the
        # load, then PAGES residents behind them whose pages are open; every call moves each of
        # those pages ("前面还有 N 人" - 1)
        mine_all = [q.issue_ticket(business) for _ in range(CALLS)]
        load_calls = int((LOAD_S + 60) / CALL_EVERY_S)  # (the load generator first catches its halls up)
        for _ in range(load_calls):
            q.issue_ticket(business)
        others = [q.issue_ticket(business).uid for _ in range(PAGES)]
        worker.sync_once()
        worker.start()
        # the baseline load first, with no page open
        alone = run_load(url, office.tokens_file, LOAD_S, 5.0, 6)

        pages = OpenPages(url, others, folder)
        pages.wait_ready()

        gets, calls, changes = [], [], []
        for mine in mine_all:
            started = time.monotonic()
            r = http.get(f"{url}/t/{mine.uid}", timeout=10)  # the resident opens the page
            gets.append(time.monotonic() - started)
            assert r.status_code == 200, r.status_code
            version = http.get(f"{url}/t/{mine.uid}/live", timeout=10).json()["version"]
            answer: dict = {}
            http_poll = requests.Session()

            def poll(v: str = version, uid: str = mine.uid, out: dict = answer, http_poll=http_poll) -> None:
                while True:
                    data = http_poll.get(f"{url}/t/{uid}/live", params={"v": v}, timeout=60).json()
                    if data["called"]:
                        out["at"] = time.monotonic()
                        return
                    v = data["version"]

            t = threading.Thread(target=poll, daemon=True)
            t.start()
            time.sleep(0.05)  # the poll is waiting at the office
            called_at = time.monotonic()
            changes.append(called_at)
            q.call_next(window)
            t.join(30)
            calls.append(answer.get("at", called_at + 30) - called_at)
            q.finish(window)
            time.sleep(0.2)  # residents' pages follow; the next call comes a moment later
        time.sleep(1)
        first_phase_ends = time.monotonic()

        # the 1,000-hall load with the pages open, the hall calling meanwhile
        load_started = time.monotonic()
        calling = threading.Event()

        def call_meanwhile() -> None:
            for _ in range(load_calls):
                if calling.wait(CALL_EVERY_S):
                    return
                changes.append(time.monotonic())
                q.call_next(window)
                q.finish(window)

        caller = threading.Thread(target=call_meanwhile, daemon=True)
        caller.start()
        with_pages = run_load(url, office.tokens_file, LOAD_S, 5.0, 6)
        calling.set()
        caller.join(10)
        time.sleep(1)
        pages.close()
        live_lags = pages.lags(changes, until=first_phase_ends)
        load_lags = pages.lags(changes, since=load_started)
        result = {
            "bench": "phone",
            "quick": QUICK,
            "call_to_phone_p95_s": round(p(calls, 0.95), 3),
            "call_to_phone_p50_s": round(statistics.median(calls), 3),
            "calls": CALLS,
            "pages_open": PAGES,
            "office_live_p99_s": round(p(live_lags, 0.99), 3) if live_lags else None,
            "page_updates": len(live_lags),
            "page_get_p50_s": round(statistics.median(gets), 4),
            "call_vs_get_p95": round(p(calls, 0.95) / statistics.median(gets), 1),
            "target_call_to_phone_p95_s": 2.0,
            "load_halls": LOAD_HALLS,
            "load_s": LOAD_S,
            "office_p99_ms_with_pages": with_pages["p99_ms"],
            "office_p50_ms_with_pages": with_pages["p50_ms"],
            "office_rps_with_pages": with_pages["rps"],
            "office_errors_with_pages": with_pages["errors"],
            "office_p99_ms_alone": alone["p99_ms"],
            "office_p50_ms_alone": alone["p50_ms"],
            "pages_vs_alone_p99": round(with_pages["p99_ms"] / alone["p99_ms"], 2) if alone["p99_ms"] else None,
            "pages_live_p99_s": round(p(load_lags, 0.99), 3) if load_lags else None,
            "page_updates_under_load": len(load_lags),
            "page_errors": pages.errors,
            "target_office_p99_ms": 50,
            "office_workers": OFFICE_WORKERS,
            "load_avg_1m_start": load_avg_start,
            "load_avg_1m_end": round(os.getloadavg()[0], 2),
        }
        print(json.dumps(result))
    finally:
        if pages is not None and pages.proc.poll() is None:
            pages.proc.kill()
        worker.stop()
        hall.close()
        office.close()


if __name__ == "__main__":
    main()
