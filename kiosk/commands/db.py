"""`yizhan db upgrade|check|backup|restore`: look after the hall's local cache."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from kiosk.commands.common import add_hall_options, hall_config
from sync.cache.backups import backups_dir
from sync.cache.db import (
    backup_database,
    check_integrity,
    current_revision,
    find_damage,
    make_engine,
    open_cache,
    set_aside,
)
from sync.cache.recovery import REPORT_KEY


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("db", help="upgrade, check or back up the hall cache",
                              description="Maintain the hall's local SQLite cache.")
    sub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)

    up = sub.add_parser("upgrade", help="apply pending schema migrations (also done on every start)")
    add_hall_options(up)
    up.set_defaults(run=run_upgrade)

    check = sub.add_parser("check", help="run SQLite's integrity check, show the schema revision and the "
                           "last recovery's report (what could not be saved)")
    add_hall_options(check)
    check.add_argument("--acknowledge", action="store_true",
                       help="clear the last recovery's report (and its note on the consoles)")
    check.set_defaults(run=run_check)

    restore = sub.add_parser("restore", help="replace the cache with a backup (stop the hall app first); "
                             "the current cache is kept aside")
    add_hall_options(restore)
    restore.add_argument("backup", type=Path, help="a backup file, e.g. DATA_DIR/backups/hall-….sqlite3")
    restore.set_defaults(run=run_restore)

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
    problem = find_damage(path)
    if problem is None and not path.exists():
        print(f"{path}: no cache yet (it is created on first start)")
        return 1
    if problem:
        print(f"{path}: DAMAGED: {problem}")
        print("  the next start sets it aside and rebuilds the cache from it and the newest backup")
        return 1
    from sync.schema_guard import SchemaTooNew

    engine = make_engine(path)
    print(f"{path}: integrity ok, schema revision {current_revision(engine)}")
    engine.dispose()
    try:
        cache = open_cache(path)
    except SchemaTooNew as exc:  # written by a newer version: this one cannot use it
        print(f"错误 error: {exc}", file=sys.stderr)
        return 1
    try:
        report = cache.recovery_report()
        if report is not None:
            print(f"last recovery: {report.summary()}")
            for line in report.lines():
                print(f"  could not be saved: {line}")
            if args.acknowledge:
                with cache.engine.begin() as conn:
                    conn.exec_driver_sql("DELETE FROM sync_state WHERE key = ?", (REPORT_KEY,))
                print("  (acknowledged: the consoles no longer show it after the next start)")
    finally:
        cache.close()
    return 0


def run_backup(args: argparse.Namespace) -> int:
    config = hall_config(args)
    source = config.cache_path()
    if not source.exists():
        print(f"{source}: no cache to back up")
        return 1
    problem = check_integrity(source)
    if problem:
        print(f"错误 error: {source} is damaged ({problem}); a backup of it would not be usable.\n"
              "  Start the hall (it sets the damaged file aside and rebuilds the cache from it and the newest "
              f"backup), or restore one of {backups_dir(source)} with `yizhan db restore`.", file=sys.stderr)
        return 1
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = args.target or backups_dir(source) / f"hall-{stamp}.sqlite3"
    try:
        pages = backup_database(source, target)
    except (sqlite3.Error, RuntimeError, OSError) as exc:
        print(f"错误 error: could not back up {source} to {target}: {exc}", file=sys.stderr)
        return 1
    print(f"backed up {source} to {target} ({pages} pages, integrity ok)")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    """Put a backup in place of the cache; the hall must be stopped, the current cache is kept aside."""
    config = hall_config(args)
    target = config.cache_path()
    backup = Path(args.backup)
    if not backup.is_file():
        print(f"错误 error: no such backup: {backup}", file=sys.stderr)
        return 1
    problem = check_integrity(backup)
    if problem:
        print(f"错误 error: {backup} is damaged ({problem}); choose another backup", file=sys.stderr)
        return 1
    if hall_running(target):
        print(f"错误 error: the hall app is running on {target}; stop it first (restoring under it would lose "
              "what it writes)", file=sys.stderr)
        return 1
    kept = set_aside(target, "before-restore")
    pages = backup_database(backup, target)
    # The ticket mark stays: numbering after the restore still skips every number already issued today.
    print(f"restored {backup} to {target} ({pages} pages)")
    if kept.exists():
        print(f"the cache it replaced is kept at {kept}")
    return 0


def hall_running(cache_path: Path) -> bool:
    """True while a hall app holds the cache (its lock file is locked)."""
    from kiosk.hall import hall_lock_busy

    return hall_lock_busy(cache_path)
