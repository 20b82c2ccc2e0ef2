"""`yizhan counter --hall URL --window N` as a real process against a hall LAN API on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "services"))

from queue_world import add_clerks, make_queue, seed_hall  # noqa: E402

from kiosk.lan.api import HallApiServer, create_app  # noqa: E402
from kiosk.lan.client import LocalCounterClient  # noqa: E402
from kiosk.services.auth import AuthService  # noqa: E402

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
        r = counter("--hall", server.url, "--window", "9", "--token", "tok", "--offscreen")
        assert r.returncode == 2 and "the hall has no window 9" in r.stderr
        r = counter("--hall", server.url, "--window", "2", "--token", "bad", "--offscreen")
        assert r.returncode == 2 and "令牌" in r.stderr
    finally:
        server.stop()


def test_counter_command_bad_arguments(tmp_path):
    r = counter("--hall", "ftp://x", "--window", "1", "--token", "t")
    assert r.returncode == 2 and "--hall: must be an http:// or https:// address" in r.stderr
    r = counter("--hall", "http://127.0.0.1:9", "--window", "1", env={"YIZHAN_HALL_TOKEN": ""})
    assert r.returncode == 2 and "no hall token" in r.stderr
    r = counter("--hall", "http://127.0.0.1:9", "--window", "1", "--token-file", str(tmp_path / "none"))
    assert r.returncode == 2 and "--token-file: cannot read" in r.stderr
