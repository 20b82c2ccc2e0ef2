"""The hall app's counter side: one console per window over the Hall's services, the LAN API
with the hall's token, the board's view of a call made from a console; the hall stops what it
started, in reverse."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from kiosk.hall import Hall
from kiosk.lan.api import lan_token
from kiosk.lan.client import RemoteCounterClient
from kiosk.ui.counter import CounterSide


def test_counter_side_wires_consoles_api_and_services(qtbot, hall_config):
    hall_config.lan.port = 0
    hall_config.voice.enabled = False
    hall = Hall(hall_config)
    hall.start(backups=False, board=False, sync=False)
    side = CounterSide(hall)
    try:
        assert sorted(side.consoles) == [f"counter-{n}" for n in range(1, 6)]  # the sample's five windows
        # one queue for every console, the kiosk and the LAN API; no printer configured
        assert all(c.client is hall.counter for c in side.consoles.values())
        assert hall.counter.queue is hall.queue and hall.printer is None and hall.voice is not None
        token = lan_token(hall_config)
        r = requests.get(f"{hall.lan.url}/api/v1/windows", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert r.status_code == 200 and len(r.json()) == 5
        ticket = hall.queue.issue_ticket("labor")
        remote = RemoteCounterClient(hall.lan.url, token)
        assert remote.window_state(1).waiting[0].label == ticket.label
        hall.queue.call_next(1)
        view = hall.queue.board_view()
        assert [(c.window_number, c.ticket_label) for c in view.calls] == [(1, ticket.label)]
        console = side.consoles["counter-1"]
        qtbot.addWidget(console)
        assert console.stack.currentWidget() is console.login_page
    finally:
        side.close()
        hall.close()


def test_the_hall_stops_what_it_started_in_reverse(hall_config):
    """Nothing on the way down may call a part already stopped: the sync worker (which asks the
    board's and the printer's state for the office) first, the cache last."""
    hall_config.lan.port = 0
    hall_config.voice.enabled = False
    hall = Hall(hall_config)
    hall.start(backups=True, board=True, sync=False)
    order: list[str] = []
    for name in ("board", "lan", "voice", "backups"):
        part = getattr(hall, name)
        stop = "stop" if name in ("lan", "backups") else "close"
        real = getattr(part, stop)
        setattr(part, stop, lambda real=real, name=name: (order.append(name), real())[1])
    real_close = hall.cache.close
    hall.cache.close = lambda: (order.append("cache"), real_close())[1]
    lan_url = hall.lan.url
    hall.close()
    assert order == ["board", "lan", "voice", "backups", "cache"]
    with pytest.raises(requests.ConnectionError):  # the LAN API's port is closed
        requests.get(f"{lan_url}/api/v1/ping", timeout=2)


def test_a_close_right_after_the_start_leaves_no_office_or_worker_behind(hall_config):
    """The sync start runs in the background (the embedded office takes a second or two to
    start): a hall closed at once (an installation check, a quick restart) waits for it, then
    stops the worker and the embedded office it started."""
    hall_config.voice.enabled = False
    hall = Hall(hall_config)
    hall.start(backups=False, lan=False, board=False, sync=True)
    hall.close()  # no error, whatever the sync start had reached
    office_dir = str(hall_config.data_dir() / "office")
    assert hall.sync is not None  # the close waited for the start to finish, then stopped it
    still = [p for p in Path("/proc").iterdir() if p.name.isdigit() and office_dir in _cmdline(p)]
    assert still == [], "the embedded office outlived the hall"


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
