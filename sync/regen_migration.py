"""Rewrite a database's single initial migration from its models (pre-release only).

Until the first release the hall cache and the office each have one migration, `0001`. After a
release, add new revisions with `alembic revision --autogenerate` instead.
Run: python -m sync.cache.regen_migration / python -m sync.office.regen_migration
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config


def regenerate(migrations_dir: Path, config: Config, engine_for: Callable[[Path], Any], message: str) -> None:
    """Delete the versions in `migrations_dir` and autogenerate `0001` against an empty database
    file made by `engine_for(path)`."""
    versions = migrations_dir / "versions"
    versions.mkdir(exist_ok=True)
    for old in versions.glob("*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = engine_for(Path(tmp) / "empty.sqlite3")
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.revision(config, message=message, autogenerate=True, rev_id="0001")
        engine.dispose()
    print("rewrote", *versions.glob("*.py"))
