"""`yizhan check-config FILE`: validate a hall or office config and name every problem."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

from kiosk.config import ConfigError, HallConfig, load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "check-config",
        help="validate a config file",
        description="Check a hall or office config TOML. Exits 0 if it is good; otherwise prints "
        "every problem with its key path and line, and exits 1.",
    )
    p.add_argument("file", type=Path)
    p.add_argument("--kind", choices=["auto", "hall", "office"], default="auto",
                   help="which kind of config (default: guess from its tables)")
    p.set_defaults(run=run)


def config_model(path: Path, kind: str) -> type:
    if kind == "auto":
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            data = {}  # load_config reports it properly
        kind = "office" if "server" in data else "hall"
    if kind == "office":
        from sync.office.config import OfficeConfig

        return OfficeConfig
    return HallConfig


def run(args: argparse.Namespace) -> int:
    model = config_model(args.file, args.kind)
    try:
        config = load_config(args.file, model)
    except ConfigError as exc:
        print(f"{exc.path}: {len(exc.problems)} problem(s)")
        for problem in exc.problems:
            print(f"  {problem}")
        return 1
    for warning in config.board.gb2312_problems() if model is HallConfig else []:
        print(f"  warning: {warning}")
    print(f"{args.file}: OK ({'office' if model is not HallConfig else 'hall'} config)")
    if model is HallConfig:
        from kiosk.services.links import loopback_warning, office_public_url

        warning = loopback_warning(office_public_url(config))
        if warning:
            print(f"  警告 warning: {warning}")
    return 0
