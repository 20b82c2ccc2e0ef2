"""Outage benchmark: a remote counter console and the office sync worker while their server is
away and when it comes back. Prints one JSON line.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.bench.outage_bench [--outage 8] [--sync-gap 6]

Counter console (`yizhan counter` against the hall's LAN API over real HTTP on loopback, logged
in, polling once a second as in production):
- gui_max_stall_ms_closed: the longest gap between ticks of a 20 ms QTimer on the GUI thread
  during --outage seconds with the hall app stopped (closed port).
- gui_max_stall_ms_silent: the same with a hall that accepts connections and never answers
  (a hung hall app, or packets dropped after the connection).
- press_ms_silent: how long pressing F1 (call next) holds the GUI thread right as the hall goes
  silent, before the console knows.
- banner_s: from the hall going away (closed port) to the "connection lost" banner.
- reconnect_s: from the hall app being back to the console connected again.
Target: no stall above 250 ms (a clerk notices a frozen window at about that).

Sync worker (office server over HTTP on loopback):
- resync_s: the office is back after a long outage (the worker is at its maximum backoff, 60 to
  120 s, and its last attempt failed --sync-gap seconds ago); a ticket is issued (the hall's bus
  wakes the worker); seconds until the office has it. Capped at 150 s. (A woken retry comes at
  most every min_retry_s = 5 s, so with --sync-gap 0 expect about 5 s.)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class Ticks:
    """A 20 ms timer on the GUI thread; the longest gap between its ticks is the longest freeze."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.timeout.connect(self.tick)
        self.last = time.monotonic()
        self.max_gap = 0.0

    def tick(self) -> None:
        now = time.monotonic()
        self.max_gap = max(self.max_gap, now - self.last)
        self.last = now

    def start(self) -> None:
        self.last = time.monotonic()
        self.max_gap = 0.0
        self.timer.start(20)


def pump(seconds: float, until=None) -> float:  # noqa: ANN001
    """Run the Qt event loop for `seconds` or until `until()`; returns the time it took."""
    from PySide6.QtCore import QCoreApplication, QEventLoop

    start = time.monotonic()
    while time.monotonic() - start < seconds:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.005)
        if until is not None and until():
            break
    return time.monotonic() - start


class Silent:
    """A socket on the hall's port that accepts and never answers."""

    def __init__(self, port: int):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(64)
        self.conns: list[socket.socket] = []
        self.stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        self.stop = True
        self.sock.close()
        for c in self.conns:
            c.close()


def counter_outage(outage_s: float) -> dict:
    from PySide6.QtWidgets import QApplication

    from kiosk.lan.api import HallApiServer, create_app
    from kiosk.lan.client import LocalCounterClient, RemoteCounterClient
    from kiosk.services.auth import AuthService
    from kiosk.ui.counter.console import CounterConsole
    from kiosk.ui.gui_gc import collect_on_gui_thread
    from sync.cache.db import open_cache
    from tests.kiosk.services.queue_world import TZ, add_clerks, make_queue, seed_hall

    app = QApplication.instance() or QApplication([])
    collect_on_gui_thread(app)  # as `yizhan counter` does: the LAN threads never free Qt objects
    folder = Path(tempfile.mkdtemp(prefix="yizhan-outage-"))
    cache = open_cache(folder / "hall.sqlite3")
    seed_hall(cache)
    add_clerks(cache)
    q, _ = make_queue(cache)
    for _ in range(5):
        q.issue_ticket("labor")
    local = LocalCounterClient(q, AuthService(cache))
    server = HallApiServer(create_app(local, "tok")).start()
    port = server.port
    console = CounterConsole(RemoteCounterClient(server.url, "tok"), 1, tz=TZ)
    console.resize(1280, 800)
    console.show()
    pump(1.0, lambda: console.login_page.button.isEnabled())
    console.login("王芳", "2468")
    pump(5.0, lambda: console.state is not None)
    assert console.state is not None, "the console did not log in"
    ticks = Ticks()
    out: dict = {}

    # the hall app stops: closed port
    server.stop()  # (joins the server thread: not counted as a freeze)
    ticks.start()
    gone = time.monotonic()
    banner = None
    while time.monotonic() - gone < outage_s:
        pump(0.05)
        if banner is None and console.connected is False:
            banner = time.monotonic() - gone
    out["gui_max_stall_ms_closed"] = round(ticks.max_gap * 1000)
    out["banner_s"] = round(banner, 2) if banner is not None else None

    # back: the console reconnects by itself (the new hall process asks for the PIN again)
    server = HallApiServer(create_app(local, "tok"), port=port).start()
    back = time.monotonic()
    pump(30.0, lambda: console.connected is True)
    out["reconnect_s"] = round(time.monotonic() - back, 2) if console.connected else None
    console.login("王芳", "2468")
    pump(5.0, lambda: console.state is not None and console.staff is not None and console.connected)

    # the hall goes silent (accepts, never answers) right as the clerk presses F1
    server.stop()
    silent = Silent(port)
    ticks.start()
    t0 = time.monotonic()
    console.call_next()
    out["press_ms_silent"] = round((time.monotonic() - t0) * 1000)
    pump(outage_s)
    out["gui_max_stall_ms_silent"] = round(ticks.max_gap * 1000)
    silent.close()
    ticks.timer.stop()
    console.timer.stop()
    console.close()
    pump(0.2)
    cache.close()
    app.processEvents()
    return out


def sync_outage(gap_s: float) -> dict:
    import uvicorn

    from sync.cache.db import open_cache
    from sync.client import SyncWorker, wait_until
    from sync.office import store
    from sync.office.api import create_app
    from sync.office.db import OfficeDB
    from tests.sync.office_world import TicketMaker, record_apply

    folder = Path(tempfile.mkdtemp(prefix="yizhan-outage-sync-"))
    db = OfficeDB(f"sqlite:///{folder / 'office.sqlite3'}")
    with db.sessions.begin() as s:
        _hall, token = store.add_hall(s, "幸福", "xingfu")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cache = open_cache(folder / "hall.sqlite3")
    worker = SyncWorker(cache, f"http://127.0.0.1:{port}", token, apply_content=record_apply, timeout_s=2)
    worker._failures = 7  # as after a few minutes without the office: at the 60-120 s ceiling
    worker.start()
    assert wait_until(lambda: worker._failures >= 8, 10)  # failed again: now waiting out its backoff
    time.sleep(gap_s)
    server = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    assert wait_until(lambda: server.started, 10)
    TicketMaker(cache).issue(events=1)
    t0 = time.monotonic()
    worker.wake()  # what the hall's event bus does after a ticket is issued
    synced = wait_until(lambda: worker.status().waiting == 0, 150, step_s=0.01)
    took = time.monotonic() - t0
    worker.stop()
    server.should_exit = True
    cache.close()
    db.close()
    return {"resync_s": round(took, 2) if synced else None}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--outage", type=float, default=8.0)
    p.add_argument("--skip-sync", action="store_true")
    p.add_argument("--sync-gap", type=float, default=6.0)
    args = p.parse_args()
    import logging

    logging.basicConfig(level=logging.ERROR)
    result = {"bench": "outage", **counter_outage(args.outage)}
    if not args.skip_sync:
        result.update(sync_outage(args.sync_gap))
    print(json.dumps(result))
    os._exit(0)  # no Python finaliser tearing Qt down from a non-GUI thread


if __name__ == "__main__":
    main()
