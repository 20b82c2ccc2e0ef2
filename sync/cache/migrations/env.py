"""Alembic environment for the hall cache. The app passes a live connection in
`config.attributes["connection"]`; the command line falls back to sqlalchemy.url."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from sync.cache.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _migrate(conn)


def _migrate(connection) -> None:
    # render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
