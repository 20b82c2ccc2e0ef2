"""The embedded office's log stays bounded on a hall PC that runs for months."""

import socket

from kiosk.services.embedded_office import OFFICE_LOG_MAX_BYTES, EmbeddedOffice


def test_a_big_office_log_is_set_aside_at_start(tmp_path):
    old = tmp_path / "office.log"
    old.write_bytes(b"x" * (OFFICE_LOG_MAX_BYTES + 1))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    office = EmbeddedOffice(tmp_path, port=port)
    try:
        url, token = office.start()
        assert url and token
    finally:
        office.stop()
    assert (tmp_path / "office.log.1").stat().st_size == OFFICE_LOG_MAX_BYTES + 1
    assert old.stat().st_size < OFFICE_LOG_MAX_BYTES
