"""A real X server for the tests about windows: Xvfb on a display it picks itself (-displayfd),
and what the X server says about the windows on it (xwininfo, xdotool) — stacking, mapping and
the window under a point are what a person at the screen sees, which offscreen Qt cannot tell."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

TOOLS = ("Xvfb", "xdotool", "xwininfo")  # installed by tools/setup.sh --test


@dataclass
class XWindow:
    id: int
    name: str
    x: int
    y: int
    width: int
    height: int


class XScreen:
    def __init__(self, display: str):
        self.display = display
        self.env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}

    def run(self, *cmd: str) -> str:
        return subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=30, check=False).stdout

    def windows(self) -> list[XWindow]:
        """The root's mapped top-level windows with a title, topmost first."""
        out = self.run("xwininfo", "-root", "-children")
        found = []
        # e.g.  0x200007 "一站 · 幸福社区工作站": ("yizhan" "yizhan")  1920x1080+0+0  +0+0
        for m in re.finditer(r'^\s+(0x[0-9a-f]+) "(.*)": \(.*\)\s+(\d+)x(\d+)\+(-?\d+)\+(-?\d+)', out, re.M):
            wid = int(m.group(1), 16)
            if self.viewable(wid):
                found.append(XWindow(wid, m.group(2), int(m.group(5)), int(m.group(6)),
                                     int(m.group(3)), int(m.group(4))))
        return found

    def viewable(self, wid: int) -> bool:
        return "Map State: IsViewable" in self.run("xwininfo", "-id", str(wid))

    def find(self, title_part: str) -> XWindow | None:
        return next((w for w in self.windows() if title_part in w.name), None)

    def window_at(self, x: int, y: int) -> int:
        """The top-level window a tap at (x, y) lands on (moves the pointer there)."""
        out = self.run("xdotool", "mousemove", str(x), str(y), "getmouselocation", "--shell")
        return int(re.search(r"WINDOW=(\d+)", out).group(1))

    def wait_for(self, check: Callable[[], object], timeout_s: float = 60.0, what: str = "") -> object:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            result = check()
            if result:
                return result
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what or check}; windows: {self.windows()}")


@contextmanager
def xvfb(size: str = "1920x1080x24") -> Iterator[XScreen]:
    """Xvfb with no window manager (as a kiosk session that starts only `yizhan hall`)."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    assert not missing, f"{missing} missing: run `bash tools/setup.sh --test`"
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", size, "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        with os.fdopen(read) as f:
            number = f.readline().strip()
        assert number, "Xvfb did not start"
        yield XScreen(f":{number}")
    finally:
        proc.terminate()
        proc.wait(10)
