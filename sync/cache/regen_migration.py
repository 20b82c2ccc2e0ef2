"""Rewrite the hall cache's single initial migration from the models (pre-release only).
Run: python -m sync.cache.regen_migration (see sync/regen_migration.py)."""

from sync.cache.db import MIGRATIONS_DIR, alembic_config, make_engine
from sync.regen_migration import regenerate

if __name__ == "__main__":
    regenerate(MIGRATIONS_DIR, alembic_config(), make_engine, "initial")
