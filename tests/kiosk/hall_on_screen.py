"""Runs the real hall app (kiosk.app.run_hall) on the X display in $DISPLAY and plays one staff
or resident scenario in it with real X pointer events (xdotool: a touch frame that presents
itself as a mouse), then writes what it saw as JSON. Used by test_hall_on_screen.py.

    python -m tests.kiosk.hall_on_screen SCENARIO CONFIG DATA_DIR OUT_JSON  (from the project root)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget


def tap(widget: QWidget) -> None:
    """A real click where the widget is on screen, through the X server."""
    p = widget.mapToGlobal(widget.rect().center())
    subprocess.run(["xdotool", "mousemove", str(p.x()), str(p.y()), "click", "1"], check=True)


def top_window_at(x: int, y: int) -> int:
    out = subprocess.run(["xdotool", "mousemove", str(x), str(y), "getmouselocation", "--shell"],
                         capture_output=True, text=True, check=True).stdout
    return int(out.split("WINDOW=")[1].split()[0])


def kiosk_window(app: QApplication):  # type: ignore[no-untyped-def]
    from kiosk.ui.resident.window import KioskWindow

    return next((w for w in app.topLevelWidgets() if isinstance(w, KioskWindow)), None)


def staff_number(kiosk, name: str) -> str:  # type: ignore[no-untyped-def]
    return str(next(s.number for s in kiosk.auth().list_staff() if s.name == name))


def sign_in(kiosk, number: str, pin: str) -> Iterator[int]:  # type: ignore[no-untyped-def]
    for _ in range(5):
        tap(kiosk.hall_label)
        yield 50
    yield 300
    staff = kiosk.staff
    tap(staff.buttons["number"])
    for d in number:
        tap(staff.buttons[f"digit-{d}"])
        yield 30
    tap(staff.buttons["pin"])
    for d in pin:
        tap(staff.buttons[f"digit-{d}"])
        yield 30
    tap(staff.buttons["ok"])
    yield 500


def editor(app: QApplication, kiosk, seen: dict) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """The station head opens the editor from the kiosk, then closes it."""
    yield from sign_in(kiosk, staff_number(kiosk, "王建国"), "3333")
    tap(kiosk.staff.buttons["editor"])
    yield 1500
    seen["editor_visible"] = kiosk.editor_window is not None and kiosk.editor_window.isVisible()
    seen["locked_while_editing"] = kiosk.lockdown.active
    tap(kiosk.editor_window.findChild(QWidget, "btn_close"))
    yield 1000
    seen["locked_after"] = kiosk.lockdown.active
    seen["close_refused"] = not kiosk.close()
    centre = kiosk.screen().geometry().center()
    seen["top_at_center"] = window_name(top_window_at(centre.x(), centre.y()))
    seen["top_at_hall_name"] = window_name(top_window_at(*_centre(kiosk.hall_label)))
    seen["kiosk_title"] = kiosk.windowTitle()
    seen["fullscreen"] = kiosk.isFullScreen()


def window_name(wid: int) -> str:
    return subprocess.run(["xdotool", "getwindowname", str(wid)], capture_output=True, text=True).stdout.strip()


def pin_storm(app: QApplication, kiosk, seen: dict) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """A resident types wrong PINs for 李文's number at the kiosk; then 李文 signs in at a counter."""
    from kiosk.lan.client import RemoteCounterClient

    yield from sign_in(kiosk, staff_number(kiosk, "李文"), "0000")
    staff = kiosk.staff
    for _ in range(9):
        for d in "9999":
            tap(staff.buttons[f"digit-{d}"])
            yield 20
        tap(staff.buttons["ok"])
        yield 300
    seen["kiosk_error"] = staff.error_label.text()
    seen["kiosk_session"] = staff.session is not None
    client = RemoteCounterClient(LAN["url"], LAN["token"], timeout=10)
    seen["counter_login"] = client.login("李文", "1111").name


def _centre(widget: QWidget) -> tuple[int, int]:
    p = widget.mapToGlobal(widget.rect().center())
    return p.x(), p.y()


def drag(app: QApplication, kiosk, seen: dict) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """A touch frame that presents itself as a mouse: press, move up, release on a long guide."""
    from PySide6.QtWidgets import QScrollArea

    kiosk.set_large_text(True)
    guide = next(g for c in kiosk.catalog.categories() for g in kiosk.catalog.guides_in(c.code))
    kiosk.go("guide", uid=guide.uid)
    yield 500
    area = next(a for a in kiosk.screens["guide"].findChildren(QScrollArea, "guide-scroll") if a.isVisible())
    bar = area.verticalScrollBar()
    seen["maximum"] = bar.maximum()
    x, y = _centre(area.viewport())
    subprocess.run(["xdotool", "mousemove", str(x), str(y), "mousedown", "1"], check=True)
    for step in range(1, 13):
        yield 30
        subprocess.run(["xdotool", "mousemove", str(x), str(y - 25 * step)], check=True)
    yield 30
    subprocess.run(["xdotool", "mouseup", "1"], check=True)
    yield 1500
    seen["value"] = bar.value()
    seen["bar_width"] = bar.width()


LAN: dict[str, str] = {}  # the hall LAN API of the config under test
SCENARIOS = {"editor": editor, "pin_storm": pin_storm, "drag": drag}


def main() -> int:
    scenario, config, data_dir, out = sys.argv[1:5]
    app = QApplication(sys.argv[:1])
    from kiosk.app import run_hall
    from kiosk.config import load_config

    lan = load_config(Path(config)).lan
    LAN.update(url=f"http://127.0.0.1:{lan.port}", token=lan.token)
    seen: dict = {}
    steps: list[Iterator[int]] = []

    def step() -> None:
        try:
            if not steps:
                kiosk = kiosk_window(app)
                if kiosk is None or kiosk.hall is None or not kiosk.lockdown.active:
                    QTimer.singleShot(200, step)
                    return
                steps.append(SCENARIOS[scenario](app, kiosk, seen))
                QTimer.singleShot(1000, step)
                return
            QTimer.singleShot(next(steps[0]), step)
        except StopIteration:
            finish()
        except Exception:
            seen["error"] = traceback.format_exc()
            finish()

    def finish() -> None:
        Path(out).write_text(json.dumps(seen, ensure_ascii=False), encoding="utf-8")
        app.exit(0)

    QTimer.singleShot(0, step)
    args = argparse.Namespace(config=config, data_dir=data_dir, offscreen=False, screenshots=None,
                              exit_when_ready=False, started=None)
    return run_hall(args)


if __name__ == "__main__":
    sys.exit(main())
