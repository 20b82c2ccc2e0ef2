"""After a new version is installed (the Debian package's postinst): back up, then migrate.

`python -m kiosk.upgrade --from OLD_VERSION --hall-config FILE --office-config FILE`. For each of
the hall cache and the office database that exists: a consistent copy goes to the data
directory's backups/ (SQLite's online backup API; on every upgrade, as new code may read old
data differently even with the same schema), then Alembic migrates it if its schema is older. A PostgreSQL office database is migrated in place (its backups are the database
administrator's `pg_dump`; the message says so). A database newer than this version knows is
refused (sync/schema_guard.py) and nothing is changed. Exit 0 when all is at this version's schema.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path


def _stamp(old_version: str) -> str:
    # The time first: backups sort by name (sync/cache/backups.py), and rotation keeps the newest.
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-before-{old_version or 'upgrade'}"


def upgrade_hall(config_path: Path | None, old_version: str) -> str:
    from kiosk.config import load_config
    from sync.cache.db import SCHEMA_HEAD, backup_database, current_revision, make_engine, open_cache

    config = load_config(config_path)
    path = config.cache_path()
    if not path.exists():
        return f"hall cache {path}: none yet (created on first start)"
    engine = make_engine(path)
    revision = current_revision(engine)
    engine.dispose()
    backup = config.data_dir() / "backups" / f"hall-{_stamp(old_version)}.sqlite3"
    backup_database(path, backup)
    if revision == SCHEMA_HEAD:
        return f"hall cache {path}: schema {revision}, nothing to migrate, backup {backup}"
    cache = open_cache(path)
    cache.close()
    return f"hall cache {path}: schema {revision} -> {SCHEMA_HEAD}, backup {backup}"


def upgrade_office(config_path: Path | None, old_version: str) -> str:
    from sqlalchemy.engine import make_url

    from sync.cache.db import backup_database
    from sync.config_file import load_config
    from sync.office.config import OfficeConfig
    from sync.office.db import OfficeDB

    config: OfficeConfig = load_config(config_path, OfficeConfig)
    url = make_url(config.database_url())
    note = ""
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if not path.exists():
            return f"office database {path}: none (this PC runs no office server)"
        backup = path.parent / "backups" / f"office-{_stamp(old_version)}.sqlite3"
        backup_database(path, backup)
        note = f", backup {backup}"
    else:
        note = " (PostgreSQL: back it up with pg_dump before upgrading)"
    OfficeDB(config.database_url()).close()  # migrates to this version's head
    return f"office database {url.render_as_string(hide_password=True)}: at this version's schema{note}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.upgrade", description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="old_version", default="", help="the version upgraded from")
    parser.add_argument("--hall-config", type=Path)
    parser.add_argument("--office-config", type=Path)
    args = parser.parse_args(argv)
    from sync.config_file import ConfigError
    from sync.schema_guard import SchemaTooNew

    code = 0
    for what, step, path in (("hall", upgrade_hall, args.hall_config), ("office", upgrade_office, args.office_config)):
        if path is not None and not path.exists():
            continue
        try:
            print(f"yizhan upgrade: {step(path, args.old_version)}")
        except (SchemaTooNew, ConfigError) as exc:
            print(f"yizhan upgrade: {what}: {exc}", file=sys.stderr)
            code = 1
    return code


if __name__ == "__main__":
    sys.exit(main())
