"""The hall app under systemd (yizhan-hall.service, Type=notify, WatchdogSec=): READY=1 when it
serves, WATCHDOG=1 from its GUI thread, and the 暂停服务 screen after repeated crashes. A test
socket stands in for systemd's NOTIFY_SOCKET; the app is the real `yizhan hall` process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def start_hall(data: Path, notify_path: Path, *extra: str) -> subprocess.Popen:
    config = data.parent / "hall.toml"  # no fixed ports: neighbours' tests run at the same time
    config.write_text(f'[hall]\ndata_dir = "{data}"\n[lan]\nport = 0\n'
                      '[office]\nurl = "http://127.0.0.1:9"\n[board]\nenabled = false\n', encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NOTIFY_SOCKET": str(notify_path),
           "WATCHDOG_USEC": "300000", "XDG_CACHE_HOME": str(data.parent / "xdg-cache")}
    return subprocess.Popen([sys.executable, "-m", "kiosk.cli", "hall", "--offscreen", "--config", str(config), *extra],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def receive_until(server: socket.socket, wanted: list[bytes], timeout: float = 90) -> list[bytes]:
    got: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(w in got for w in wanted):
        try:
            got.append(server.recv(100))
        except TimeoutError:
            pass
    return got


def notify_socket(path: Path) -> socket.socket:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    server.settimeout(0.5)
    return server


def test_ready_and_watchdog_pings_and_a_clean_exit_is_recorded(tmp_path):
    with notify_socket(tmp_path / "notify") as server:
        hall = start_hall(tmp_path / "data", tmp_path / "notify", "--exit-when-ready")
        got = receive_until(server, [b"READY=1", b"WATCHDOG=1"])
        _out, err = hall.communicate(timeout=120)
    assert hall.returncode == 0, err
    assert b"READY=1" in got and b"WATCHDOG=1" in got
    runs = json.loads((tmp_path / "data" / "runs.json").read_text(encoding="utf-8"))
    assert runs[-1]["clean"] is True


def test_after_repeated_crashes_the_kiosk_pauses_calmly_and_stays_watched(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    now = time.time()
    crashes = [{"at": now - 60 * i, "clean": False, "reason": "OSError: [Errno 28] No space left on device"}
               for i in (3, 2, 1)]
    (data / "runs.json").write_text(json.dumps(crashes), encoding="utf-8")
    with notify_socket(tmp_path / "notify") as server:
        hall = start_hall(data, tmp_path / "notify")
        try:
            got = receive_until(server, [b"READY=1"])
            assert b"READY=1" in got
            # The GUI keeps turning on the paused screen, so the watchdog keeps being fed.
            assert b"WATCHDOG=1" in receive_until(server, [b"WATCHDOG=1"], timeout=10)
        finally:
            hall.send_signal(signal.SIGTERM)
            _out, err = hall.communicate(timeout=60)
    assert hall.returncode == 0
    assert "暂停服务 service paused: the hall app stopped unexpectedly 3 times" in err
    assert "No space left on device" in err
    assert "hall app ready" not in err  # nothing else was started
    # The pause itself is not another crash, and does not erase the history.
    runs = json.loads((data / "runs.json").read_text(encoding="utf-8"))
    assert len(runs) == 3


def test_checking_an_installation_that_is_paused_says_so_at_once(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    now = time.time()
    crashes = [{"at": now - 60 * i, "clean": False, "reason": "killed by the watchdog"} for i in (3, 2, 1)]
    (data / "runs.json").write_text(json.dumps(crashes), encoding="utf-8")
    with notify_socket(tmp_path / "notify"):
        hall = start_hall(data, tmp_path / "notify", "--exit-when-ready")
        _out, err = hall.communicate(timeout=120)
    assert hall.returncode == 75  # EX_TEMPFAIL: systemd would start it again later
    assert "暂停服务 service paused" in err and "killed by the watchdog" in err
