"""`yizhan led-send` and `yizhan led-sim` through the real command line entry point."""

import re
import subprocess
import sys
import time

import pytest

from display.config import BoardConfig
from display.render import fit_text
from display.simulator import Faults, TcpTransport, VirtualBoard
from kiosk.cli import main


@pytest.fixture
def sim():
    made = []

    def make(protocol, **kw):
        board = VirtualBoard(BoardConfig(protocol=protocol), **kw)
        transport = TcpTransport(board).start()
        made.append(transport)
        return board, transport

    yield make
    for t in made:
        t.close()


@pytest.mark.parametrize("protocol", ["alpha", "bx"])
def test_led_send_dumps_frames_and_the_board_shows_the_text(sim, capsys, protocol):
    board, transport = sim(protocol)
    rc = main(["led-send", transport.url, "--protocol", protocol, "--text", "请 A001 到 1号窗口", "--dump"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "确认 ACK" in out and "-> frame 1/" in out
    assert re.search(r"^    (A5 ){8}" if protocol == "bx" else r"^    (00 ){5}01 5A 30 30 02", out, re.M)
    area = board.config.areas[0]
    want = fit_text("请 A001 到 1号窗口", area.font_px, area.width, area.height, area.align, "cut")
    assert board.face().crop(area.x, area.y, area.width, area.height) == want


def test_led_send_reports_a_silent_board(sim, capsys):
    _, transport = sim("bx", faults=Faults(drop_acks=1.0))
    rc = main(["led-send", transport.url, "--protocol", "bx", "--text", "x", "--timeout", "0.3"])
    assert rc == 1 and "无应答 no answer" in capsys.readouterr().out


def test_led_send_names_a_bad_area_and_a_bad_port(capsys):
    assert main(["led-send", "loop://", "--protocol", "bx", "--text", "x", "--area", "nope"]) == 2
    assert "no board area 'nope'" in capsys.readouterr().err
    assert main(["led-send", "socket://127.0.0.1:9", "--protocol", "bx", "--text", "x"]) == 1
    assert "cannot open socket://127.0.0.1:9" in capsys.readouterr().err


def test_led_sim_on_a_pty_with_png_frames(tmp_path):
    link = tmp_path / "board"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "led-sim", "--pty", "--pty-link", str(link), "--protocol", "bx",
         "--png-dir", str(tmp_path / "png"), "--duration", "20"],
        stdout=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert "on pty" in first and str(link) in first
        deadline = time.monotonic() + 10
        while not link.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert main(["led-send", str(link), "--protocol", "bx", "--text", "测试"]) == 0
        assert (tmp_path / "png" / "latest.png").exists()
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("protocol", ["alpha", "bx"])
def test_led_send_on_a_line_nobody_drains_ends_with_no_answer(protocol):
    # loop:// echoes into a 4 KB buffer that only our reads empty: led-send must read between
    # chunks (and have a write timeout) instead of blocking forever on a full line.
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "led-send", "loop://", "--protocol", protocol, "--text", "hi",
         "--timeout", "0.5"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "无应答 no answer within 0.5 s" in proc.stdout
    assert "sent " in proc.stdout and "Traceback" not in proc.stderr
