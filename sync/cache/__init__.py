"""The hall's local cache: SQLite through SQLAlchemy, migrated by Alembic on start."""

from sync.cache.db import Cache, CacheRecovery, backup_database, open_cache

__all__ = ["Cache", "CacheRecovery", "backup_database", "open_cache"]
