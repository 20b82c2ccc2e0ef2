"""The `yizhan` command. Each subcommand lives in its own module with a `register` function."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import time

STARTED = time.perf_counter()  # start-up times are logged from here (the interpreter's own start is before)

# Each subcommand and the module whose `register(subparsers)` adds it. Only the module of the
# command being run is imported: `yizhan hall` must not wait for the office server's or the
# LED tools' imports before the kiosk paints (tests/kiosk/test_cli.py checks this map).
COMMANDS = {
    "hall": "kiosk.commands.hall",
    "check-config": "kiosk.commands.check_config",
    "db": "kiosk.commands.db",
    "content": "kiosk.commands.content",
    "office": "sync.office.cli",
    "staff": "kiosk.commands.staff",
    "audit": "kiosk.commands.audit",
    "counter": "kiosk.commands.counter",
    "rating": "kiosk.commands.rating",
    "led-sim": "display.cli",
    "led-send": "display.cli",
    "doctor": "kiosk.commands.doctor",
}
COMMAND_MODULES = list(dict.fromkeys(COMMANDS.values()))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or with `command` only that command's module (help still lists all)."""
    parser = argparse.ArgumentParser(
        prog="yizhan",
        description="一站 Yizhan: community service hall kiosk, counter console, LED board and office sync.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = [COMMANDS[command]] if command in COMMANDS else COMMAND_MODULES
    for name in modules:
        importlib.import_module(name).register(subparsers)
    return parser


def _command_in(argv: list[str]) -> str | None:
    """The subcommand named in argv (first word that is not an option), if any."""
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(_command_in(argv))
    args = parser.parse_args(argv)
    # This module's own start time: under `python -m kiosk.cli` an `import kiosk.cli` elsewhere
    # would load a second copy of the module, with a later STARTED.
    args.started = STARTED
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:  # Alembic announces every plugin at INFO; only its problems matter here
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
