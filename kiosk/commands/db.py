"""`yizhan db upgrade|check|backup`: look after the hall's local cache."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from kiosk.commands.common import add_hall_options, hall_config
from sync.cache.db import backup_database, check_integrity, current_revision, make_engine, open_cache


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("db", help="upgrade, check or back up the hall cache",
                              description="Maintain the hall's local SQLite cache.")
    sub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)

    up = sub.add_parser("upgrade", help="apply pending schema migrations (also done on every start)")
    add_hall_options(up)
    up.set_defaults(run=run_upgrade)

    check = sub.add_parser("check", help="run SQLite's integrity check and show the schema revision")
    add_hall_options(check)
    check.set_defaults(run=run_check)

    backup = sub.add_parser("backup", help="consistent copy of the cache, safe while the app runs")
    add_hall_options(backup)
    backup.add_argument("target", type=Path, nargs="?",
                        help="file to write (default: DATA_DIR/backups/hall-TIMESTAMP.sqlite3)")
    backup.set_defaults(run=run_backup)


def run_upgrade(args: argparse.Namespace) -> int:
    from sync.schema_guard import SchemaTooNew

    config = hall_config(args)
    try:
        cache = open_cache(config.cache_path())
    except SchemaTooNew as exc:  # a downgrade: nothing was changed
        print(f"错误 error: {exc}", file=sys.stderr)
        return 1
    print(f"{cache.path}: schema at revision {current_revision(cache.engine)}")
    if cache.recovery:
        print(f"the old file was damaged and kept at {cache.recovery.damaged_copy}")
    cache.close()
    return 0


def run_check(args: argparse.Namespace) -> int:
    path = hall_config(args).cache_path()
    if not path.exists():
        print(f"{path}: no cache yet (it is created on first start)")
        return 1
    problem = check_integrity(path)
    if problem:
        print(f"{path}: DAMAGED: {problem}")
        return 1
    engine = make_engine(path)
    print(f"{path}: integrity ok, schema revision {current_revision(engine)}")
    engine.dispose()
    return 0


def run_backup(args: argparse.Namespace) -> int:
    config = hall_config(args)
    source = config.cache_path()
    if not source.exists():
        print(f"{source}: no cache to back up")
        return 1
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = args.target or config.data_dir() / "backups" / f"hall-{stamp}.sqlite3"
    pages = backup_database(source, target)
    print(f"backed up {source} to {target} ({pages} pages, integrity ok)")
    return 0
