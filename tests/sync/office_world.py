"""The office and hall pieces the sync tests share: a real office server on loopback (SQLite
or PostgreSQL), tickets written as the queue writes them, and what the office holds."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Every office test runs on both backends; the PostgreSQL one is marked (pytest -m "not postgres").
BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    """uvicorn serving an app on a free loopback port, in a thread."""

    def __init__(self, app: Any, **tls: Any):
        import uvicorn

        self.app = app
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        from sync.office.server import office_server

        config = {"host": "127.0.0.1", "port": self.port, "log_level": "warning", "access_log": False,
                  "timeout_graceful_shutdown": 3, **tls}
        # The office's server answers waiting pulls on shutdown; any other app, plain uvicorn.
        self.server = (office_server(app, **config) if hasattr(getattr(app, "state", None), "waiters")
                       else uvicorn.Server(uvicorn.Config(app, **config)))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> ServerThread:
        self.thread.start()
        end = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > end:
                raise RuntimeError("office server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@dataclass
class Office:
    """A running office: its database, URL and an admin token."""

    db: Any
    url: str
    admin_token: str
    backend: str
    server: Any = None  # the ServerThread (its app: server.app)

    def add_hall(self, name: str, code: str) -> str:
        from sync.office import store

        with self.db.sessions.begin() as s:
            _hall, token = store.add_hall(s, name, code)
        return token

    def publish(self, records: list[dict[str, Any]], halls: Any = "all", author: str = "office") -> list[Any]:
        from sync.office import store

        with self.db.sessions.begin() as s:
            return store.publish(s, records, halls, author=author)


def pg_schema_db(schema: str) -> Any:
    from sqlalchemy import create_engine, text

    from sync.office.db import OfficeDB

    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return OfficeDB(PG_URL, schema=schema)


def drop_pg_schema(schema: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def record_apply(session: Any, kind: str, data: dict[str, Any], version: int) -> None:
    """A minimal apply_content for sync-level tests: keeps each pulled version as a revision."""
    from sqlalchemy import select

    from sync.cache.models import ContentRevision

    exists = session.scalar(select(ContentRevision.id).where(
        ContentRevision.record_uid == data["uid"], ContentRevision.version == version))
    if exists is None:
        session.add(ContentRevision(kind=kind, record_uid=data["uid"], version=version, data=data,
                                    action="office"))


@dataclass
class TicketMaker:
    """Writes tickets and their outbox rows straight into a cache, as the queue does."""

    cache: Any
    prefix: str = "A"
    business: str = "labor"
    count: int = 0
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)  # uid -> the ticket as last written

    def issue(self, *, day: date | None = None, at: datetime | None = None, events: int = 1) -> str:
        from sync.cache.models import Outbox

        self.count += 1
        day = day or date(2026, 11, 25)
        at = at or datetime(2026, 11, 25, 1, 0, tzinfo=UTC) + timedelta(seconds=self.count)
        ticket_uid = str(uuid.uuid4())
        kinds = ["issued", "called", "served"][:events]
        states = {"issued": "waiting", "called": "called", "served": "served"}
        with self.cache.transaction() as s:
            for i, kind in enumerate(kinds):
                ev_uid = str(uuid.uuid4())
                when = at + timedelta(minutes=5 * i)
                ticket = {"uid": ticket_uid, "label": f"{self.prefix}{self.count:03d}", "prefix": self.prefix,
                          "number": self.count, "service_day": day.isoformat(), "business_code": self.business,
                          "priority": False, "state": states[kind],
                          "window_number": 1 if kind != "issued" else None,
                          "issued_at": at.isoformat(),
                          "called_at": (at + timedelta(minutes=5)).isoformat() if i >= 1 else None,
                          "finished_at": (at + timedelta(minutes=10)).isoformat() if i >= 2 else None}
                s.add(Outbox(uid=ev_uid, kind="ticket_event", payload={
                    "ticket": ticket,
                    "event": {"uid": ev_uid, "kind": kind, "at": when.isoformat(),
                              "window_number": 1 if kind != "issued" else None,
                              "business_code": self.business, "detail": {}},
                }))
                self.tickets[ticket_uid] = ticket
        return ticket_uid

    def call(self, ticket_uid: str, window: int = 1, *, at: datetime | None = None) -> None:
        """The ticket issued earlier is called to `window` (one more outbox entry)."""
        from sync.cache.models import Outbox

        at = at or datetime.fromisoformat(self.tickets[ticket_uid]["issued_at"]) + timedelta(minutes=5)
        ticket = {**self.tickets[ticket_uid], "state": "called", "window_number": window,
                  "called_at": at.isoformat()}
        ev_uid = str(uuid.uuid4())
        with self.cache.transaction() as s:
            s.add(Outbox(uid=ev_uid, kind="ticket_event", payload={
                "ticket": ticket,
                "event": {"uid": ev_uid, "kind": "called", "at": at.isoformat(), "window_number": window,
                          "business_code": self.business, "detail": {}}}))
        self.tickets[ticket_uid] = ticket


def office_tickets(db: Any, hall_code: str | None = None) -> dict[str, tuple]:
    """The office's tickets and events as comparable tuples."""
    from sqlalchemy import select

    from sync.office.models import Hall, Ticket

    with db.sessions() as s:
        q = select(Ticket).join(Hall, Hall.id == Ticket.hall_id)
        if hall_code:
            q = q.where(Hall.code == hall_code)
        return {t.uid: (t.label, t.state, t.called_at, t.finished_at) for t in s.scalars(q)}


def office_events(db: Any) -> set[str]:
    from sqlalchemy import select

    from sync.office.models import TicketEvent

    with db.sessions() as s:
        return set(s.scalars(select(TicketEvent.uid)).all())


def local_events(cache: Any) -> set[str]:
    from sqlalchemy import select

    from sync.cache.models import Outbox

    with cache.sessions() as s:
        return set(s.scalars(select(Outbox.uid).where(Outbox.kind == "ticket_event")).all())
