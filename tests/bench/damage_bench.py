"""Damage benchmark: kill the hall at a random moment, damage its cache, restart, and count.

    .venv/bin/python -m tests.bench.damage_bench [--rounds 200] [--seed 1]

Each round starts from a hall that has run (the sample staff's PINs already changed, as a
hall that took the published ones out of service), in a forked process that already imported
everything: it issues tickets of random businesses, pushing them to a real office over HTTP on
loopback only part of the time (the office "down" otherwise), takes one backup on the way, and
writes each ticket's label to a pipe once issue_ticket returned (what the kiosk shows and
prints). The parent kills it with SIGKILL at a random moment, damages the cache in one of these
ways, chosen at random:

- truncate: the file cut to half its size;
- zero: the file emptied (`: >`);
- pages: three random pages overwritten with random bytes;
- wal: the WAL deleted after the kill;
- none: no damage (the baseline: a plain crash).

Before restarting, it reads a copy of the damaged files with SQLite itself (the reference, not
our salvage): every outbox entry not yet confirmed that SQLite can still read there, by whole
table or, where that fails, row by row. Then it restarts the hall (the real start: Hall()),
pushes until the outbox is empty, issues a few tickets more, and counts:

- duplicated_numbers: a label issued after the restart that a resident already holds, or a
  (day, prefix, number) twice in the cache;
- unsynced_lost: an outbox entry readable in the damaged file that never reached the office;
- sample_pin_resurrections: a sample account (李文/陈静/王建国) that signs in with its published PIN;
- tickets_lost: a ticket shown before the kill that is neither in the recovered cache nor at
  the office, per damage kind (lost with pages that could not be read, or only in a lost WAL
  and never pushed: honest losses, not bugs).

Prints one JSON line; `seconds_per_round` against the baseline rounds' (damage "none") in the
same run as `recovery_cost_ratio`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

KINDS = ("truncate", "zero", "pages", "wal", "none")
SAMPLE = {"李文": "1111", "陈静": "2222", "王建国": "3333"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Office:
    """A real office server (FastAPI + uvicorn) on loopback, one SQLite database for all rounds."""

    def __init__(self, folder: Path):
        import uvicorn

        from sync.office.api import create_app
        from sync.office.db import OfficeDB

        self.db = OfficeDB(f"sqlite:///{folder / 'office.sqlite3'}")
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(create_app(self.db), host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        threading.Thread(target=self.server.run, daemon=True).start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{self.port}"

    def new_hall(self, code: str) -> str:
        from sync.office import store

        with self.db.sessions.begin() as s:
            _hall, token = store.add_hall(s, code, code)
        return token

    def labels(self, code: str) -> set[str]:
        from sqlalchemy import select

        from sync.office.models import Hall, Ticket

        with self.db.sessions() as s:
            hall_id = s.scalar(select(Hall.id).where(Hall.code == code))
            return {f"{d}/{lbl}" for d, lbl in s.execute(select(Ticket.service_day, Ticket.label)
                                                           .where(Ticket.hall_id == hall_id))}

    def event_uids(self) -> set[str]:
        from sqlalchemy import select

        from sync.office.models import TicketEvent

        with self.db.sessions() as s:
            return set(s.scalars(select(TicketEvent.uid)))

    def close(self) -> None:
        self.server.should_exit = True
        self.db.close()


def config_for(folder: Path):  # type: ignore[no-untyped-def]
    from kiosk.config import HallConfig

    config = HallConfig()
    config.hall.data_dir = folder
    return config


def make_template(folder: Path) -> None:
    """A hall that has started once and whose staff changed the published sample PINs."""
    from kiosk.hall import Hall
    from kiosk.services.auth import AuthService
    from sync.cache.backups import take_backup

    hall = Hall(config_for(folder))
    take_backup(hall.cache.path, keep=3)  # an hourly backup from before the PINs were changed
    auth = AuthService(hall.cache)
    for name in SAMPLE:
        auth.reset_pin(name, "987654", actor="bench")
    hall.close()


def worker(folder: Path, url: str, token: str, rng: random.Random, out: int) -> None:
    """The forked hall: issue tickets, push some, back up once, report each label shown."""
    from kiosk.hall import Hall
    from kiosk.services.content import apply_content
    from kiosk.services.queue import QueueService
    from sync.cache.backups import take_backup
    from sync.client import SyncError, SyncWorker

    hall = Hall(config_for(folder))
    queue = QueueService(hall.cache, hall.events, tz=hall.tz, config=hall.config)
    codes = [b.code for b in queue.businesses()][:3]
    sync = SyncWorker(hall.cache, url, token, apply_content=apply_content, timeout_s=5)
    # the office "down": the same push to a port nobody listens on (connection refused, nothing stored)
    down = SyncWorker(hall.cache, f"http://127.0.0.1:{free_port()}", token, apply_content=apply_content,
                      timeout_s=1)
    n = rng.randint(20, 80)
    backup_at = rng.randint(0, n - 1)
    for i in range(n):
        t = queue.issue_ticket(rng.choice(codes))
        os.write(out, f"{t.issued_at.astimezone(hall.tz).date()}/{t.label}\n".encode())
        if i == backup_at:
            take_backup(hall.cache.path, keep=3)
        if i % 10 == 9:
            office_up = rng.random() < 0.5  # the office comes and goes
            try:
                (sync if office_up else down).sync_once()
            except SyncError:
                pass  # the office is down: the entries wait in the outbox, as in the hall app
    os.write(out, b"done\n")
    time.sleep(3600)


def readable_unsynced(folder: Path) -> set[str]:
    """Unconfirmed outbox uids that SQLite itself still reads in (a copy of) the damaged files."""
    scratch = Path(tempfile.mkdtemp(prefix="yizhan-damaged-read-"))
    try:
        for suffix in ("", "-wal"):
            src = folder / f"hall.sqlite3{suffix}"
            if src.exists():
                shutil.copyfile(src, scratch / f"hall.sqlite3{suffix}")
        path = scratch / "hall.sqlite3"
        if not path.exists() or path.stat().st_size == 0:
            return set()  # (SQLite reads a 0-byte file as an empty database)
        conn = sqlite3.connect(path)
        try:
            try:
                return {r[0] for r in conn.execute("SELECT uid FROM outbox WHERE done_at IS NULL")}
            except sqlite3.DatabaseError:
                pass
            uids = set()
            try:
                top = conn.execute("SELECT max(rowid) FROM outbox").fetchone()[0] or 0
            except sqlite3.DatabaseError:
                top = 2000
            for rowid in range(1, top + 1):
                try:
                    row = conn.execute("SELECT uid FROM outbox WHERE rowid = ? AND done_at IS NULL", (rowid,)).fetchone()
                except sqlite3.DatabaseError:
                    continue
                if row:
                    uids.add(row[0])
            return uids
        except sqlite3.DatabaseError:
            return set()
        finally:
            conn.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def damage(folder: Path, kind: str, rng: random.Random) -> None:
    path = folder / "hall.sqlite3"
    if kind == "truncate":
        os.truncate(path, path.stat().st_size // 2)
    elif kind == "zero":
        os.truncate(path, 0)
    elif kind == "pages":
        pages = path.stat().st_size // 4096
        with open(path, "r+b") as f:
            for page in rng.sample(range(pages), min(3, pages)):
                f.seek(page * 4096)
                f.write(rng.randbytes(4096))
    elif kind == "wal":
        (folder / "hall.sqlite3-wal").unlink(missing_ok=True)


def one_round(root: Path, template: Path, office: Office, n: int, kind: str, rng: random.Random) -> dict:
    from kiosk.hall import Hall
    from kiosk.services.auth import AuthService, verify_pin
    from kiosk.services.content import apply_content
    from kiosk.services.queue import QueueService
    from sync.cache.models import Staff
    from sync.client import SyncWorker

    folder = root / f"r{n}"
    shutil.copytree(template, folder)
    code = f"r{n}"
    token = office.new_hall(code)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the hall process
        os.close(read_fd)
        try:
            worker(folder, office.url, token, random.Random(rng.random()), write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    shown: list[str] = []
    stop_after = rng.randint(1, 80)
    buf = b""
    while len(shown) < stop_after:
        chunk = os.read(read_fd, 4096)
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        shown += [line.decode() for line in lines if line and line != b"done"]
        if b"done" in lines:
            break
    time.sleep(rng.random() * 0.02)  # a random moment, also inside an issue or a push
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    # the kill lands after some labels reached the pipe: all of them were shown
    while chunk := os.read(read_fd, 4096):
        buf += chunk
    shown += [line.decode() for line in buf.split(b"\n") if line and line != b"done"]
    os.close(read_fd)

    damage(folder, kind, rng)
    readable = readable_unsynced(folder)

    t0 = time.perf_counter()
    hall = Hall(config_for(folder))
    took = time.perf_counter() - t0
    try:
        sync = SyncWorker(hall.cache, office.url, token, apply_content=apply_content, timeout_s=5)
        for _ in range(20):
            sync.sync_once()
            if sync.status().waiting == 0:
                break
        queue = QueueService(hall.cache, hall.events, tz=hall.tz, config=hall.config)
        codes = [b.code for b in queue.businesses()][:3]
        after = [f"{t.issued_at.astimezone(hall.tz).date()}/{t.label}"
                 for t in (queue.issue_ticket(c) for c in codes for _ in range(2))]
        for _ in range(5):
            sync.sync_once()
            if sync.status().waiting == 0:
                break
        with hall.cache.reading() as s:
            cache_labels = [f"{d}/{lbl}" for d, lbl in s.execute(
                __import__("sqlalchemy").text("SELECT service_day, label FROM ticket"))]
            hashes = {name: h for name, h in s.execute(
                __import__("sqlalchemy").select(Staff.name, Staff.pin_hash))}
        resurrected = sum(1 for name, pin in SAMPLE.items() if name in hashes and verify_pin(pin, hashes[name]))
        staff_left = len(AuthService(hall.cache).list_staff())
    finally:
        hall.close()
    at_office = office.labels(code)
    office_events = office.event_uids()
    dup = sum(c - 1 for c in Counter(cache_labels).values() if c > 1)
    dup += len(set(after) & set(shown))
    result = {
        "kind": kind,
        "duplicated": dup,
        "unsynced_lost": len(readable - office_events),
        "resurrected": resurrected,
        "tickets_lost": len(set(shown) - set(cache_labels) - at_office),
        "shown": len(shown),
        "staff_left": staff_left,
        "restart_s": took,
    }
    shutil.rmtree(folder, ignore_errors=True)
    return result


def run(rounds: int, seed: int = 1) -> dict:
    """`rounds` rounds; the figures as one dict (the JSON line)."""
    rng = random.Random(seed)
    root = Path(tempfile.mkdtemp(prefix="yizhan-damage-"))
    template = root / "template"
    make_template(template)
    office = Office(root)
    per_kind: dict[str, Counter] = defaultdict(Counter)
    restart: dict[str, list[float]] = defaultdict(list)
    totals: Counter = Counter()
    started = time.perf_counter()
    try:
        for n in range(rounds):
            kind = KINDS[n % len(KINDS)] if n < len(KINDS) else rng.choice(KINDS)
            r = one_round(root, template, office, n, kind, rng)
            per_kind[kind]["rounds"] += 1
            per_kind[kind]["tickets_lost"] += r["tickets_lost"]
            per_kind[kind]["shown"] += r["shown"]
            per_kind[kind]["staff_signin_disabled"] += r["staff_left"] == 0
            restart[kind].append(r["restart_s"])
            totals["duplicated_numbers"] += r["duplicated"]
            totals["unsynced_lost"] += r["unsynced_lost"]
            totals["sample_pin_resurrections"] += r["resurrected"]
            totals["tickets_lost"] += r["tickets_lost"]
            totals["shown"] += r["shown"]
    finally:
        office.close()
        shutil.rmtree(root, ignore_errors=True)
    base = sum(restart["none"]) / max(1, len(restart["none"]))
    return {
        "rounds": rounds,
        "duplicated_numbers": totals["duplicated_numbers"],
        "unsynced_lost": totals["unsynced_lost"],
        "sample_pin_resurrections": totals["sample_pin_resurrections"],
        "tickets_lost": totals["tickets_lost"],
        "tickets_shown": totals["shown"],
        "tickets_lost_by_damage": {k: dict(v) for k, v in sorted(per_kind.items())},
        "restart_s_plain_crash": round(base, 3),
        "recovery_cost_ratio": {k: round(sum(v) / len(v) / base, 2) if base else None
                                for k, v in sorted(restart.items())},
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    import logging

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # the recoveries log loudly by design; the JSON line is the output
    print(json.dumps(run(args.rounds, args.seed), ensure_ascii=False))


if __name__ == "__main__":
    main()
