"""`yizhan counter --hall URL --window N`: a counter console on a clerk's own PC, talking to the
hall PC's LAN API (the hall app prints its URL and keeps the token in its data directory)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


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
    from kiosk.config import check_http_url

    try:
        url = check_http_url(args.hall, allow_empty=False)
    except ValueError as exc:
        print(f"--hall: {exc}", file=sys.stderr)
        return 2
    token = args.token
    if args.token_file is not None:
        try:
            token = args.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            print(f"--token-file: cannot read {args.token_file}: {exc.strerror}", file=sys.stderr)
            return 2
    if not token:
        print("no hall token: give --token, --token-file or $YIZHAN_HALL_TOKEN", file=sys.stderr)
        return 2
    if args.window < 1:
        print(f"--window: must be a window number (1 or more), got {args.window}", file=sys.stderr)
        return 2
    if args.offscreen or args.screenshot:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from kiosk.config import UI_FONT
    from kiosk.lan.client import HallUnreachable, LoginError, RemoteCounterClient
    from kiosk.ui.counter.console import CounterConsole
    from kiosk.ui.fonts import install_ui_font

    app = QApplication.instance() or QApplication(sys.argv)
    from kiosk.ui.gui_gc import collect_on_gui_thread

    collect_on_gui_thread(app)  # worker threads must never free Qt objects
    install_ui_font(app, UI_FONT)
    client = RemoteCounterClient(url, token)
    tz = None  # the hall's, for its local times; if the hall is down now, the console asks it later
    try:
        from zoneinfo import ZoneInfo

        tz = ZoneInfo(client.ping().get("timezone") or "Asia/Shanghai")
        if args.window not in [w.number for w in client.windows()]:
            print(f"--window: the hall has no window {args.window}", file=sys.stderr)
            return 2
    except HallUnreachable as exc:
        print(f"{exc}; the console will keep trying", file=sys.stderr)
    except LoginError as exc:
        print(f"{exc}", file=sys.stderr)
        return 2
    # From here on every call to the hall runs off the GUI thread (the console's worker).
    console = CounterConsole(client, args.window, tz=tz)
    console.resize(1280, 800)
    console.show()
    if args.screenshot is not None:
        def capture() -> None:
            ok = console.grab().save(str(args.screenshot))
            app.exit(0 if ok else 1)

        QTimer.singleShot(1500, capture)
    return app.exec()
