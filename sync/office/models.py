"""The street office's database: halls, content and its per-hall change feed, tickets.

SQLAlchemy 2.0 typed models; the schema is created and changed only by the Alembic
migrations in sync/office/migrations (run on start). Works on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sync.columns import UTCDateTime, utcnow  # noqa: F401 - migrations name them here

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite has no BIGINT autoincrement; PostgreSQL needs 64 bits for a busy feed.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Hall(Base):
    """A community hall that syncs with this office. Only the token's sha256 is kept."""

    __tablename__ = "hall"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last authenticated request


class AdminToken(Base):
    """A token that may publish content and read statistics (the street office's staff)."""

    __tablename__ = "admin_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ContentRecord(Base):
    """The office's current copy of one content record (guide, category, ...)."""

    __tablename__ = "content_record"

    uid: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100), default="")
    # Published to every hall, including halls added later.
    to_all: Mapped[bool] = mapped_column(Boolean, default=False)


class ContentRevision(Base):
    """Every version the office ever held: nothing is silently overwritten."""

    __tablename__ = "content_revision"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_uid: Mapped[str] = mapped_column(String(36), index=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(100), default="")
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("hall.id"))  # None: published by the office
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Publication(Base):
    """Which halls receive which record."""

    __tablename__ = "publication"

    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), primary_key=True)
    record_uid: Mapped[str] = mapped_column(ForeignKey("content_record.uid"), primary_key=True)


class Feed(Base):
    """The per-hall change feed: one row each time a record published to a hall changes.

    `txid` is the writing transaction's id on PostgreSQL (0 on SQLite, where writers are
    serialised and ids are already in commit order). Readers only see rows below the oldest
    transaction still running, so a row that commits late is never skipped by a cursor.
    """

    __tablename__ = "feed"
    __table_args__ = (Index("ix_feed_hall_txid_id", "hall_id", "txid", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    record_uid: Mapped[str] = mapped_column(String(36))


class PushEntry(Base):
    """Every outbox entry received, by its own id: a retried entry is answered, not re-applied."""

    __tablename__ = "push_entry"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the canonical payload
    status: Mapped[str] = mapped_column(String(20))  # stored, duplicate, conflict
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Ticket(Base):
    """A hall's ticket as the hall last reported it (the hall is the owner)."""

    __tablename__ = "ticket"
    __table_args__ = (Index("ix_ticket_hall_day", "hall_id", "service_day", "business_code"),
                      Index("ix_ticket_day_hall", "service_day", "hall_id"))  # the console: today, date ranges

    uid: Mapped[str] = mapped_column(String(36), primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    label: Mapped[str] = mapped_column(String(10))
    prefix: Mapped[str] = mapped_column(String(2))
    number: Mapped[int] = mapped_column(Integer)
    service_day: Mapped[date] = mapped_column(Date)
    business_code: Mapped[str] = mapped_column(String(40))
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20))
    window_number: Mapped[int | None] = mapped_column(Integer)
    clerk: Mapped[str | None] = mapped_column(String(50))  # who last called it (the hall's staff name)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)  # the hall's outbox order of the snapshot
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketEvent(Base):
    __tablename__ = "ticket_event"

    uid: Mapped[str] = mapped_column(String(36), primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    ticket_uid: Mapped[str] = mapped_column(String(36), index=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    window_number: Mapped[int | None] = mapped_column(Integer)
    business_code: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Proposal(Base):
    """A hall's edit of a record the office published to several halls: kept here for office
    editors to accept, merge field by field, or reject; never applied or sent on by itself."""

    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_uid: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), index=True)
    entry_id: Mapped[str] = mapped_column(String(36), unique=True)  # the push entry it came in
    base_version: Mapped[int] = mapped_column(Integer)  # the version the hall edited
    office_version: Mapped[int] = mapped_column(Integer)  # the office's version when it came in
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # the record as the hall proposes it
    author: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending accepted merged rejected
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(500), default="")  # why, for the hall to read
    result_version: Mapped[int | None] = mapped_column(Integer)  # the version accepting it made


# --- the office console (sync/office/console) -------------------------------------------------


