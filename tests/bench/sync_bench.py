"""Sync benchmark: one JSON line.

- catchup_s / catchup_requests: a hall back after a day offline (2,000 ticket events and 500
  content edits in its outbox, 500 content edits waiting on the office) syncs with an office
  server (SQLite, own process) on loopback. Targets: <= 2 s, <= 10 requests.
- idle_poll_bytes: bytes on the wire (both directions, counted by a TCP relay) for one idle
  sync round. Target <= 1 KB.
- office_rps / office_p99_ms: the office on PostgreSQL (own process) under a load generator
  (another process) simulating 1,000 halls polling every 5 s plus pushes. Targets >= 200
  req/s, p99 <= 50 ms. The load is bounded: LOAD_SECONDS, then everything stops.
- Baseline from the same run: idle_round_ms (one empty round); catchup_vs_idle is the ratio.
- Waiting halls (the default since issue 19): the office on PostgreSQL (SYNC_BENCH_WORKERS
  processes, default 2, on this machine) and a load generator in its own process
  (tests/bench/sync_wait_load.py, asyncio) holding one waiting pull per hall:
  `waiting_halls` (connected and waiting at once; target >= 4,000), `publish_to_all_p99_ms`
  (an admin publish until every waiting hall has it, p99 over 20 publishes; <= 2,000 ms),
  `push_p99_ms` (pushes during those publishes; <= 50 ms; the polling load's pushes are
  `poll_push_p50_ms`/`poll_push_p99_ms`), `idle_cpu_pct` (CPU of the office processes while
  everyone waits with nothing to say, % of ONE core; <= 10 %). SYNC_BENCH_WAIT_HALLS is a
  comma list of hall counts (default 4000); `wait_scale` has each count's figures, the
  top-level keys are the first count's. SYNC_BENCH_WAIT_S (default 60) is the halls' wait, and
  the idle window is as long, so each hall renews once in it. Also per count: `publish_cpu_ms`
  (office CPU per publish to all, pushes included) and `publish_phase_cpu_pct`, which other
  work on the machine hardly moves, and `publish_request_p50_ms` (the admin's request alone).

usage: .venv/bin/python -m tests.bench.sync_bench [--quick]
(SYNC_BENCH_WAIT_ONLY=1: only the waiting-halls part)
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
QUICK = "--quick" in sys.argv
HALLS = int(os.environ.get("SYNC_BENCH_HALLS", 200 if QUICK else 1000))
LOAD_SECONDS = float(os.environ.get("SYNC_BENCH_SECONDS", 8 if QUICK else 25))
POLL_PERIOD_S = 5.0
PUSH_EVERY = 6  # every 6th round (30 s) a hall also pushes 2 ticket events first


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_office(database: str, workers: int = 1) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "office", "serve", "--database", database,
                             "--port", str(port), "--workers", str(workers)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 60
    while time.monotonic() < end:
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                return proc, url
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("office server did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


class CountingRelay:
    """A TCP relay that counts the bytes going each way."""

    def __init__(self, upstream_port: int):
        self.upstream = ("127.0.0.1", upstream_port)
        self.up = self.down = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            threading.Thread(target=self._pipe, args=(client, server, "up"), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, "down"), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, way: str) -> None:
        try:
            while data := src.recv(65536):
                setattr(self, way, getattr(self, way) + len(data))
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def ticket_rows(n_events: int) -> list[dict]:
    """Outbox rows as the queue writes them: tickets issued, called and served over a day."""
    rows = []
    start = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)
    seq = 0
    ticket_no = 0
    while len(rows) < n_events:
        ticket_no += 1
        ticket = str(uuid.uuid4())
        issued = start + timedelta(seconds=13 * ticket_no)
        for kind, state, minutes in (("issued", "waiting", 0), ("called", "called", 6), ("served", "served", 14)):
            seq += 1
            ev = str(uuid.uuid4())
            rows.append({"uid": ev, "kind": "ticket_event", "payload": {
                "ticket": {"uid": ticket, "label": f"A{ticket_no:03d}", "prefix": "A", "number": ticket_no,
                           "service_day": "2026-11-25", "business_code": "labor", "priority": False,
                           "state": state, "window_number": 1 if kind != "issued" else None,
                           "issued_at": issued.isoformat(),
                           "called_at": (issued + timedelta(minutes=6)).isoformat() if minutes >= 6 else None,
                           "finished_at": (issued + timedelta(minutes=14)).isoformat() if minutes >= 14 else None},
                "event": {"uid": ev, "kind": kind, "at": (issued + timedelta(minutes=minutes)).isoformat(),
                          "window_number": 1 if kind != "issued" else None, "business_code": "labor",
                          "detail": {}}}})
    return rows[:n_events]


def notice(title: str) -> dict:
    return {"uid": str(uuid.uuid4()), "title": title, "body": f"{title}：详情请咨询服务大厅窗口。" * 3,
            "starts_on": "2026-11-25", "ends_on": "2026-12-31"}


def bench_catchup(tmp: Path) -> dict:
    from kiosk.config import HallConfig
    from kiosk.hall import Hall
    from kiosk.services.content import apply_content
    from sync.cache.models import Outbox
    from sync.client import SyncWorker
    from sync.content_files import SAMPLE_DIR
    from sync.office import store
    from sync.office.db import OfficeDB
    from sync.office.server import bundle_records

    office_url = f"sqlite:///{tmp / 'office.sqlite3'}"
    db = OfficeDB(office_url)
    with db.sessions.begin() as s:
        _hall, token = store.add_hall(s, "幸福社区工作站", "xingfu")
        store.publish(s, bundle_records(SAMPLE_DIR), "all")
    db.close()
    proc, url = start_office(office_url)
    try:
        config = HallConfig()
        config.hall.data_dir = tmp / "hall"
        hall = Hall(config)
        worker = SyncWorker(hall.cache, url, token, apply_content=apply_content, timeout_s=30)
        worker.sync_once()  # up to date before going offline

        idle = []
        for _ in range(20):
            t0 = time.perf_counter()
            worker.sync_once()
            idle.append(time.perf_counter() - t0)

        # A day offline: the hall's outbox fills, the office publishes.
        with hall.cache.transaction() as s:
            for row in ticket_rows(2000):
                s.add(Outbox(**row))
            for i in range(500):
                data = notice(f"大厅公示 {i}")
                apply_content(s, "notice", data, 1)
                s.add(Outbox(kind="content", payload={"kind": "notice", "uid": data["uid"], "base_version": 0,
                                                      "version": 1, "data": data, "author": "陈静"}))
        db = OfficeDB(office_url, migrate=False)
        with db.sessions.begin() as s:
            store.publish(s, [{"kind": "notice", "data": notice(f"街道通知 {i}")} for i in range(500)], "all")
        db.close()

        before = worker.requests_made
        t0 = time.perf_counter()
        result = worker.sync_once()
        catchup = time.perf_counter() - t0
        assert worker.status().waiting == 0 and result.pushed == 2500 and result.pulled == 500, result

        relay = CountingRelay(int(url.rsplit(":", 1)[1]))
        idle_worker = SyncWorker(hall.cache, relay.url, token, apply_content=apply_content)
        idle_worker.sync_once()  # first contact (connection set-up) not counted below
        relay.up = relay.down = 0
        idle_worker.sync_once()
        time.sleep(0.2)
        idle_bytes = relay.up + relay.down
        hall.close()
        return {
            "catchup_s": round(catchup, 3), "catchup_requests": worker.requests_made - before,
            "catchup_pushed": result.pushed, "catchup_pulled": result.pulled,
            "catchup_bytes_sent": worker.bytes_sent, "idle_poll_bytes": idle_bytes,
            "idle_poll_bytes_up": relay.up, "idle_poll_bytes_down": relay.down,
            "idle_round_ms": round(statistics.median(idle) * 1000, 2),
            "catchup_vs_idle": round(catchup / statistics.median(idle), 1),
        }
    finally:
        stop(proc)


def run_load(office: str, tokens_file: Path, seconds: float, period: float, push_every: int,
             halls: int | None = None) -> dict:
    """The load generator in its own process; its JSON line as a dict."""
    args = [sys.executable, "-m", "tests.bench.sync_load", office, str(tokens_file), str(seconds),
            str(period), str(push_every)] + ([str(halls)] if halls else [])
    out = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 120, cwd=REPO)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_load(tmp: Path) -> dict:
    from sqlalchemy import create_engine, text

    from sync.office import store
    from sync.office.db import OfficeDB

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG}?options=-csearch_path%3D{schema}"
    try:
        db = OfficeDB(url)
        tokens = []
        with db.sessions.begin() as s:
            store.publish(s, [{"kind": "notice", "data": notice("街道通知")}], "all")
            for i in range(HALLS):
                tokens.append(store.add_hall(s, f"社区 {i}", f"hall-{i}")[1])
        db.close()
        tokens_file = tmp / "tokens.txt"
        tokens_file.write_text("\n".join(tokens))
        workers = int(os.environ.get("SYNC_BENCH_WORKERS", "2"))
        proc, office = start_office(url, workers=workers)
        try:
            load = run_load(office, tokens_file, LOAD_SECONDS, POLL_PERIOD_S, PUSH_EVERY)
            # Capacity: 50 halls polling back to back for a few seconds.
            capacity = run_load(office, tokens_file, 5, 0, PUSH_EVERY, halls=50)
        finally:
            stop(proc)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
    return {"office_rps": load["rps"], "office_capacity_rps": capacity["rps"],
            "office_capacity_p99_ms": capacity["p99_ms"], "office_p99_ms": load["p99_ms"], "office_p50_ms": load["p50_ms"],
            "office_p90_ms": load["p90_ms"], "office_max_ms": load["max_ms"], "load_requests": load["requests"],
            "load_pushes": load["pushes"], "push_p50_ms": load["push_p50_ms"], "push_p99_ms": load["push_p99_ms"],
            "poll_push_p50_ms": load["push_p50_ms"], "poll_push_p99_ms": load["push_p99_ms"],
            "load_errors": load["errors"], "load_halls": HALLS,
            "load_seconds": LOAD_SECONDS, "offered_rps": round(HALLS / POLL_PERIOD_S * (1 + 1 / PUSH_EVERY), 1), "office_workers": workers}


def office_processes(proc: subprocess.Popen) -> list:
    import psutil

    parent = psutil.Process(proc.pid)
    return [parent, *parent.children(recursive=True)]


def cpu_seconds(processes: list) -> float:
    total = 0.0
    for p in processes:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except Exception:  # noqa: BLE001 - a process that ended counts no more
            pass
    return total


def bench_wait(tmp: Path, halls: int, wait_s: float) -> dict:
    """`halls` halls waiting at an office on PostgreSQL; see the module docstring."""
    import resource

    from sqlalchemy import create_engine, text

    from sync.office import store
    from sync.office.db import OfficeDB

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the office processes
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin_engine = create_engine(PG)
    with admin_engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG}?options=-csearch_path%3D{schema}"
    try:
        db = OfficeDB(url)
        tokens = []
        with db.sessions.begin() as s:
            store.publish(s, [{"kind": "notice", "data": notice("街道通知")}], "all")
            admin = store.add_admin(s, "街道办")
        for start in range(0, halls, 500):
            with db.sessions.begin() as s:
                tokens += [store.add_hall(s, f"社区 {i}", f"hall-{i}")[1] for i in range(start, min(halls, start + 500))]
        db.close()
        tokens_file = tmp / f"wait-tokens-{halls}.txt"
        tokens_file.write_text("\n".join(tokens))
        workers = int(os.environ.get("SYNC_BENCH_WORKERS", "2"))
        proc, office = start_office(url, workers=workers)
        try:
            processes = office_processes(proc)
            gen = subprocess.Popen([sys.executable, "-m", "tests.bench.sync_wait_load", office,
                                    str(tokens_file), admin, str(halls), str(wait_s), str(wait_s), "20", "20"],
                                   stdout=subprocess.PIPE, text=True, cwd=REPO)
            cpu = {}
            result: dict = {}
            for line in gen.stdout:
                msg = json.loads(line)
                if msg.get("event") in ("idle_start", "idle_end", "publishes_start", "publishes_end"):
                    cpu[msg["event"]] = (time.monotonic(), cpu_seconds(processes))
                elif "waiting_halls" in msg:
                    result = msg
            gen.wait(60)
            if not result:
                raise RuntimeError(f"the wait load generator failed (exit {gen.returncode})")
        finally:
            stop(proc)
    finally:
        with admin_engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin_engine.dispose()
    (t0, c0), (t1, c1) = cpu["idle_start"], cpu["idle_end"]
    (p0, pc0), (p1, pc1) = cpu["publishes_start"], cpu["publishes_end"]
    return {**result, "idle_cpu_pct": round((c1 - c0) / (t1 - t0) * 100, 1), "idle_s": round(t1 - t0, 1),
            # CPU the office spent per publish to all (with the pushes meanwhile): unlike the
            # latencies, hardly moved by other work on the machine
            "publish_cpu_ms": round((pc1 - pc0) * 1000 / max(1, result.get("publishes", 20)), 1),
            "publish_phase_cpu_pct": round((pc1 - pc0) / (p1 - p0) * 100, 1),
            "office_workers": workers, "wait_s": wait_s}


def main() -> None:
    import logging

    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        # The machine's load when we started: other work on the same 2 cores moves the latencies.
        figures = {"bench": "sync", "quick": QUICK, "load_avg_1m_start": round(os.getloadavg()[0], 2)}
        wait_only = bool(os.environ.get("SYNC_BENCH_WAIT_ONLY"))
        if not os.environ.get("SYNC_BENCH_LOAD_ONLY") and not wait_only:
            figures.update(bench_catchup(Path(tmp)))
        if not wait_only:
            figures.update(bench_load(Path(tmp)))
        counts = [int(n) for n in os.environ.get("SYNC_BENCH_WAIT_HALLS", "400" if QUICK else "4000").split(",")]
        wait_s = float(os.environ.get("SYNC_BENCH_WAIT_S", "20" if QUICK else "60"))
        scale = []
        for n in counts:
            scale.append({"halls": n, "load_avg_1m": round(os.getloadavg()[0], 2), **bench_wait(Path(tmp), n, wait_s)})
        first = scale[0]
        figures.update({k: first[k] for k in ("waiting_halls", "publish_to_all_p99_ms", "push_p99_ms",
                                              "idle_cpu_pct")})
        figures["wait_scale"] = scale
        figures["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
