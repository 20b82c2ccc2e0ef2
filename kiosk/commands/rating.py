"""`yizhan rating --hall URL --window N`: the counter's rating pad (评价器) on a second screen or
tablet, talking to the hall PC's LAN API with the hall's LAN token (as `yizhan counter` does)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "rating", help="run a counter's rating pad against the hall PC",
        description="Run the rating pad (评价器) of one window: after 办结 at that window the resident rates "
        "the service (好差评). Uses the hall's [lan] token, like `yizhan counter`.",
    )
    p.add_argument("--hall", required=True, metavar="URL", help="the hall PC's LAN API, e.g. http://192.168.1.10:8731")
    p.add_argument("--window", required=True, type=int, metavar="N", help="the window this pad stands at")
    p.add_argument("--token", default=os.environ.get("YIZHAN_HALL_TOKEN", ""),
                   help="the hall LAN token (default: $YIZHAN_HALL_TOKEN)")
    p.add_argument("--token-file", type=Path, help="read the token from this file instead")
    p.add_argument("--fullscreen", action="store_true", help="fill the screen (a tablet or second monitor)")
    p.add_argument("--offscreen", action="store_true", help="render without a screen (Qt offscreen)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kiosk.commands.common import hall_url_and_token

    found = hall_url_and_token(args)
    if found is None:
        return 2
    url, token = found
    if not 1 <= args.window <= 999:
        print(f"--window: must be a window number (1 to 999), got {args.window}", file=sys.stderr)
        return 2
    if args.offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"

    from PySide6.QtWidgets import QApplication

    from kiosk.config import UI_FONT
    from kiosk.lan.rating_client import RemoteRatingClient
    from kiosk.ui.fonts import install_ui_font
    from kiosk.ui.gui_gc import collect_on_gui_thread
    from kiosk.ui.rating.pad import RatingPad

    app = QApplication.instance() or QApplication(sys.argv)
    collect_on_gui_thread(app)
    install_ui_font(app, UI_FONT)
    pad = RatingPad(RemoteRatingClient(url, token, args.window), args.window)
    pad.resize(600, 900)
    if args.fullscreen:
        pad.showFullScreen()
    else:
        pad.show()
    return app.exec()
