"""The ticket printer: real ESC/POS bytes through python-escpos's dummy, file, serial (pty) and
network (loopback socket) connections, decoded back by the virtual printer."""

from __future__ import annotations

import os
import pty
import socket
import threading
import tty
from datetime import UTC, datetime

import pytest

from kiosk.config import HallConfig
from kiosk.services.escpos_preview import EscPosError, decode, paper_png
from kiosk.services.links import ticket_url
from kiosk.services.printer import TicketPrinter, decode_status, issue_and_print, qr_bytes
from kiosk.services.queue_views import IssuedTicket
from tests.kiosk.services.queue_world import make_queue, seed_hall

UID = "3f2a9c1e-8b7d-4e0a-9f1c-2d5e6a7b8c9d"


def ticket(**kw):
    base = dict(uid=UID, label="A023", business_code="labor", business_name="劳动保障业务", priority=False,
                people_ahead=5, estimated_wait_minutes=15, issued_at=datetime(2026, 11, 25, 1, 32, tzinfo=UTC))
    base.update(kw)
    return IssuedTicket(**base)


def printer(tmp_path, **section):
    config = HallConfig()
    config.hall.data_dir = tmp_path
    for k, v in {"connection": "dummy", **section}.items():
        setattr(config.printer, k, v)
    return TicketPrinter(config, url_for=lambda uid: ticket_url("http://office.example", uid))


def test_ticket_bytes_carry_header_number_business_ahead_time_and_qr(tmp_path):
    p = printer(tmp_path, header="幸福社区工作站", subheader="示例区 示例街道")
    result = p.print_ticket(ticket())
    assert result.printed and result.message == "请取走您的号票"
    data = p.last_bytes
    assert data.startswith(b"\x1b@\x1c&")  # init, Chinese mode
    assert "幸福社区工作站".encode("gb18030") in data
    assert b"\x1d!\x44A023\n" in data  # the number at 5x size
    assert b"\x1dVB\x00" in data  # cut
    assert qr_bytes(f"http://office.example/t/{UID}", 6) in data
    printed = decode(data)
    assert printed.lines[:2] == ["幸福社区工作站", "示例区 示例街道"]
    assert "劳动保障业务" in printed.lines and "A023" in printed.lines
    assert "前面还有 5 人等候，预计约 15 分钟" in printed.lines
    assert "取号时间 2026-11-25 09:32" in printed.lines  # hall time, not UTC
    assert printed.qr == [f"http://office.example/t/{UID}"] and printed.cuts == 1


def test_priority_and_nobody_ahead(tmp_path):
    p = printer(tmp_path, qr=False, footer="")
    p.print_ticket(ticket(priority=True, people_ahead=0, estimated_wait_minutes=0))
    printed = decode(p.last_bytes)
    assert "优先" in printed.lines and "前面没有人等候，请留意叫号" in printed.lines
    assert printed.qr == []


def test_raster_mode_prints_the_same_ticket_as_a_bitmap(tmp_path):
    text_p = printer(tmp_path)
    raster_p = printer(tmp_path, render="raster")
    text_p.print_ticket(ticket())
    raster_p.print_ticket(ticket())
    assert b"\x1dv0" in raster_p.last_bytes and b"A023" not in raster_p.last_bytes
    a = decode(text_p.last_bytes).image.convert("1", dither=0)
    b = decode(raster_p.last_bytes).image
    assert a.size[0] == b.size[0]
    # same paper, dot for dot (the raster ends with the same feed + cut)
    assert a.crop((0, 0, a.width, min(a.height, b.height))).tobytes() == \
        b.convert("1").crop((0, 0, a.width, min(a.height, b.height))).tobytes()


def test_file_printer_gets_the_bytes(tmp_path):
    out = tmp_path / "lp0"
    p = printer(tmp_path, connection="file", device=str(out))
    assert p.print_ticket(ticket()).printed
    assert out.read_bytes() == p.last_bytes
    assert p.status().state == "unknown"  # a file cannot answer status queries


def test_missing_printer_never_raises(tmp_path):
    p = printer(tmp_path, connection="serial", device=str(tmp_path / "ttyUSB9"))
    result = p.print_ticket(ticket())
    assert not result.printed
    assert result.status.state == "missing" and result.status.alarm
    assert result.message == "找不到打印机，请检查连接。请记下您的号码 A023"


def test_no_printer_configured(tmp_path):
    p = printer(tmp_path, connection="none")
    result = p.print_ticket(ticket())
    assert not result.printed and result.message == "请记下您的号码 A023"
    assert p.status().state == "disabled" and not p.status().alarm


