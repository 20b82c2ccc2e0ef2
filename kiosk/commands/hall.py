"""`yizhan hall`: the hall app (kiosk, counter consoles, board) on the embedded default."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.commands.common import add_hall_options


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "hall", help="run the hall app",
        description="Run the hall app. With no --config it runs on built-in defaults: an SQLite cache "
        "in the per-user data directory, the bundled sample content, a virtual LED board and an "
        "office server on loopback.",
    )
    add_hall_options(p)
    p.add_argument("--offscreen", action="store_true", help="render without a screen (Qt offscreen)")
    p.add_argument("--screenshots", type=Path, metavar="DIR",
                   help="save a PNG of each screen into DIR, then exit")
    p.add_argument("--exit-when-ready", action="store_true",
                   help="start everything, log the start-up times, then exit (checks an installation)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import atexit
    import gc
    import logging
    import os
    import sys

    # The hall app collects garbage on its GUI thread only (kiosk/ui/gui_gc.py); off from here on,
    # the start-up's many short-lived objects cost no collections before the home is painted.
    gc.disable()

    from kiosk.app import run_hall

    code = run_hall(args)
    # Everything is saved and every worker stopped by now. Leave without Python's finaliser:
    # it destroys the Qt windows in arbitrary order, and PySide6 can crash doing so.
    atexit._run_exitfuncs()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
