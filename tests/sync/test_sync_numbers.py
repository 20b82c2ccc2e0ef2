"""After a recovery the hall numbers after the office's highest ticket (issue 14, point 3).

Real halls (Hall, QueueService, the sync worker as the app starts it) and the real office over
HTTP on loopback, on SQLite and PostgreSQL: a hall that lost its whole data directory after
issuing and syncing A001–A030 goes on at A031, not A001; a rebuilt cache whose office cannot be
reached says so in `yizhan db check` and on the consoles, and follows the office once it answers.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import requests

from kiosk.hall import Hall
from kiosk.services.embedded_office import start_sync
from kiosk.services.queue import QueueService
from sync.client import wait_until
from tests.sync.faultproxy import Relay, read_request

ROOT = Path(__file__).resolve().parents[2]


def hall_with_office(hall_config, data_dir: Path, url: str, token: str) -> tuple[Hall, QueueService]:
    config = hall_config.model_copy(deep=True)
    config.hall.data_dir = data_dir
    config.office.url, config.office.token = url, token
    config.office.timeout_s = 3
    hall = Hall(config)
    start_sync(hall)  # in the background, as the app does: start-up never waits for the office
    return hall, QueueService(hall.cache, hall.events, tz=hall.tz, config=config)


def issue(queue: QueueService, n: int, code: str = "") -> list[str]:
    code = code or queue.businesses()[0].code
    return [queue.issue_ticket(code).label for _ in range(n)]


def test_a_hall_that_lost_its_data_directory_numbers_after_the_office(office, hall_config, tmp_path):
    token = office.add_hall("幸福社区工作站", "xingfu")
    data = tmp_path / "hall"
    hall, queue = hall_with_office(hall_config, data, office.url, token)
    labels = issue(queue, 30)
    assert labels[0] == "A001" and labels[-1] == "A030"
    assert wait_until(lambda: hall.sync is not None and hall.sync.status().waiting == 0, 30)
    hall.close()

    shutil.rmtree(data)  # the disk is replaced: nothing local is left, not even the number mark
    hall, queue = hall_with_office(hall_config, data, office.url, token)
    try:
        assert wait_until(lambda: hall.sync is not None and not hall.sync.numbers_pending, 30)
        assert issue(queue, 2) == ["A031", "A032"]  # residents hold A001–A030
        assert wait_until(lambda: hall.sync.status().waiting == 0, 30)
    finally:
        hall.close()

    # the office answers a hall about its own tickets only, and only to a hall
    other = office.add_hall("和平社区工作站", "heping")
    day = queue.service_day().isoformat()
    ask = f"{office.url}/api/v1/tickets/high-water"
    own = requests.get(ask, params={"day": day}, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert own.status_code == 200 and own.json()["numbers"] == {"A": 32} and own.json()["hall"] == "xingfu"
    theirs = requests.get(ask, params={"day": day}, headers={"Authorization": f"Bearer {other}"}, timeout=10)
    assert theirs.status_code == 200 and theirs.json()["numbers"] == {}
    admin = requests.get(ask, headers={"Authorization": f"Bearer {office.admin_token}"}, timeout=10)
    assert admin.status_code == 403
    assert requests.get(ask, timeout=10).status_code == 401
    bad = requests.get(ask, params={"day": "2026-13-45"}, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert bad.status_code == 422 and "day" in bad.json()["detail"]["message"]


class Gate(Relay):
    """The office behind a switch: connections are reset until `up` is set."""

    def __init__(self, upstream_port: int):
        self.up = False
        super().__init__(upstream_port)

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            request = read_request(conn) if self.up else None
            if request is not None:
                conn.sendall(self._forward(request))


def test_a_rebuilt_cache_says_when_the_office_cannot_be_asked(office, hall_config, tmp_path):
    token = office.add_hall("幸福社区工作站", "xingfu")
    gate = Gate(int(office.url.rsplit(":", 1)[1]))
    gate.up = True
    data = tmp_path / "hall"
    hall, queue = hall_with_office(hall_config, data, gate.url, token)
    assert issue(queue, 25)[-1] == "A025"
    assert wait_until(lambda: hall.sync is not None and hall.sync.status().waiting == 0, 30)
    hall.close()
    cache = hall.config.cache_path()
    os.truncate(cache, 0)  # the cache is lost; the number mark beside it is lost too
    cache.with_name(cache.name + ".numbers").unlink()
    for backup in (data / "backups").glob("*"):
        backup.unlink()

    gate.up = False  # and the office cannot be reached
    hall, queue = hall_with_office(hall_config, data, gate.url, token)
    try:
        assert hall.cache.recovery is not None
        assert wait_until(lambda: "街道办暂不可达" in hall.cache_note, 30), hall.cache_note
        check = subprocess.run([sys.executable, "-m", "kiosk.cli", "db", "check", "--data-dir", str(data)],
                               cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert "office's ticket numbers: 街道办不可达" in check.stdout, check.stdout + check.stderr

        gate.up = True  # the office is back: the worker asks it, and numbering follows
        hall.sync.wake()
        assert wait_until(lambda: not hall.sync.numbers_pending, 30)
        assert wait_until(lambda: "街道办暂不可达" not in hall.cache_note, 10), hall.cache_note
        assert issue(queue, 1) == ["A026"]
        report = hall.cache.recovery_report()
        assert "A025" in report.office and "numbering follows them" in report.office
    finally:
        hall.close()
        gate.close()
