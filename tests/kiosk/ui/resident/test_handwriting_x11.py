"""The handwriting pad on a real X server (Xvfb), written with real pointer input (xdotool):
press, drag and release reach the pad as they do from a touch screen, and a tap on a
candidate puts the character into the search."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]

CHILD = textwrap.dedent("""
    import subprocess, sys, tempfile, time
    from pathlib import Path
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from kiosk.config import HallConfig
    from kiosk.hall import Hall
    from kiosk.ui.fonts import install_ui_font
    from kiosk.ui.resident.window import KioskWindow

    config = HallConfig()
    config.hall.data_dir = Path(tempfile.mkdtemp())
    config.kiosk.fullscreen = False
    install_ui_font(app, config.ui_font())
    window = KioskWindow(Hall(config), lockdown=False, pinyin_process=False)
    window.resize(1920, 1080)
    window.move(0, 0)
    window.show()

    def settle(ms=300):
        end = time.monotonic() + ms / 1000
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def xdo(*args):
        subprocess.run(["xdotool", *map(str, args)], check=True)
        settle(30)

    settle(800)
    window.go("search")
    settle()
    panel = window.screens["search"].input
    panel.mode_buttons["handwriting"].click()
    settle()
    pad = panel.pad
    corner = pad.mapToGlobal(pad.rect().topLeft())
    scale = min(pad.width(), pad.height()) / 300
    ox = corner.x() + (pad.width() - 300 * scale) / 2
    oy = corner.y() + (pad.height() - 300 * scale) / 2
    for (x0, y0), (x1, y1) in [((40, 150), (260, 145)), ((150, 30), (152, 275))]:  # 十
        xdo("mousemove", int(ox + x0 * scale), int(oy + y0 * scale))
        xdo("mousedown", 1)
        for i in range(1, 21):
            t = i / 20
            xdo("mousemove", int(ox + (x0 + (x1 - x0) * t) * scale), int(oy + (y0 + (y1 - y0) * t) * scale))
        xdo("mouseup", 1)
    settle()
    print("strokes", len(pad.strokes), flush=True)
    print("candidates", "".join(panel.candidates.visible_texts()), flush=True)
    button = panel.candidates.buttons[panel.candidates.texts.index("十")]
    centre = button.mapToGlobal(button.rect().center())
    xdo("mousemove", centre.x(), centre.y())
    xdo("click", 1)
    settle()
    print("field", window.screens["search"].field.text(), "pad", len(pad.strokes), flush=True)
    window.shutdown()
""")


@pytest.fixture
def x_display():
    """A fresh Xvfb on a display number it picks itself (-displayfd): never one in use."""
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    assert number, "Xvfb did not start"
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)


def test_writing_on_the_pad_with_a_real_pointer(x_display):
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb", "QT_LOGGING_RULES": "qt.qpa.*=false"}
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=180)
    out = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert out["strokes"] == "2"  # press-drag-release made exactly two strokes
    assert len(out["candidates"]) >= 8 and "十" in out["candidates"][:8]
    assert out["field"] == "十 pad 0"  # the tap typed it and cleared the pad for the next one