class FakeSerialPrinter:
    """A printer on the other end of a pseudo-terminal: answers DLE EOT, keeps what it got."""

    def __init__(self, offline_cause: int = 0x12, paper: int = 0x12):
        self.master, slave = pty.openpty()
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        self._slave = slave
        self.answers = {2: offline_cause, 4: paper}
        self.received = bytearray()
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        import select

        pending = bytearray()
        while not self._stop:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            self.received += chunk
            pending += chunk
            while (i := pending.find(b"\x10\x04")) >= 0 and len(pending) >= i + 3:
                n = pending[i + 2]
                os.write(self.master, bytes([self.answers.get(n, 0x12)]))
                del pending[: i + 3]

    def close(self):
        self._stop = True
        self.thread.join(1)
        os.close(self.master)
        os.close(self._slave)


@pytest.mark.parametrize("cause,paper,state,prints", [
    (0x12, 0x12, "ok", True),
    (0x12, 0x1E, "paper_low", True),
    (0x32, 0x72, "paper_out", False),
    (0x16, 0x12, "cover_open", False),
])
def test_serial_printer_status(tmp_path, cause, paper, state, prints):
    fake = FakeSerialPrinter(cause, paper)
    try:
        p = printer(tmp_path, connection="serial", device=fake.path, timeout_s=1.0)
        assert p.refresh_status().state == state
        result = p.print_ticket(ticket())
        assert result.printed is prints and result.status.state == state
        if prints:
            import time

            for _ in range(50):
                if p.last_bytes in bytes(fake.received):
                    break
                time.sleep(0.02)
            assert p.last_bytes in bytes(fake.received)
        else:
            assert "A023" in result.message and result.status.message in result.message
    finally:
        fake.close()


def test_network_printer_offline_and_online(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.close()  # nobody listens now
    p = printer(tmp_path, connection="network", device=f"127.0.0.1:{port}", timeout_s=0.5)
    assert p.print_ticket(ticket()).status.state == "missing"

    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(1)
    got = bytearray()

    def serve():
        conn, _ = server.accept()
        conn.settimeout(2)
        while True:
            try:
                chunk = conn.recv(4096)
            except OSError:
                break
            if not chunk:
                break
            got.extend(chunk)
            if chunk.count(b"\x10\x04"):
                conn.sendall(b"\x12" * chunk.count(b"\x10\x04"))
        conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    result = p.print_ticket(ticket())
    t.join(3)
    server.close()
    assert result.printed and result.status.state == "ok"
    assert p.last_bytes in bytes(got)


def test_status_change_is_published(tmp_path):
    from kiosk.services.events import EventBus, PrinterStatusChanged

    bus = EventBus()
    seen = []
    bus.subscribe(PrinterStatusChanged, lambda e: seen.append(e.status.state))
    p = printer(tmp_path, connection="serial", device=str(tmp_path / "nope"))
    p.events = bus
    p.print_ticket(ticket())
    p.print_ticket(ticket())
    assert seen == ["missing"]


def test_ticket_issued_exactly_once_when_the_printer_is_out(tmp_path, cache):
    seed_hall(cache)
    q, _ = make_queue(cache)
    p = printer(tmp_path, connection="serial", device=str(tmp_path / "ttyUSB0"))
    issued, result = issue_and_print(q, p, "labor")
    assert issued.label == "A001" and not result.printed
    assert q.ticket("A001").state == "waiting"
    assert q.issue_ticket("labor").label == "A002"  # the failed print used no number
    # staff reprint once the printer is back
    p.section.connection = "dummy"
    again = p.reprint(q, "A001")
    assert again.printed
    printed = decode(p.last_bytes)
    assert "A001" in printed.lines and "（补打）" in printed.lines


def test_decode_status_bits():
    assert decode_status(None, None) == "unknown"
    assert decode_status(0x12, None) == "ok"
    assert decode_status(None, 0x1E) == "paper_low"
    assert decode_status(0x52, 0x12) == "error"


def test_virtual_printer_names_bad_bytes():
    with pytest.raises(EscPosError, match="unknown command ESC b'Z' at byte 0"):
        decode(b"\x1bZ")
    with pytest.raises(EscPosError, match="cut short"):
        decode(b"\x1dv0\x00\x10\x00\x10")


def test_png_of_a_printed_ticket(tmp_path):
    p = printer(tmp_path)
    p.print_ticket(ticket())
    out = paper_png(p.last_bytes, tmp_path / "t.png")
    from PIL import Image

    img = Image.open(out)
    assert img.width == 576 + 48 and img.height > 600
