"""The `yizhan` command. Each subcommand lives in its own module with a `register` function."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

# Modules providing `register(subparsers)`; each adds one or more subcommands.
COMMAND_MODULES = [
    "kiosk.commands.hall",
    "kiosk.commands.check_config",
    "kiosk.commands.db",
    "kiosk.commands.content",
    "sync.office.cli",
    "kiosk.commands.staff",
    "kiosk.commands.audit",
    "kiosk.commands.counter",
    "display.cli",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yizhan",
        description="一站 Yizhan: community service hall kiosk, counter console, LED board and office sync.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real missing dependency, not a command still being built
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
