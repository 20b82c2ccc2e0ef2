"""The hall's local cache: SQLAlchemy 2.0 typed models.

Records that travel to or from the street office carry a global `uid` (UUID text) and an
integer `version`. Times are stored as UTC and come back timezone-aware. Schema changes go
through Alembic (sync/cache/migrations), never `create_all` in production code.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from sync.columns import UTCDateTime, utcnow  # noqa: F401 - migrations name them here

# Deterministic constraint names so Alembic migrations stay stable (and SQLite batch mode works).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_uid() -> str:
    return str(uuid.uuid4())


_seq_lock = threading.Lock()
_seq_last = 0  # the last (milliseconds << 12 | counter) handed out


def new_seq_uid() -> str:
    """A time-ordered UUID (version 7, RFC 9562) for append-only rows: events, outbox entries.

    Consecutive ids sort in creation order (also within one millisecond, by a counter), so an
    index on them grows at its right edge: each insert writes the same last page instead of a
    random one. 62 random bits keep ids from different halls apart. Not for anything that must
    be unguessable (a ticket's public page keeps UUID4).
    """
    global _seq_last
    with _seq_lock:
        stamp = max((time.time_ns() // 1_000_000) << 12, _seq_last + 1)
        _seq_last = stamp
    h = f"{(stamp >> 12) << 80 | 0x7 << 76 | (stamp & 0xFFF) << 64 | 0b10 << 62 | secrets.randbits(62):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Synced:
    """Mixin for records shared with the street office: global id + version + last change."""

    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# --- content -------------------------------------------------------------------------------


class Category(Synced, Base):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    icon: Mapped[str] = mapped_column(String(40), default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    guides: Mapped[list[ServiceGuide]] = relationship(back_populates="category")


class ServiceGuide(Synced, Base):
    """办事指南: one procedure, with every field a published guide carries.

    Lists (materials, steps, FAQs, keywords) are JSON: they are always read and written as a
    whole with the guide, and they travel to the office as part of one versioned record.
    """

    __tablename__ = "service_guide"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # 编码
    name: Mapped[str] = mapped_column(String(100))  # 事项名称
    name_en: Mapped[str] = mapped_column(String(200), default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))  # 所属类别
    authority: Mapped[str] = mapped_column(Text, default="")  # 实施主体
    legal_basis: Mapped[str] = mapped_column(Text, default="")  # 设定依据
    conditions: Mapped[str] = mapped_column(Text, default="")  # 受理条件
    # 申请材料: [{"name", "copies", "form": original|copy|both, "notes"}]
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    steps: Mapped[list[str]] = mapped_column(JSON, default=list)  # 办理流程
    special_steps: Mapped[str] = mapped_column(Text, default="")  # 特殊环节
    legal_time_limit: Mapped[str] = mapped_column(String(100), default="")  # 法定办结时限
    promised_time_limit: Mapped[str] = mapped_column(String(100), default="")  # 承诺办结时限
    visits: Mapped[int] = mapped_column(Integer, default=1)  # 到现场次数
    fees: Mapped[str] = mapped_column(Text, default="")  # 收费标准; empty = 不收费
    location: Mapped[str] = mapped_column(Text, default="")  # 办理地点
    hours: Mapped[str] = mapped_column(Text, default="")  # 办理时间
    phone: Mapped[str] = mapped_column(String(100), default="")  # 咨询电话
    complaint_phone: Mapped[str] = mapped_column(String(100), default="")  # 监督投诉电话
    faqs: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # 常见问题 [{"q","a"}]
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)  # 关键词
    business_type_id: Mapped[int | None] = mapped_column(ForeignKey("business_type.id"))
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(100), default="")
    views: Mapped[int] = mapped_column(Integer, default=0)  # how often residents opened it

    category: Mapped[Category] = relationship(back_populates="guides")
    business_type: Mapped[BusinessType | None] = relationship(back_populates="guides")


class BusinessType(Synced, Base):
    """A kind of business residents queue for; its prefix starts every ticket number (A023)."""

    __tablename__ = "business_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(2), unique=True)
    avg_service_minutes: Mapped[int] = mapped_column(Integer, default=10)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    guides: Mapped[list[ServiceGuide]] = relationship(back_populates="business_type")


class Window(Synced, Base):
    """A counter window (窗口) and the businesses it serves, in priority order."""

    __tablename__ = "window"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)

    services: Mapped[list[WindowService]] = relationship(
        back_populates="window", order_by="WindowService.priority", cascade="all, delete-orphan"
    )


class WindowService(Base):
    __tablename__ = "window_service"

    window_id: Mapped[int] = mapped_column(ForeignKey("window.id"), primary_key=True)
    business_type_id: Mapped[int] = mapped_column(ForeignKey("business_type.id"), primary_key=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)  # 0 = served first

    window: Mapped[Window] = relationship(back_populates="services")
    business_type: Mapped[BusinessType] = relationship()


class Notice(Synced, Base):
    """公示: shown on the kiosk home screen and scrolled on the board while valid."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    published: Mapped[bool] = mapped_column(Boolean, default=True)


class Disclosure(Synced, Base):
    """公示表: a 政务公开 or 财务公开 table the office published (period, responsible person,
    columns and rows as text), shown on the kiosk's 公示 screen while valid."""

    __tablename__ = "disclosure"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # government 政务公开 / finance 财务公开
    period: Mapped[str] = mapped_column(String(50))
    responsible: Mapped[str] = mapped_column(String(100))
    published_on: Mapped[date] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    rows: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")


class ContentRevision(Base):
    """Every published version of a content record, kept for history, diff and restore."""

    __tablename__ = "content_revision"
    __table_args__ = (UniqueConstraint("kind", "record_uid", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # guide, category, notice, business_type, window
    record_uid: Mapped[str] = mapped_column(String(36), index=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(40), default="publish")  # publish, restore, office
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Draft(Base):
    """An unpublished edit; `base_version` is the version the edit started from (for conflicts)."""

    __tablename__ = "draft"
    __table_args__ = (UniqueConstraint("kind", "record_uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    record_uid: Mapped[str] = mapped_column(String(36))
    base_version: Mapped[int] = mapped_column(Integer, default=0)  # 0 = a new record
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Conflict(Base):
    """The office refused a content edit because its copy moved on; a person must choose."""

    __tablename__ = "conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    record_uid: Mapped[str] = mapped_column(String(36), index=True)
    local_version: Mapped[int] = mapped_column(Integer)
    local_data: Mapped[dict[str, Any]] = mapped_column(JSON)
    office_version: Mapped[int] = mapped_column(Integer)
    office_data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str] = mapped_column(String(100), default="")


class Proposal(Base):
    """This hall's edit of a record the office shares with other halls: sent for the office's
    review (office_id is its id there); the local record went back to the office's copy."""

    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(Integer, unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    record_uid: Mapped[str] = mapped_column(String(36), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # the record as this hall proposed it
    author: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending accepted merged rejected
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    result_version: Mapped[int | None] = mapped_column(Integer)


# --- queue -----------------------------------------------------------------------------------


class Ticket(Base):
    """A queue ticket. No personal data: a number, a business, times and a state.

    `uid` doubles as the unguessable id of the public status page (UUID4, 122 random bits).
    The current state is kept here for fast queries; the full story is in TicketEvent.
    """

    __tablename__ = "ticket"
    __table_args__ = (
        UniqueConstraint("service_day", "prefix", "number"),
        # Every index is one more B-tree page written and fsynced on each action it touches, so
        # they are partial: an action writes only to the indexes of the states it moves between.
        # (A query uses a partial index only if its WHERE repeats the index's condition.)
        #
        # "who is next" for one business and "how many ahead": an index seek / one counted range
        # even with thousands waiting; calling a ticket takes it out. `state` is a column too only
        # so that the count is answered from the index alone (SQLite does not see it is constant).
        Index("ix_ticket_waiting", "service_day", "business_type_id", "priority", "queue_key", "state",
              sqlite_where=text("state = 'waiting'")),
        # the ticket at a window, tickets sent or held there: open tickets (finished_at is NULL
        # exactly while a ticket is open) that have a window. A handful of rows, so calling one
        # ticket and finishing the previous one write the same page; a new ticket skips it.
        Index("ix_ticket_window", "window_id", "state",
              sqlite_where=text("window_id IS NOT NULL AND finished_at IS NULL")),
        # the console's skipped list (and expiring earlier days); skipping is not on the hot path
        Index("ix_ticket_skipped", "service_day", "business_type_id", sqlite_where=text("state = 'skipped'")),
        # recent service times for wait estimates: a seek instead of sorting the day's served tickets;
        # only the finish of a ticket writes to it
        Index("ix_ticket_served", "service_day", "business_type_id", "finished_at",
              sqlite_where=text("state = 'served'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    # no single-column indexes on service_day/state: the composite indexes above start with them,
    # and every extra index is one more B-tree write on each issue and call
    service_day: Mapped[date] = mapped_column(Date)  # the hall's local date
    prefix: Mapped[str] = mapped_column(String(2))
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(10))  # "A023": stays the same through transfers
    business_type_id: Mapped[int] = mapped_column(ForeignKey("business_type.id"))
    priority: Mapped[bool] = mapped_column(Boolean, default=False)  # 优先: elderly, disabled
    # open: waiting, called, serving, skipped, held; closed: served, cancelled, expired (an earlier
    # day's ticket still open when the hall saw a new day)
    state: Mapped[str] = mapped_column(String(20), default="waiting")
    window_id: Mapped[int | None] = mapped_column(ForeignKey("window.id"))  # called to / transferred to
    queue_key: Mapped[float] = mapped_column(default=0.0)  # ordering inside the queue (skip rules)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set exactly when closed
    call_count: Mapped[int] = mapped_column(Integer, default=0)

    business_type: Mapped[BusinessType] = relationship()
    window: Mapped[Window | None] = relationship()
    events: Mapped[list[TicketEvent]] = relationship(back_populates="ticket", order_by="TicketEvent.id")


class TicketEvent(Base):
    """Append-only story of a ticket: issued, called, recalled, skipped, transferred, served, ..."""

    __tablename__ = "ticket_event"
    __table_args__ = (
        # a window's events today (console counts, the priority-ratio streak) without reading the whole
        # history; partial, so issuing (no window yet) does not write to it
        Index("ix_ticket_event_window", "window_id", "at", sqlite_where=text("window_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # the same id as the event's outbox entry, whose unique index already guards it: not indexed
    # again here (one more B-tree page on every action, and nothing looks events up by uid)
    uid: Mapped[str] = mapped_column(String(36), default=new_uid)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    window_id: Mapped[int | None] = mapped_column(ForeignKey("window.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    business_type_id: Mapped[int | None] = mapped_column(ForeignKey("business_type.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # reason, transfer target, ...

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class Rating(Base):
    """A resident's 好差评 of one finished ticket (kiosk/services/ratings.py): one per ticket.

    No personal data: a level, reason codes and a short comment the resident chose to write.
    """

    __tablename__ = "rating"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), unique=True)
    level: Mapped[str] = mapped_column(String(20))  # sync.wire.RATING_LEVELS
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # sync.wire.RATING_REASONS
    comment: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(10), default="counter")
    window_number: Mapped[int | None] = mapped_column(Integer)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))  # who finished the ticket
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class FollowUp(Base):
    """An open 差评 follow-up of this hall as the office last sent it (for the station head)."""

    __tablename__ = "follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_uid: Mapped[str] = mapped_column(String(36), unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # sync.wire.FollowUpInfo
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- people and bookkeeping ------------------------------------------------------------------


class Staff(Base):
    """A staff account. The PIN is only ever stored as a salted slow hash."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    role: Mapped[str] = mapped_column(String(10))  # clerk, editor, head
    pin_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsoleSession(Base):
    """A counter console's sign-in on the hall's LAN API (kiosk/services/console_sessions.py),
    kept so a restart of the hall app does not sign the clerks out. Only hashes are stored: a
    copy of the cache file signs nobody in."""

    __tablename__ = "console_session"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the session key
    staff_id: Mapped[int] = mapped_column(Integer, index=True)
    stamp_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the account's PIN hash at sign-in
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the hall's next midnight
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime)  # within a minute: the idle limit counts from it


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))  # staff name, "system" or "office"
    action: Mapped[str] = mapped_column(String(40))  # login, login_failed, publish, restore, ...
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Outbox(Base):
    """Changes waiting for the street office, written in the same transaction as the change.

    `uid` is the entry's own id: the office applies an entry once however often it is sent.
    """

    __tablename__ = "outbox"
    # what the sync worker still has to send (and the count the console shows): only entries not
    # yet accepted, so it stays a handful of rows however long the outbox's history grows
    __table_args__ = (Index("ix_outbox_pending", "id", sqlite_where=text("done_at IS NULL")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    kind: Mapped[str] = mapped_column(String(40))  # ticket_event, content
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str] = mapped_column(String(20), default="")  # stored, duplicate, conflict


class SyncState(Base):
    """Small key/value facts about sync: the pull cursor, last success, the hall's id."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
