"""`yizhan counter --hall URL --window N` as a real process against a hall LAN API on loopback
(and behind a relay that can hold every request unanswered: tests/kiosk/lan/lanproxy.py)."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path

from kiosk.lan.api import HallApiServer, create_app  # noqa: E402
from kiosk.lan.client import LocalCounterClient  # noqa: E402
from kiosk.services.auth import AuthService  # noqa: E402
from tests.kiosk.lan.lanproxy import LanProxy  # noqa: E402
from tests.kiosk.services.queue_world import add_clerks, make_queue, seed_hall  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def counter(*args, env=None):
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "counter", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})})


def test_counter_command_connects_and_shows_the_login(cache, tmp_path):
    seed_hall(cache)
    add_clerks(cache)
    q, _ = make_queue(cache)
    server = HallApiServer(create_app(LocalCounterClient(q, AuthService(cache)), "tok")).start()
    try:
        shot = tmp_path / "console.png"
        r = counter("--hall", server.url, "--window", "2", "--token", "tok", "--screenshot", str(shot))
        assert r.returncode == 0, r.stderr
        assert shot.stat().st_size > 10_000
        assert f"the hall {server.url} answered: window 2 民政事务窗口" in r.stderr
        # what the hall refuses opens the window all the same, says so in it, and ends with 2
        r = counter("--hall", server.url, "--window", "9", "--token", "tok", "--screenshot", str(shot))
        assert r.returncode == 2 and "--window: the hall has no window 9" in r.stderr, r.stderr
        assert "现有窗口：1、2、3、4" in r.stderr
        r = counter("--hall", server.url, "--window", "2", "--token", "bad", "--screenshot", str(shot))
        assert r.returncode == 2 and "令牌" in r.stderr, r.stderr
    finally:
        server.stop()


def test_counter_window_opens_at_once_against_a_silent_hall_then_connects(cache, tmp_path):
    """The hall PC accepts connections and never answers (hung): the window must not wait for it
    (the old command asked the hall first, for the 3 s HTTP timeout), and it connects by itself
    once the hall answers."""
    seed_hall(cache)
    add_clerks(cache)
    q, _ = make_queue(cache)
    server = HallApiServer(create_app(LocalCounterClient(q, AuthService(cache)), "tok")).start()
    proxy = LanProxy(server.port)
    proxy.mode = "silent"
    shot = tmp_path / "console.png"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "counter", "--hall", proxy.url, "--window", "2", "--token", "tok",
         "--screenshot", str(shot)],
        cwd=REPO, stderr=subprocess.PIPE, text=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    lines: queue.SimpleQueue[str] = queue.SimpleQueue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    seen = []
    try:
        while not any("counter console on screen" in line for line in seen):
            seen.append(lines.get(timeout=30))  # queue.Empty here: the window never came
        painted = float(re.search(r"on screen ([\d.]+) s after opening", seen[-1]).group(1))
        # a bound far above the ~0.1 s it takes, and below the one HTTP timeout the old command waited for
        assert painted < 2.0, seen
        proxy.mode = "pass"
        assert proc.wait(timeout=60) == 0, seen
    finally:
        proc.kill()
        proc.wait()
        proxy.close()
        server.stop()
    while not lines.empty():
        seen.append(lines.get())
    out = "".join(seen)
    assert f"the hall {proxy.url} answered: window 2 民政事务窗口" in out, out
    assert shot.stat().st_size > 10_000


def test_counter_command_bad_arguments(tmp_path):
    r = counter("--hall", "ftp://x", "--window", "1", "--token", "t")
    assert r.returncode == 2 and "--hall: must be an http:// or https:// address" in r.stderr
    r = counter("--hall", "http://127.0.0.1:9", "--window", "1", env={"YIZHAN_HALL_TOKEN": ""})
    assert r.returncode == 2 and "no hall token" in r.stderr
    r = counter("--hall", "http://127.0.0.1:9", "--window", "1", "--token-file", str(tmp_path / "none"))
    assert r.returncode == 2 and "--token-file: cannot read" in r.stderr