class OfficeAccount(Base):
    """A street-office staff member who signs in to the console. Only a salted scrypt hash of the
    password is kept; repeated wrong passwords lock the account for a while."""

    __tablename__ = "office_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    role: Mapped[str] = mapped_column(String(10))  # admin, editor, viewer
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsoleSession(Base):
    """A signed-in browser: the cookie holds a random key, the table only its sha256."""

    __tablename__ = "console_session"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("office_account.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))  # the forms' anti-forgery token
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OfficeAudit(Base):
    """Every console sign-in (good or bad) and every change made through the console or the CLI."""

    __tablename__ = "office_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))  # account name, "cli" or the name tried
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(1000), default="")
    source: Mapped[str] = mapped_column(String(60), default="")  # client address or "cli"


class HallReport(Base):
    """The latest state a hall reported with its sync round (LED board, printer, voice, outbox)."""

    __tablename__ = "hall_report"

    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), primary_key=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class HallTag(Base):
    """A hall's tags (its 街道, its 区, ...): publish to every hall with a tag."""

    __tablename__ = "hall_tag"

    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class TicketDayFigures(Base):
    """The statistics' daily roll-up: one row per hall, day, business, window and clerk of a
    finished day (store.roll_up_days), so a month of figures is not a month of tickets."""

    __tablename__ = "ticket_day_figures"
    __table_args__ = (Index("ix_ticket_day_figures_day_hall", "service_day", "hall_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    service_day: Mapped[date] = mapped_column(Date)
    business_code: Mapped[str] = mapped_column(String(40))
    window_number: Mapped[int | None] = mapped_column(Integer)
    clerk: Mapped[str | None] = mapped_column(String(50))
    issued: Mapped[int] = mapped_column(Integer)
    served: Mapped[int] = mapped_column(Integer)
    not_shown: Mapped[int] = mapped_column(Integer)
    waiting: Mapped[int] = mapped_column(Integer)
    wait_sum: Mapped[float] = mapped_column(Float)  # minutes, over the called tickets
    wait_n: Mapped[int] = mapped_column(Integer)
    services: Mapped[list[float]] = mapped_column(JSON)  # service minutes of the served tickets


class RolledUpDay(Base):
    """A day whose figures are in ticket_day_figures; a late ticket of that day removes the mark."""

    __tablename__ = "rolled_up_day"

    service_day: Mapped[date] = mapped_column(Date, primary_key=True)
    rolled_up_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Rating(Base):
    """A resident's 好差评 of one finished ticket, from the counter's pad (via the hall's outbox)
    or the phone's ticket page: one per ticket, the first to arrive wins. No personal data."""

    __tablename__ = "rating"

    ticket_uid: Mapped[str] = mapped_column(String(36), primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(String(400), default="")
    source: Mapped[str] = mapped_column(String(10))  # counter, phone
    window_number: Mapped[int | None] = mapped_column(Integer)
    business_code: Mapped[str | None] = mapped_column(String(40))
    clerk: Mapped[str] = mapped_column(String(50), default="")
    service_day: Mapped[date | None] = mapped_column(Date)  # the ticket's day (statistics by month)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FollowUp(Base):
    """差评回访: every 不满意/非常不满意 opens one; 待回访 (open) -> 已回访 (visited) -> 已整改 (rectified)."""

    __tablename__ = "follow_up"
    __table_args__ = (Index("ix_follow_up_hall_state", "hall_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_uid: Mapped[str] = mapped_column(ForeignKey("rating.ticket_uid"), unique=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    state: Mapped[str] = mapped_column(String(20), default="open")  # open, visited, rectified
    due_on: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    visited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    visited_by: Mapped[str] = mapped_column(String(100), default="")
    visit_note: Mapped[str] = mapped_column(String(1000), default="")
    rectified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rectified_by: Mapped[str] = mapped_column(String(100), default="")
    rectify_note: Mapped[str] = mapped_column(String(1000), default="")


__all__ = [
    "AdminToken", "Base", "ConsoleSession", "ContentRecord", "ContentRevision", "Feed", "FollowUp", "Hall",
    "HallReport", "HallTag", "OfficeAccount", "OfficeAudit", "Proposal", "Publication", "PushEntry", "Rating",
    "RolledUpDay", "Ticket", "TicketDayFigures", "TicketEvent",
]
