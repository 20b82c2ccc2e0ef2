"""`yizhan counter --hall URL --window N`: a counter console on a clerk's own PC, talking to the
hall PC's LAN API (the hall app prints its URL and keeps the token in its data directory)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "counter", help="run a counter console against the hall PC",
        description="Run the counter console (窗口叫号终端) for one window against the hall app's LAN API. "
        "The token is the hall's [lan] token, or the one in lan-token.txt in the hall's data directory.",
    )
    p.add_argument("--hall", required=True, metavar="URL", help="the hall PC's LAN API, e.g. http://192.168.1.10:8731")
    p.add_argument("--window", required=True, type=int, metavar="N", help="this counter's window number")
    p.add_argument("--token", default=os.environ.get("YIZHAN_HALL_TOKEN", ""),
                   help="the hall LAN token (default: $YIZHAN_HALL_TOKEN)")
    p.add_argument("--token-file", type=Path, help="read the token from this file instead")
    p.add_argument("--offscreen", action="store_true", help="render without a screen (Qt offscreen)")
    p.add_argument("--screenshot", type=Path, metavar="PNG", help="save the console as a PNG after it connected, then exit")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Checks what it can without the hall, then opens the console at once: the hall is asked
    only by the console's worker thread, so a hall that is down or hangs never delays the window.
    What the hall says at its first answer (its time zone, this window's name, or that it has no
    such window / refuses the token) shows in the window and is printed here."""
    import time

    from kiosk.commands.common import hall_url_and_token

    found = hall_url_and_token(args)
    if found is None:
        return 2
    url, token = found
    if args.window < 1:
        print(f"--window: must be a window number (1 or more), got {args.window}", file=sys.stderr)
        return 2
    if args.offscreen or args.screenshot:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"

    from PySide6.QtWidgets import QApplication

    from kiosk.config import UI_FONT
    from kiosk.lan.client import RemoteCounterClient
    from kiosk.ui.counter.console import CounterConsole
    from kiosk.ui.first_paint import after_first_paint
    from kiosk.ui.fonts import install_ui_font
    from kiosk.ui.gui_gc import collect_on_gui_thread

    opening = time.perf_counter()
    app = QApplication.instance() or QApplication(sys.argv)
    collect_on_gui_thread(app)  # worker threads must never free Qt objects
    install_ui_font(app, UI_FONT)
    client = RemoteCounterClient(url, token)
    # tz=None: the console learns the hall's zone (and this window's name) at the hall's first answer.
    console = CounterConsole(client, args.window, tz=None)
    console.resize(1280, 800)
    after_first_paint(console, lambda: log.info("counter console on screen %.2f s after opening (%.2f s after start)",
                                                time.perf_counter() - opening, time.perf_counter() - args.started))

    def checked(kind: str, message: str) -> None:
        if kind == "window":
            print(f"--window: the hall has no window {args.window}: {message}", file=sys.stderr)
        elif kind:
            print(message, file=sys.stderr)
        else:
            log.info("the hall %s answered: window %d %s", url, args.window, console.window_name)

    console.hall_checked.connect(checked)
    console.show()
    if args.screenshot is not None:
        _screenshot_when_checked(app, console, args.screenshot)
    code = app.exec()
    return 2 if code == 0 and console.problem else code  # e.g. closed while the hall had no such window


SCREENSHOT_WAIT_MS = 15_000  # --screenshot: how long to wait for the hall's first answer


def _screenshot_when_checked(app: Any, console: Any, path: Path) -> None:
    """Save the console once the hall answered (0; 2 if it refused the window or token), or after
    SCREENSHOT_WAIT_MS without an answer (1), then exit."""
    from PySide6.QtCore import QTimer

    def capture(code: int) -> None:
        if console.grab().save(str(path)):
            app.exit(code)
        else:
            print(f"--screenshot: cannot save {path}", file=sys.stderr)
            app.exit(1)

    def checked(kind: str, _message: str) -> None:
        console.hall_checked.disconnect(checked)
        timeout.stop()
        QTimer.singleShot(300, console, lambda: capture(2 if kind else 0))  # let the answer paint

    def no_answer() -> None:
        console.hall_checked.disconnect(checked)
        print(f"the hall did not answer within {SCREENSHOT_WAIT_MS // 1000} s", file=sys.stderr)
        capture(1)

    timeout = QTimer(console)
    timeout.setSingleShot(True)
    timeout.timeout.connect(no_answer)
    timeout.start(SCREENSHOT_WAIT_MS)
    console.hall_checked.connect(checked)

