"""Alembic environment for the office database. The server passes a live connection in
`config.attributes["connection"]` (sync/office/db.py)."""

from alembic import context

from sync.office.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes["connection"]
    # render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
