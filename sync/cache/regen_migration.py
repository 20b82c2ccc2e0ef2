"""Rewrite the single initial migration from the models (pre-release only).

Until the first release there is one migration, `0001_initial`. After a release, add new
revisions with `alembic -c sync/cache/alembic.ini revision --autogenerate -m "..."` instead.
Run: python -m sync.cache.regen_migration
"""

import tempfile
from pathlib import Path

from alembic import command

from sync.cache.db import MIGRATIONS_DIR, alembic_config, make_engine

VERSIONS = MIGRATIONS_DIR / "versions"


def main() -> None:
    VERSIONS.mkdir(exist_ok=True)
    for old in VERSIONS.glob("*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(Path(tmp) / "empty.sqlite3")
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message="initial", autogenerate=True, rev_id="0001")
        engine.dispose()
    print("rewrote", *VERSIONS.glob("*.py"))


if __name__ == "__main__":
    main()
