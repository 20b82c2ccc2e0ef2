"""`yizhan doctor`: one command a technician runs on site; exit 0 only when all needed is fine."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

INSTALLED_CONFIG = Path("/etc/yizhan/hall.toml")  # the Debian package's config


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "doctor", help="check this hall PC: screen, touch, fonts, board, printer, audio, office, disk",
        description="Check everything the hall needs, in Chinese and English. Exit 0 only when nothing "
        f"needed fails. Without --config it checks {INSTALLED_CONFIG} if present, else the built-in defaults. "
        "It plays the chime and, on a BX board, shows a short self-test message.",
    )
    p.add_argument("--config", type=Path, help=f"hall config TOML (default: {INSTALLED_CONFIG} if present)")
    p.add_argument("--data-dir", type=Path, help="where the cache lives (overrides the config)")
    p.add_argument("--no-touch", action="store_true", help="this PC has no touch screen (e.g. a counter PC)")
    p.add_argument("--timeout", type=float, default=3.0, metavar="S",
                   help="wait this long for the board, the printer and the office (default 3)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kiosk.commands.common import hall_config
    from kiosk.doctor import LABELS, Options, run_checks

    started = time.perf_counter()
    if args.config is None and INSTALLED_CONFIG.is_file():
        args.config = INSTALLED_CONFIG
    print(f"一站 Yizhan 设备自检 doctor: {args.config or 'built-in defaults'}")
    try:
        config = hall_config(args)  # prints the problems of a bad config
    except SystemExit:
        print(f"[{LABELS['fail']}] 配置 config: {args.config} is not valid (see above); nothing else checked")
        return 1
    print(f"[{LABELS['ok']}] 配置 config: valid")
    findings = run_checks(config, Options(need_touch=not args.no_touch, timeout_s=args.timeout))
    for finding in findings:
        print(finding.line(), flush=True)
    failed = [f for f in findings if f.state == "fail"]
    warned = [f for f in findings if f.state == "warn"]
    took = time.perf_counter() - started
    if failed:
        print(f"结果 result: {len(failed)} 项故障 problem(s): {', '.join(f.en for f in failed)}; "
              f"大厅不能正常服务 the hall is not ready ({took:.1f} s)")
        return 1
    print(f"结果 result: 一切正常 all needed is fine{f', {len(warned)} 项注意 warning(s)' if warned else ''} "
          f"({took:.1f} s)")
    return 0
