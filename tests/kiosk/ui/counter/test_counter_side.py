"""The hall app's counter side: one console per window, the LAN API with the hall's token,
shared services on the Hall, the board's view of a call made from a console."""

from __future__ import annotations

import requests

from kiosk.hall import Hall
from kiosk.lan.api import lan_token
from kiosk.lan.client import RemoteCounterClient
from kiosk.ui.counter import CounterSide


def test_counter_side_wires_consoles_api_and_services(qtbot, hall_config):
    hall_config.lan.port = 0
    hall_config.voice.enabled = False
    hall = Hall(hall_config)
    side = CounterSide(hall)
    try:
        assert sorted(side.consoles) == [f"counter-{n}" for n in range(1, 6)]  # the sample's five windows
        assert hall.queue is side.queue and hall.voice is side.voice and hall.printer is None
        token = lan_token(hall_config)
        r = requests.get(f"{side.api.url}/api/v1/windows", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert r.status_code == 200 and len(r.json()) == 5
        ticket = hall.queue.issue_ticket("labor")
        remote = RemoteCounterClient(side.api.url, token)
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
