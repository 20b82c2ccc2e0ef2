"""`yizhan content import|export DIR`: the hall's content as human-editable YAML files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.commands.common import add_hall_options, hall_config
from sync.content import ContentError
from sync.content_files import dump_bundle, load_bundle


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "content", help="import or export guides, categories, businesses, windows and notices",
        description="Move the hall's content between the cache and a folder of YAML files "
        "(hall.yaml + guides/<category>.yaml; see assets/sample/README.md for the format).")
    sub = p.add_subparsers(dest="content_command", metavar="ACTION", required=True)

    imp = sub.add_parser(
        "import", help="check a content folder and load it into the cache",
        description="Check every file first and list every problem (file:line, entry, field). "
        "Only if all is well, update the cache in one transaction: records are matched by uid, "
        "changed ones get a new version, records not in the folder are kept. Sample staff accounts "
        "are created only if no account of that name exists.")
    add_hall_options(imp)
    imp.add_argument("folder", type=Path, metavar="DIR", help="content folder, e.g. assets/sample")
    imp.set_defaults(run=run_import)

    exp = sub.add_parser(
        "export", help="write the cache's content to a folder in the same format",
        description="Write hall.yaml and guides/<category>.yaml into DIR (created if needed; existing "
        "files of the same names are replaced). Staff accounts are not exported.")
    add_hall_options(exp)
    exp.add_argument("folder", type=Path, metavar="DIR", help="folder to write")
    exp.set_defaults(run=run_export)


def _print_problems(exc: ContentError) -> int:
    print(str(exc), file=sys.stderr)
    print("没有导入任何内容 (nothing was imported)", file=sys.stderr)
    return 1


def run_import(args: argparse.Namespace) -> int:
    from kiosk.services.content import import_bundle
    from sync.cache.db import open_cache

    config = hall_config(args)
    try:
        bundle = load_bundle(args.folder)
    except ContentError as exc:
        return _print_problems(exc)
    cache = open_cache(config.cache_path())
    try:
        with cache.transaction() as session:
            report = import_bundle(session, bundle, actor="content import")
    except ContentError as exc:
        return _print_problems(exc)
    finally:
        cache.close()
    print(f"已导入 {args.folder} 到 {cache.path} (imported):")
    print(report.summary())
    return 0


def run_export(args: argparse.Namespace) -> int:
    from kiosk.services.content import export_bundle
    from sync.cache.db import open_cache

    config = hall_config(args)
    path = config.cache_path()
    if not path.exists():
        print(f"{path}: 还没有缓存，无内容可导出 (no cache yet; start the hall app or import first)",
              file=sys.stderr)
        return 1
    cache = open_cache(path)
    try:
        with cache.sessions() as session:
            bundle = export_bundle(session)
    finally:
        cache.close()
    if not bundle.categories:
        print(f"{path}: 缓存中没有内容可导出 (the cache holds no content)", file=sys.stderr)
        return 1
    try:
        dump_bundle(bundle, args.folder)
    except ContentError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"已导出到 {args.folder} (exported): {len(bundle.categories)} 个类别, {len(bundle.guides)} 项指南, "
          f"{len(bundle.businesses)} 种业务, {len(bundle.windows)} 个窗口, {len(bundle.notices)} 条公示")
    return 0
