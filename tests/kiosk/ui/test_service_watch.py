"""The watchdog is fed from the GUI thread: while that thread is stuck, no ping leaves, so
systemd restarts a frozen screen and not only a dead process."""

import socket
import time

from kiosk.ui.service_watch import feed_watchdog


def pending(server: socket.socket) -> list[bytes]:
    got = []
    while True:
        try:
            got.append(server.recv(100))
        except BlockingIOError:
            return got


def test_pings_flow_while_the_gui_turns_and_stop_while_it_is_stuck(qapp, qtbot, tmp_path, monkeypatch):
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(tmp_path / "notify"))
        server.setblocking(False)
        monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify"))
        monkeypatch.setenv("WATCHDOG_USEC", "300000")  # a ping every 100 ms
        timer = feed_watchdog(qapp)
        try:
            assert pending(server) == [b"WATCHDOG=1"]  # one at once
            got: list[bytes] = []
            qtbot.waitUntil(lambda: got.extend(pending(server)) or got.count(b"WATCHDOG=1") >= 2, timeout=5000)
            time.sleep(0.6)  # a slot stuck on the GUI thread: six intervals without the event loop
            assert pending(server) == []
            got.clear()
            qtbot.waitUntil(lambda: got.extend(pending(server)) or b"WATCHDOG=1" in got, timeout=5000)  # unstuck
        finally:
            timer.stop()


def test_no_watchdog_no_timer(qapp, monkeypatch):
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert feed_watchdog(qapp) is None
