"""Options and helpers shared by the hall-side commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when used: pydantic would slow every command's start, `hall` above all
    from kiosk.config import HallConfig


def add_hall_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="hall config TOML (default: built-in defaults)")
    parser.add_argument("--data-dir", type=Path, help="where the cache lives (overrides the config)")


def hall_config(args: argparse.Namespace) -> HallConfig:
    """The config named on the command line, with --data-dir applied; exits on a bad file."""
    from kiosk.config import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"配置错误 config error in {exc.path}:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        raise SystemExit(2) from None
    if args.data_dir is not None:
        config.hall.data_dir = args.data_dir
    return config

