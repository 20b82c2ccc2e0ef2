"""sd_notify as systemd receives it: datagrams on the unit's NOTIFY_SOCKET (path or abstract)."""

import socket

import pytest

from kiosk.service_manager import notify, watchdog_interval_s


@pytest.mark.parametrize("abstract", [False, True])
def test_notify_sends_one_datagram(tmp_path, monkeypatch, abstract):
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        if abstract:
            name = f"yizhan-test-{tmp_path.name}"
            server.bind("\0" + name)
            monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        else:
            server.bind(str(tmp_path / "notify"))
            monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify"))
        server.settimeout(5)
        assert notify("READY=1")
        assert server.recv(100) == b"READY=1"


def test_without_a_service_manager_nothing_happens(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert notify("WATCHDOG=1") is False


def test_watchdog_interval_is_a_third_of_watchdogsec(monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "60000000")
    assert watchdog_interval_s() == 20
    monkeypatch.delenv("WATCHDOG_USEC")
    assert watchdog_interval_s() is None
