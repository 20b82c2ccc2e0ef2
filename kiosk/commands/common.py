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



def hall_url_and_token(args: argparse.Namespace) -> tuple[str, str] | None:
    """--hall and the LAN token (--token, --token-file or $YIZHAN_HALL_TOKEN) of a console or a
    rating pad on another PC; None (after saying what is wrong) when one of them is unusable."""
    from kiosk.config import check_http_url

    try:
        url = check_http_url(args.hall, allow_empty=False)
    except ValueError as exc:
        print(f"--hall: {exc}", file=sys.stderr)
        return None
    token = args.token
    if args.token_file is not None:
        try:
            token = args.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            print(f"--token-file: cannot read {args.token_file}: {exc.strerror}", file=sys.stderr)
            return None
    if not token:
        print("no hall token: give --token, --token-file or $YIZHAN_HALL_TOKEN", file=sys.stderr)
        return None
    return url, token
