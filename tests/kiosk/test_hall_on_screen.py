"""The hall app on a real X server (Xvfb, no window manager: a kiosk session that starts only
`yizhan hall`), checked as the X server sees it: which windows are mapped, which one a tap at a
point lands on. Offscreen Qt cannot see stacking, so these run the real app in its own process."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.kiosk.xscreen import XScreen, xvfb

REPO = Path(__file__).resolve().parents[2]
KIOSK_TITLE = "一站 · 幸福社区工作站"
BOARD_TITLE = "LED 显示屏（虚拟）"


@pytest.fixture(scope="module")
def screen():
    with xvfb() as s:
        yield s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp_path: Path, extra: str = "") -> Path:
    """The defaults, with the LAN API on a free port and the office on one nobody listens on
    (the hall works offline; no embedded office process to wait for)."""
    config = tmp_path / "hall.toml"
    config.write_text(f'[office]\nurl = "http://127.0.0.1:{free_port()}"\ntoken = "t"\n\n'
                      f'[lan]\nport = {free_port()}\ntoken = "lan-test-token"\n\n{extra}', encoding="utf-8")
    return config


class Hall:
    """`yizhan hall` in its own process on the test's X display."""

    def __init__(self, screen: XScreen, data_dir: Path, config: Path | None = None):
        self.log = data_dir.parent / f"hall-{time.monotonic_ns()}.log"
        cmd = [sys.executable, "-m", "kiosk.cli", "hall", "--data-dir", str(data_dir)]
        if config is not None:
            cmd += ["--config", str(config)]
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(cmd, env=screen.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        self.screen = screen

    def wait_ready(self) -> None:
        def ready() -> bool:
            assert self.proc.poll() is None, self.log.read_text()
            return "hall app ready" in self.log.read_text()

        self.screen.wait_for(ready, 90, "the hall app")
        time.sleep(1.0)  # windows shown by the ready step map within a few event-loop turns

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def test_default_start_shows_the_board_window_and_keeps_the_kiosk_on_top(screen, tmp_path):
    """The embedded default, started twice (the second start paints from the snapshot)."""
    for start in (1, 2):
        hall = Hall(screen, tmp_path / "data")
        try:
            hall.wait_ready()
            board = screen.wait_for(lambda: screen.find(BOARD_TITLE), 20, "the LED board window")
            assert screen.viewable(board.id), f"start {start}"
            kiosk = screen.find(KIOSK_TITLE)
            assert kiosk is not None and (kiosk.width, kiosk.height) == (1920, 1080)
            assert screen.windows()[0].id == kiosk.id  # the kiosk owns the screen
            assert not [w for w in screen.windows() if "窗口 叫号" in w.name]  # no console over it
        finally:
            hall.stop()


def test_after_a_restart_with_consoles_the_kiosk_is_the_window_residents_touch(screen, tmp_path):
    config = write_config(tmp_path, "[counter]\nconsoles = [1, 2, 3, 4, 5]\n")
    for start in (1, 2):
        hall = Hall(screen, tmp_path / "data", config)
        try:
            hall.wait_ready()
            consoles = screen.wait_for(lambda: len([w for w in screen.windows() if "窗口 叫号" in w.name]) == 5
                                       and screen.windows(), 20, "five counter consoles")
            kiosk = next(w for w in consoles if w.name == KIOSK_TITLE)
            # under the hall name (the staff exit), the search bar and the middle of the screen
            for x, y in ((60, 40), (960, 140), (960, 540), (300, 700)):
                assert screen.window_at(x, y) == kiosk.id, f"start {start}: ({x}, {y})"
        finally:
            hall.stop()


def run_scenario(screen: XScreen, tmp_path: Path, scenario: str) -> dict:
    config = write_config(tmp_path)
    out = tmp_path / f"{scenario}.json"
    log = tmp_path / f"{scenario}.log"
    with open(log, "w") as f:
        proc = subprocess.run([sys.executable, "-m", "tests.kiosk.hall_on_screen", scenario, str(config),
                               str(tmp_path / "data"), str(out)], env={**screen.env, "PYTHONPATH": str(REPO)},
                              cwd=REPO, stdout=f, stderr=subprocess.STDOUT, timeout=300, check=False)
    assert out.exists(), f"exit {proc.returncode}: {log.read_text()[-3000:]}"
    seen = json.loads(out.read_text(encoding="utf-8"))
    assert "error" not in seen, seen["error"]
    return seen


def test_lockdown_is_back_after_the_editor_closes(screen, tmp_path):
    seen = run_scenario(screen, tmp_path, "editor")
    assert seen["editor_visible"] and not seen["locked_while_editing"]
    assert seen["locked_after"] and seen["close_refused"]
    assert seen["fullscreen"]
    assert seen["top_at_center"] == seen["top_at_hall_name"] == seen["kiosk_title"] == KIOSK_TITLE


def test_a_wrong_pin_storm_at_the_kiosk_does_not_lock_the_account_at_a_counter(screen, tmp_path):
    seen = run_scenario(screen, tmp_path, "pin_storm")
    assert not seen["kiosk_session"] and "秒后再试" in seen["kiosk_error"]  # the kiosk itself slows down
    assert seen["counter_login"] == "李文"  # through the hall LAN API, as a counter PC signs in




def test_a_touch_frame_that_presents_itself_as_a_mouse_drags_a_guide(screen, tmp_path):
    seen = run_scenario(screen, tmp_path, "drag")
    assert seen["maximum"] > 300 and seen["bar_width"] >= 72
    assert seen["value"] > 100  # the page moved with the finger
