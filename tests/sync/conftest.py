"""Fixtures for the sync tests: a real office server over HTTP on loopback, on SQLite or on the
machine's PostgreSQL (each test in its own schema, dropped afterwards), and halls that sync with it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.sync.office_world import (
    BACKENDS,
    Office,
    ServerThread,
    drop_pg_schema,
    pg_schema_db,
)


@pytest.fixture
def office_db_factory(tmp_path):
    """Make office databases: factory(backend) with backend "sqlite" or "postgres"."""
    from sync.office.db import OfficeDB

    made: list[tuple[Any, str | None]] = []

    def make(backend: str) -> Any:
        if backend == "postgres":
            schema = f"t_{uuid.uuid4().hex[:12]}"
            db = pg_schema_db(schema)
            made.append((db, schema))
        else:
            db = OfficeDB(f"sqlite:///{tmp_path / f'office-{len(made)}.sqlite3'}")
            made.append((db, None))
        return db

    yield make
    for db, schema in made:
        db.close()
        if schema:
            drop_pg_schema(schema)


@pytest.fixture
def start_office(office_db_factory):
    """start_office(backend) -> Office running over HTTP on loopback."""
    from sync.office import store
    from sync.office.api import create_app

    servers: list[ServerThread] = []

    def start(backend: str = "sqlite") -> Office:
        db = office_db_factory(backend)
        with db.sessions.begin() as s:
            admin = store.add_admin(s, "街道办 测试")
        server = ServerThread(create_app(db, public_url="http://office.example", token_ttl_s=1.0)).start()
        servers.append(server)
        return Office(db, server.url, admin, backend, server)

    yield start
    for server in servers:
        server.stop()




@pytest.fixture(params=BACKENDS)
def office(request, start_office) -> Office:
    return start_office(request.param)


# --- hall side ---------------------------------------------------------------------------------


@pytest.fixture
def make_cache(tmp_path):
    from sync.cache.db import open_cache

    caches = []

    def make(name: str = "hall") -> Any:
        c = open_cache(tmp_path / f"{name}.sqlite3")
        caches.append(c)
        return c

    yield make
    for c in caches:
        c.close()


@pytest.fixture
def sample_records() -> list[dict[str, Any]]:
    from sync.content_files import SAMPLE_DIR
    from sync.office.server import bundle_records

    return bundle_records(SAMPLE_DIR)


@pytest.fixture
def wait_for():
    from sync.client import wait_until

    return wait_until

