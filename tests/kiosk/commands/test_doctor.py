"""`yizhan doctor` as a technician runs it on site: on a real X server (Xvfb, 1920×1080), against
a virtual LED board on a TCP "serial line", a real office server on loopback, and the real
audio player writing to ALSA's null device. Exit 0 only when everything needed is fine."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[3]


def yizhan(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=180, env=env)


@pytest.fixture(scope="module")
def xvfb():
    """A real X server on a display number it picks itself (never one a neighbour uses)."""
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        display = f.readline().strip()
    assert display, "Xvfb did not start"
    yield f":{display}"
    proc.terminate()
    proc.wait(10)


def on_screen(display: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    return {**env, "DISPLAY": display}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """A real office server process with one hall; yields (url, that hall's token)."""
    folder = tmp_path_factory.mktemp("office")
    config = folder / "office.toml"
    config.write_text(f'[database]\ndata_dir = "{folder}"\n', encoding="utf-8")
    added = yizhan("office", "--config", str(config), "add-hall", "幸福社区工作站", "--code", "xingfu")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "office", "--config", str(config), "serve",
                             "--port", str(port)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/healthz", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield url, token
    proc.terminate()
    proc.wait(20)


@pytest.fixture
def board():
    """A virtual LED board controller on a TCP port; yields a function making one per protocol."""
    from display.config import BoardConfig
    from display.simulator import TcpTransport, VirtualBoard

    transports = []

    def make(protocol: str) -> tuple[str, VirtualBoard]:
        virtual = VirtualBoard(BoardConfig(protocol=protocol))
        transports.append(TcpTransport(virtual).start())
        return transports[-1].url, virtual

    yield make
    for t in transports:
        t.close()


def hall_toml(tmp_path: Path, *, office_url: str, token: str, board_url: str, protocol: str = "alpha",
              extra: str = "") -> Path:
    path = tmp_path / "hall.toml"
    path.write_text(f"""
[hall]
code = "xingfu"
data_dir = "{tmp_path / 'data'}"
[office]
url = "{office_url}"
token = "{token}"
[board]
protocol = "{protocol}"
port = "{board_url}"
[voice]
player = "aplay -q -D null"
{extra}""", encoding="utf-8")
    return path


def lines_by_topic(out: str) -> dict[str, str]:
    return {line.split("] ", 1)[1].split(":", 1)[0]: line for line in out.splitlines() if line.startswith("[")}


@pytest.mark.parametrize("protocol", ["alpha", "bx"])
def test_a_ready_hall_pc_exits_0(tmp_path, xvfb, office, board, protocol):
    board_url, virtual = board(protocol)
    url, token = office
    config = hall_toml(tmp_path, office_url=url, token=token, board_url=board_url, protocol=protocol)
    done = yizhan("doctor", "--config", str(config), "--no-touch", env=on_screen(xvfb))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = lines_by_topic(done.stdout)
    assert "[正常 ok] 显示屏 display: " in lines["显示屏 display"] and "1920×1080 (xcb)" in lines["显示屏 display"]
    assert "WenQuanYi Micro Hei" in lines["字体 fonts"] and "正常 ok" in lines["字体 fonts"]
    assert "answered" in lines["LED屏 LED board"] and "正常 ok" in lines["LED屏 LED board"]
    assert "played the chime with aplay -q -D null" in lines["声音 audio"]
    assert "token of hall xingfu" in lines["街道办 office"] and "clock" in lines["街道办 office"]
    assert "不需要 skip" in lines["打印机 printer"]
    assert "不需要 skip" in lines["触摸屏 touch"]
    assert "一切正常 all needed is fine" in done.stdout
    assert virtual.frames and not virtual.errors  # the board really was asked, in its own protocol


def test_each_problem_is_named_and_the_exit_code_says_not_ready(tmp_path, xvfb, office):
    url, _token = office
    silent = socket.socket()  # a "board" that takes the connection and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        config = hall_toml(tmp_path, office_url=url, token="not-a-real-token",
                           board_url=f"socket://127.0.0.1:{silent.getsockname()[1]}",
                           extra='[printer]\nconnection = "network"\ndevice = "127.0.0.1:1"\ntimeout_s = 1\n')
        done = yizhan("doctor", "--config", str(config), "--timeout", "1", env=on_screen(xvfb))
    finally:
        silent.close()
    assert done.returncode == 1, done.stdout
    lines = lines_by_topic(done.stdout)
    assert "故障 FAIL" in lines["触摸屏 touch"] and "no touch screen" in lines["触摸屏 touch"]
    assert "故障 FAIL" in lines["LED屏 LED board"] and "无应答 no answer" in lines["LED屏 LED board"]
    assert "故障 FAIL" in lines["街道办 office"] and "令牌无效" in lines["街道办 office"]
    assert "故障 FAIL" in lines["打印机 printer"]
    assert "[正常 ok] 显示屏 display" in lines["显示屏 display"]  # what works still says so
    assert "4 项故障 problem(s): touch, LED board, printer, office" in done.stdout


def test_no_screen_is_a_failure(tmp_path, office, board):
    board_url, _virtual = board("alpha")
    url, token = office
    config = hall_toml(tmp_path, office_url=url, token=token, board_url=board_url)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = yizhan("doctor", "--config", str(config), "--no-touch", env=env)
    assert done.returncode == 1
    assert "[故障 FAIL] 显示屏 display: no screen (Qt platform offscreen)" in done.stdout


def test_a_bad_config_is_reported_with_its_line(tmp_path):
    config = tmp_path / "hall.toml"
    config.write_text('[kiosk]\norientation = "sideways"\n', encoding="utf-8")
    done = yizhan("doctor", "--config", str(config))
    assert done.returncode == 1
    assert "line 2: kiosk.orientation" in done.stderr
    assert "is not valid (see above); nothing else checked" in done.stdout
