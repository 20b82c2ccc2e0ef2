"""Rewrite the office's single initial migration from the models (pre-release only).

Run: python -m sync.office.regen_migration
"""

import tempfile
from pathlib import Path

from alembic import command

from sync.office.db import MIGRATIONS_DIR, alembic_config, make_engine

VERSIONS = MIGRATIONS_DIR / "versions"


def main() -> None:
    VERSIONS.mkdir(exist_ok=True)
    for old in VERSIONS.glob("*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'empty.sqlite3'}")
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message="initial office schema", autogenerate=True, rev_id="0001")
        engine.dispose()
    print("rewrote", *VERSIONS.glob("*.py"))


if __name__ == "__main__":
    main()
