"""Refusing to run on a database written by a newer Yizhan (a downgrade).

Alembic alone stops with "Can't locate revision identified by '0007'", which tells a technician
nothing; old code that ignored it would misread the newer tables. Both the hall cache and the
office database check this before migrating, and say what to do instead.
"""

from __future__ import annotations

from typing import Any

from alembic.util.exc import CommandError


class SchemaTooNew(CommandError):
    """The database's schema revision is not one this version of Yizhan knows (an Alembic
    CommandError, as Alembic's own "Can't locate revision" is, so its callers still catch it)."""

    def __init__(self, what: str, revision: str, known: list[str]):
        self.what, self.revision, self.known = what, revision, known
        super().__init__(
            f"数据库版本比本程序新，拒绝降级 {what} has schema revision {revision}, newer than this "
            f"version of Yizhan knows ({', '.join(known) or 'none'}): it was written by a newer version. "
            "Install that version again, or restore a backup taken before the upgrade (yizhan db restore)."
        )


def refuse_newer_schema(conn: Any, alembic_cfg: Any, what: str) -> None:
    """Raise SchemaTooNew if `conn`'s database is at a revision missing from `alembic_cfg`'s scripts."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    current = MigrationContext.configure(conn).get_current_revision()
    if current is None:
        return
    known = [rev.revision for rev in ScriptDirectory.from_config(alembic_cfg).walk_revisions()]
    if current not in known:
        raise SchemaTooNew(what, current, sorted(known))
