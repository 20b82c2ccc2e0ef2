"""What the office does, without HTTP: halls and tokens, publishing, push, pull, statistics.

The API (sync/office/routes/), the command line (sync/office/cli.py) and the tests call these
functions with a session; each function is one unit of work inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
import secrets
import threading
import time
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import repeat
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Text,
    and_,
    bindparam,
    cast,
    column,
    delete,
    func,
    literal_column,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync import content_rules, wire
from sync.office import content_checks, live_figures, proposals, wakeups
from sync.office.db import OFFICE_LOCK, current_txid, is_postgres
from sync.office.errors import OfficeError  # noqa: F401 - callers name it store.OfficeError
from sync.office.models import (
    AdminToken,
    ContentRecord,
    ContentRevision,
    Feed,
    Hall,
    HallReport,
    HallTag,
    Publication,
    PushEntry,
    RolledUpDay,
    Ticket,
    TicketDayFigures,
    TicketEvent,
    utcnow,
)

TOKEN_PREFIX_HALL = "yzh_"
TOKEN_PREFIX_ADMIN = "yza_"

CONTENT_MODELS = content_rules.KINDS


# --- tokens ----------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    # Tokens are 256 random bits: a plain sha256 is enough (no dictionary to guess from).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def add_hall(session: Session, name: str, code: str) -> tuple[Hall, str]:
    """Register a hall; returns it and its token (shown once, only the hash is stored)."""
    if session.scalar(select(Hall.id).where(Hall.code == code)) is not None:
        raise OfficeError(409, f"hall code {code!r} is already taken")
    token = new_token(TOKEN_PREFIX_HALL)
    hall = Hall(code=code, name=name, token_hash=hash_token(token))
    session.add(hall)
    session.flush()
    # Content published to all halls reaches a new hall too.
    uids = session.scalars(select(ContentRecord.uid).where(ContentRecord.to_all)).all()
    _publish_to(session, hall.id, uids)
    return hall, token


def new_hall_token(session: Session, code: str) -> str:
    """Give a hall a fresh token (the old one stops working); un-revokes the hall."""
    hall = _hall_by_code(session, code)
    token = new_token(TOKEN_PREFIX_HALL)
    hall.token_hash = hash_token(token)
    hall.revoked_at = None
    wakeups.note(session, wakeups.TOKENS, ["revoked"])  # the old one stops working in every process's cache
    return token


def revoke_hall(session: Session, code: str) -> Hall:
    hall = _hall_by_code(session, code)
    hall.revoked_at = utcnow()
    wakeups.note(session, wakeups.TOKENS, ["revoked"])
    return hall


def add_admin(session: Session, name: str) -> str:
    token = new_token(TOKEN_PREFIX_ADMIN)
    session.add(AdminToken(name=name, token_hash=hash_token(token)))
    return token


def revoke_admin(session: Session, name: str) -> int:
    result = session.execute(update(AdminToken).where(AdminToken.name == name, AdminToken.revoked_at.is_(None))
                             .values(revoked_at=utcnow()))
    wakeups.note(session, wakeups.TOKENS, ["revoked"])
    return result.rowcount


def admin_tokens(session: Session) -> list[AdminToken]:
    """Every admin token ever made (revoked ones too, with when), newest first."""
    return list(session.scalars(select(AdminToken).order_by(AdminToken.created_at.desc(), AdminToken.id.desc())))


def revoke_admin_id(session: Session, token_id: int) -> AdminToken:
    token = session.get(AdminToken, token_id)
    if token is None:
        raise OfficeError(404, f"no admin token #{token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        wakeups.note(session, wakeups.TOKENS, ["revoked"])
    return token


def report_state(session: Session, hall_id: int, state: wire.HallState) -> None:
    """Keep the hall's latest reported state (one row per hall, replaced)."""
    data = state.model_dump(mode="json")
    row = session.get(HallReport, hall_id)
    if row is None:
        session.add(HallReport(hall_id=hall_id, reported_at=utcnow(), data=data))
    else:
        row.data, row.reported_at = data, utcnow()


def _hall_by_code(session: Session, code: str) -> Hall:
    hall = session.scalar(select(Hall).where(Hall.code == code))
    if hall is None:
        raise OfficeError(404, f"no hall with code {code!r}")
    return hall


@dataclass(frozen=True)
class Caller:
    """Who sent a request: a hall (hall_id set) or an admin."""

    kind: str  # hall | admin
    id: int
    code: str
    name: str


def authenticate(session: Session, token: str) -> Caller | None:
    digest = hash_token(token)
    if token.startswith(TOKEN_PREFIX_ADMIN):
        admin = session.scalar(select(AdminToken).where(AdminToken.token_hash == digest,
                                                        AdminToken.revoked_at.is_(None)))
        return None if admin is None else Caller("admin", admin.id, "", admin.name)
    hall = session.scalar(select(Hall).where(Hall.token_hash == digest, Hall.revoked_at.is_(None)))
    return None if hall is None else Caller("hall", hall.id, hall.code, hall.name)


def touch_hall(session: Session, hall_id: int, every_s: float = 30.0, *, relaxed: bool = False) -> None:
    """Remember when the hall was last in touch (at most one write per `every_s` and process).

    `relaxed` (read-only requests): losing this on a crash is harmless, so PostgreSQL need not
    wait for the disk. Never in a push: what the office answered "stored" must be on disk.
    """
    mono = time.monotonic()
    # hall id -> when this process last wrote it, kept per database (engine)
    last_touch: dict[int, float] = session.get_bind().__dict__.setdefault("_yizhan_last_touch", {})
    if every_s and mono - last_touch.get(hall_id, -1e9) < every_s:
        return  # written recently by this process: skip the round trip
    last_touch[hall_id] = mono
    if relaxed and is_postgres(session):
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    session.execute(update(Hall).where(Hall.id == hall_id).values(last_seen_at=utcnow()))


# --- content ---------------------------------------------------------------------------------


def validate_record(kind: str, uid: str, data: Any, entry: str | None = None) -> dict[str, Any]:
    """Check a record with the rules every path shares; returns its canonical JSON form."""
    return content_checks.validate_record(kind, uid, data, entry)


def canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _publish_to(session: Session, hall_id: int, uids: Iterable[str]) -> int:
    """Publish records to one hall: a feed row for each one it did not have yet."""
    uids = list(uids)
    if not uids:
        return 0
    have = set(session.scalars(select(Publication.record_uid).where(
        Publication.hall_id == hall_id, Publication.record_uid.in_(uids))).all())
    new = [u for u in uids if u not in have]
    session.add_all(Publication(hall_id=hall_id, record_uid=u) for u in new)
    _feed(session, [hall_id], new)
    return len(new)


def _feed(session: Session, hall_ids: Sequence[int], uids: Sequence[str]) -> None:
    if not hall_ids or not uids:
        return
    txid = current_txid(session)
    session.execute(Feed.__table__.insert(), [
        {"txid": txid, "hall_id": h, "record_uid": u} for h in hall_ids for u in uids
    ])
    wakeups.note(session, wakeups.FEED, hall_ids)  # their waiting pulls answer once this commits


def _halls_of(session: Session, uids: Sequence[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(list)
    for hall_id, uid in session.execute(select(Publication.hall_id, Publication.record_uid)
                                        .where(Publication.record_uid.in_(uids))):
        out[uid].append(hall_id)
    return out


@dataclass
class PublishResult:
    uid: str
    version: int
    changed: bool
    halls: int


def publish(session: Session, records: Sequence[dict[str, Any]], halls: Sequence[str] | str,
            author: str = "office") -> list[PublishResult]:
    """Publish content records (each {kind, data}) to halls by code, or "all".

    A record whose data changed gets a new version, and every hall it is published to hears
    of it; a hall newly added to a record gets it whatever its version.
    """
    if halls == "all":
        target_ids = list(session.scalars(select(Hall.id)).all())
    else:
        codes = list(dict.fromkeys(halls))
        found = dict(session.execute(select(Hall.code, Hall.id).where(Hall.code.in_(codes))).all())
        missing = [c for c in codes if c not in found]
        if missing:
            raise OfficeError(404, f"no hall with code {', '.join(missing)}")
        target_ids = [found[c] for c in codes]
    results = []
    prepared = []
    for i, rec in enumerate(records):
        kind, data = rec.get("kind"), rec.get("data")
        uid = data.get("uid") if isinstance(data, dict) else None
        if not isinstance(uid, str):
            raise OfficeError(422, f"records[{i}]: data.uid is missing", str(i))
        prepared.append((kind, uid, validate_record(str(kind), uid, data, str(i))))
    uids = [u for _, u, _ in prepared]
    if len(set(uids)) != len(uids):
        twice = next(u for u in uids if uids.count(u) > 1)
        raise OfficeError(422, f"record {twice} appears twice; publish each record once", twice)
    existing = {r.uid: r for r in session.scalars(select(ContentRecord).where(ContentRecord.uid.in_(uids))
                                                  .with_for_update())}
    content_checks.check_unique_keys(session, [content_checks.Incoming(k, u, d, u) for k, u, d in prepared],
                                     target_ids, to_all=halls == "all")
    changed_uids = []
    for kind, uid, data in prepared:
        rec = existing.get(uid)
        changed = False
        if rec is None:
            rec = ContentRecord(uid=uid, kind=kind, version=1, data=data, updated_by=author, to_all=halls == "all")
            session.add(rec)
            existing[uid] = rec
            changed = True
        elif rec.data != data:
            if rec.kind != kind:
                raise OfficeError(409, f"{uid} is a {rec.kind}, not a {kind}", uid)
            rec.version += 1
            rec.data = data
            rec.updated_by = author
            rec.updated_at = utcnow()
            changed = True
        if halls == "all":
            rec.to_all = True
        if changed:
            session.add(ContentRevision(record_uid=uid, version=rec.version, data=data, author=author))
            changed_uids.append(uid)
        results.append(PublishResult(uid, rec.version, changed, len(target_ids)))
    session.flush()
    # Halls that already had a changed record hear of its new version...
    for uid, hall_ids in _halls_of(session, changed_uids).items():
        _feed(session, [h for h in hall_ids if h not in target_ids], [uid])
    # ...and the target halls get every record (new to them or changed): a few statements
    # whatever the number of halls (a city publishes to thousands at once).
    targets = set(target_ids)
    have = {(h, u) for h, u in session.execute(select(Publication.hall_id, Publication.record_uid)
                                               .where(Publication.record_uid.in_(uids))) if h in targets}
    new_pubs = [{"hall_id": h, "record_uid": u} for h in target_ids for u in uids if (h, u) not in have]
    _insert_many(session, Publication.__table__, new_pubs)
    changed_set = set(changed_uids)
    txid = current_txid(session)
    rows = [{"txid": txid, "hall_id": h, "record_uid": u} for h in target_ids for u in uids
            if (h, u) not in have or u in changed_set]
    if rows:
        _insert_many(session, Feed.__table__, rows)
        wakeups.note(session, wakeups.FEED, None if halls == "all" else {r["hall_id"] for r in rows})
    return results


def _insert_many(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows of ints and strings; on PostgreSQL as ONE statement over arrays (thousands of
    halls at once: an executemany would still be a statement per row)."""
    if not rows:
        return
    if not is_postgres(session):
        session.execute(table.insert(), rows)
        return
    names = list(rows[0])
    arrays = ", ".join(f"CAST(:{n} AS {'text' if isinstance(rows[0][n], str) else 'bigint'}[])" for n in names)
    session.execute(text(f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays})"),
                    {n: [r[n] for r in rows] for n in names})


def unpublished_guide(session: Session, uid: str) -> dict[str, Any] | None:
    rec = session.get(ContentRecord, uid)
    return rec.data if rec is not None and rec.kind == "guide" else None


# --- push ------------------------------------------------------------------------------------


def push(session: Session, hall: Caller, batch: wire.PushBatch, **rating_options: Any) -> wire.PushReply:
    """Apply a batch of outbox entries exactly once; the whole batch or nothing.

    Raises OfficeError (nothing changed) for a cross-hall entry or a reused entry id.
    """
    if batch.hall is not None and batch.hall != hall.code:
        raise OfficeError(403, f"this token belongs to hall {hall.code!r}, the batch says {batch.hall!r}")
    ids = [e.id for e in batch.entries]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise OfficeError(422, f"entry id {dup} appears twice in the batch", dup)
    digests = {e.id: hashlib.sha256(canonical(e.payload.model_dump(mode="json"))).hexdigest()
               for e in batch.entries}
    seen = {p.id: p for p in session.scalars(select(PushEntry).where(PushEntry.id.in_(ids)))} if ids else {}
    for entry_id, prior in seen.items():
        if prior.hall_id != hall.id:
            raise OfficeError(403, f"entry {entry_id} was sent by another hall", entry_id)
        if prior.digest != digests[entry_id]:
            raise OfficeError(409, f"entry id {entry_id} was already used for different content", entry_id)

    results: dict[str, wire.PushResult] = {}
    fresh = [e for e in batch.entries if e.id not in seen]
    tickets = [e for e in fresh if isinstance(e, wire.TicketEventEntry)]
    contents = [e for e in fresh if isinstance(e, wire.ContentEntry)]
    if batch.hall_state is not None:
        report_state(session, hall.id, batch.hall_state)
    ratings = [e for e in fresh if isinstance(e, wire.RatingEntry)]
    # Every push: ticket events, ratings, and the hall's "last seen" the pages show. Announced
    # with this transaction, so every server process's pages hear of it only once it commits.
    wakeups.note(session, wakeups.TICKETS, [hall.id])
    results.update(_push_tickets(session, hall, tickets))
    results.update(_push_contents(session, hall, contents))
    if ratings:  # after the tickets: a batch carries the 办结 before its rating
        from sync.office.ratings import push_ratings

        results.update(push_ratings(session, hall, ratings, **rating_options))
    for e in batch.entries:
        if e.id in seen:
            prior = seen[e.id]
            if prior.status == "proposed":
                kept = proposals.by_entry(session, e.id)
                rec = session.get(ContentRecord, e.payload.uid)  # type: ignore[union-attr]
                results[e.id] = wire.PushResult(id=e.id, status="proposed", office_version=rec.version if rec else None,
                                                office_data=rec.data if rec else None,
                                                proposal=kept.id if kept else None)
            elif prior.status == "conflict":
                rec = session.get(ContentRecord, e.payload.uid)  # type: ignore[union-attr]
                results[e.id] = wire.PushResult(id=e.id, status="conflict", office_version=rec.version if rec else None,
                                                office_data=rec.data if rec else None)
            else:
                results[e.id] = wire.PushResult(id=e.id, status="duplicate")
    if fresh:
        session.execute(PushEntry.__table__.insert(), [
            {"id": e.id, "hall_id": hall.id, "kind": e.kind, "digest": digests[e.id],
             "status": results[e.id].status, "received_at": utcnow()}
            for e in fresh
        ])
    return wire.PushReply(results=[results[e.id] for e in batch.entries])


def _push_tickets(session: Session, hall: Caller, entries: list[wire.TicketEventEntry]) -> dict[str, wire.PushResult]:
    if not entries:
        return {}
    ticket_uids = {e.payload.ticket.uid for e in entries}
    event_uids = [e.payload.event.uid for e in entries]
    tickets = {t.uid: t for t in session.scalars(select(Ticket).where(Ticket.uid.in_(ticket_uids)))}
    events = dict(session.execute(select(TicketEvent.uid, TicketEvent.hall_id)
                                  .where(TicketEvent.uid.in_(event_uids))).all())
    results = {}
    new_events = []
    now = utcnow()
    forget_roll_up(session, {e.payload.ticket.service_day for e in entries})  # a late ticket of an old day
    for e in entries:
        t, ev = e.payload.ticket, e.payload.event
        owner = tickets.get(t.uid)
        if owner is not None and owner.hall_id != hall.id:
            raise OfficeError(403, f"entry {e.id}: ticket {t.uid} belongs to another hall", e.id)
        if ev.uid in events:
            if events[ev.uid] != hall.id:
                raise OfficeError(403, f"entry {e.id}: event {ev.uid} belongs to another hall", e.id)
            results[e.id] = wire.PushResult(id=e.id, status="duplicate")
            continue
        events[ev.uid] = hall.id
        new_events.append({
            "uid": ev.uid, "hall_id": hall.id, "ticket_uid": t.uid, "seq": e.seq, "kind": ev.kind,
            "at": ev.at, "window_number": ev.window_number, "business_code": ev.business_code,
            "detail": ev.detail, "received_at": now,
        })
        snapshot = {
            "label": t.label, "prefix": t.prefix, "number": t.number, "service_day": t.service_day,
            "business_code": t.business_code, "priority": t.priority, "state": t.state,
            "window_number": t.window_number, "issued_at": t.issued_at, "called_at": t.called_at,
            "finished_at": t.finished_at, "last_seq": e.seq, "updated_at": now,
        }
        if ev.clerk is not None:  # older halls do not say; keep what an earlier event said
            snapshot["clerk"] = ev.clerk
        if owner is None:
            owner = Ticket(uid=t.uid, hall_id=hall.id, **snapshot)
            session.add(owner)
            tickets[t.uid] = owner
        elif e.seq >= owner.last_seq:
            # The hall's outbox order decides which snapshot is newer, never the clocks.
            for k, v in snapshot.items():
                setattr(owner, k, v)
        results[e.id] = wire.PushResult(id=e.id, status="stored")
    session.flush()
    if new_events:
        session.execute(TicketEvent.__table__.insert(), new_events)
    return results


def _push_contents(session: Session, hall: Caller, entries: list[wire.ContentEntry]) -> dict[str, wire.PushResult]:
    if not entries:
        return {}
    uids = list({e.payload.uid for e in entries})
    records = {r.uid: r for r in session.scalars(select(ContentRecord).where(ContentRecord.uid.in_(uids))
                                                 .with_for_update())}
    published = set(session.scalars(select(Publication.record_uid).where(
        Publication.hall_id == hall.id, Publication.record_uid.in_(uids))).all())
    results = {}
    changed: dict[str, int] = {}
    new_records: dict[str, Any] = {}  # inserted in bulk below (a day's edits can be hundreds)
    revisions: list[dict[str, Any]] = []
    now = utcnow()
    checked = {e.id: validate_record(e.payload.kind, e.payload.uid, e.payload.data, e.id) for e in entries}
    content_checks.check_unique_keys(
        session, [content_checks.Incoming(e.payload.kind, e.payload.uid, checked[e.id], e.id) for e in entries],
        [hall.id])
    shared = proposals.shared(session, [u for u in uids if u in records])
    for e in entries:
        p = e.payload
        data = checked[e.id]
        rec = records.get(p.uid)
        if rec is not None and p.uid not in published:
            raise OfficeError(403, f"entry {e.id}: {p.kind} {p.uid} is not published to this hall", e.id)
        if rec is not None and rec.kind != p.kind:
            raise OfficeError(422, f"entry {e.id}: {p.uid} is a {rec.kind}, not a {p.kind}", e.id)
        if p.version <= p.base_version:
            raise OfficeError(422, f"entry {e.id}: version {p.version} must be above base_version {p.base_version}",
                              e.id)
        if rec is not None and p.uid not in new_records and p.uid in shared:
            # Other halls have this record too: one hall does not speak for them all.
            kept = proposals.propose(session, hall.id, e, data, rec)
            results[e.id] = wire.PushResult(id=e.id, status="proposed", office_version=rec.version,
                                            office_data=rec.data, proposal=kept.id)
            continue
        if rec is None:
            # New in this hall (or a hall record the office never had): it becomes the office copy.
            rec = SimpleNamespace(uid=p.uid, kind=p.kind, version=p.version, data=data, updated_by=p.author)
            records[p.uid] = rec
            new_records[p.uid] = rec
            published.add(p.uid)
        elif rec.version == p.base_version:
            rec.version, rec.data, rec.updated_by, rec.updated_at = p.version, data, p.author, now
        elif rec.version == p.version and rec.data == data:
            results[e.id] = wire.PushResult(id=e.id, status="duplicate")
            continue
        else:
            # The office copy moved on since the hall started editing: a person must choose.
            results[e.id] = wire.PushResult(id=e.id, status="conflict", office_version=rec.version,
                                            office_data=rec.data)
            continue
        revisions.append({"record_uid": p.uid, "version": p.version, "data": data, "author": p.author,
                          "hall_id": hall.id, "created_at": now})
        changed[p.uid] = p.version
        results[e.id] = wire.PushResult(id=e.id, status="stored")
    if new_records:
        session.execute(ContentRecord.__table__.insert(), [
            {"uid": r.uid, "kind": r.kind, "version": r.version, "data": r.data, "updated_by": r.updated_by,
             "updated_at": now, "to_all": False} for r in new_records.values()])
        session.execute(Publication.__table__.insert(), [{"hall_id": hall.id, "record_uid": u} for u in new_records])
    if revisions:
        session.execute(ContentRevision.__table__.insert(), revisions)
    session.flush()
    # Every other hall that has the record hears of the new version.
    for uid, hall_ids in _halls_of(session, [u for u in changed if u not in new_records]).items():
        _feed(session, [h for h in hall_ids if h != hall.id], [uid])
    return results


# --- pull ------------------------------------------------------------------------------------


def parse_cursor(cursor: str) -> tuple[int, int]:
    if not cursor:
        return (0, 0)
    parts = cursor.split(".")
    # ASCII digits only (str.isdigit takes "٣" too), and within a signed 64-bit integer (the database's)
    if (len(parts) != 3 or parts[0] != "v1"
            or not all(re.fullmatch(r"[0-9]{1,19}", p) and int(p) <= 2**63 - 1 for p in parts[1:])):
        raise OfficeError(400, f"malformed cursor {cursor[:60]!r}; give back the cursor of the last page, "
                               "or none to start from the beginning")
    return int(parts[1]), int(parts[2])


def make_cursor(txid: int, feed_id: int) -> str:
    return f"v1.{txid}.{feed_id}"


def pull(session: Session, hall: Caller, cursor: str, limit: int = wire.DEFAULT_PULL_LIMIT) -> wire.PullPage:
    """The hall's changes after `cursor`, oldest first, only from finished transactions."""
    return pull_settled(session, hall, cursor, limit)[0]


# Feed rows below this transaction id are readable for good (PostgreSQL): no transaction that
# could still add one below it is running. That is the snapshot's xmin, except that running
# transactions of connections that are not this office's (other databases or schemas of the
# cluster: every office connection holds a lock saying so, sync/office/db.py) cannot write
# this feed and need not be waited for. One read of pg_locks (a consistent view of the lock
# table, taken after the statement's snapshot): a transaction still in the snapshot but gone
# from the locks ended meanwhile, and is waited for like an office one.
HORIZON = f"""(WITH locks AS MATERIALIZED (
    SELECT locktype, pid, transactionid::text::bigint AS xid, classid::bigint AS k1, objid::bigint AS k2,
           objsubid, database, mode FROM pg_locks
    WHERE granted AND pid IS NOT NULL AND locktype IN ('transactionid', 'advisory')),
  office AS (SELECT pid FROM locks WHERE locktype = 'advisory' AND k1 = {OFFICE_LOCK}
             AND k2 = (hashtext(current_setting('search_path'))::bigint & 4294967295) AND objsubid = 2
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())),
  foreign_xids AS (SELECT xid FROM locks WHERE locktype = 'transactionid' AND mode = 'ExclusiveLock'
                   AND pid NOT IN (SELECT pid FROM office))
  SELECT coalesce(min(x.v), pg_snapshot_xmax(pg_current_snapshot())::text::bigint)
  FROM (SELECT x::text::bigint AS v FROM pg_snapshot_xip(pg_current_snapshot()) AS x) AS x
  WHERE x.v % 4294967296 NOT IN (SELECT xid FROM foreign_xids))"""


def pull_settled(session: Session, hall: Caller, cursor: str,
                 limit: int = wire.DEFAULT_PULL_LIMIT) -> tuple[wire.PullPage, bool]:
    """pull, and whether the page is settled: no committed row after it waits to become readable
    (see below). A waiting hall's office may trust a settled empty page until a wake-up."""
    after = parse_cursor(cursor)
    limit = max(1, min(limit, wire.MAX_PULL_LIMIT))
    postgres = is_postgres(session)
    q = (select(Feed.txid, Feed.id, Feed.record_uid,
                literal_column(HORIZON if postgres else "NULL").label("xmin"))
         .where(Feed.hall_id == hall.id, tuple_(Feed.txid, Feed.id) > tuple_(*after))
         .order_by(Feed.txid, Feed.id).limit(limit + 1))
    rows, settled = _readable(session.execute(q).all())
    return _page(cursor, rows, limit, _records(session, {r.record_uid for r in rows})), settled


def _readable(rows: Sequence[Any]) -> tuple[list[Any], bool]:
    """Only rows of finished transactions: every transaction below the snapshot's xmin is done,
    and every later one gets a larger id, so nothing can appear behind the cursor. Rows are in
    txid order, so the readable ones come first; a row after them (committed, but an older
    transaction still runs) makes the page unsettled. (SQLite: xmin NULL, every row readable.)"""
    readable = [r for r in rows if r.xmin is None or r.txid < r.xmin]
    return readable, len(readable) == len(rows)


def _records(session: Session, uids: set[str]) -> dict[str, Any]:
    if not uids:
        return {}
    return {r.uid: r for r in session.scalars(select(ContentRecord).where(ContentRecord.uid.in_(uids)))}


def _page(cursor: str, rows: Sequence[Any], limit: int, records: dict[str, Any],
          made: dict[str, wire.Change] | None = None) -> wire.PullPage:
    """A page from feed rows (txid, id, record_uid), at most `limit` of them (one more: `more`).
    `made`: changes already built for other halls' pages (a publish to thousands: one each)."""
    more = len(rows) > limit
    rows = rows[:limit]
    if not rows:
        return wire.PullPage(changes=[], cursor=cursor or make_cursor(0, 0), more=False,
                             office_time=utcnow())
    uids = list(dict.fromkeys(r.record_uid for r in rows))
    made = {} if made is None else made
    changes = []
    for u in uids:
        if u in records:
            if u not in made:
                made[u] = wire.Change(kind=records[u].kind, uid=u, version=records[u].version, data=records[u].data)
            changes.append(made[u])
    last = rows[-1]
    return wire.PullPage(changes=changes, cursor=make_cursor(last.txid, last.id), more=more, office_time=utcnow())


def pull_many(session: Session, wants: Sequence[tuple[int, str, int]]
              ) -> dict[tuple[int, str, int], tuple[wire.PullPage, bool]]:
    """The pages of many halls at once, each (hall id, cursor, limit) -> (its page, settled): ONE
    feed query and one record query for all of them (thousands of halls woken by one publish),
    with pull's rule that only finished transactions are read."""
    if not wants:
        return {}
    parsed = {w: parse_cursor(w[1]) for w in wants}
    top = max(min(max(1, w[2]), wire.MAX_PULL_LIMIT) for w in wants) + 1
    found: dict[tuple[int, int, int], list[Any]] = defaultdict(list)
    keys = list(dict.fromkeys((w[0], *parsed[w]) for w in wants))
    if is_postgres(session):
        q = text(
            f"SELECT w.hall_id, w.txid AS after_txid, w.id AS after_id, f.txid, f.id, f.record_uid, {HORIZON} AS xmin "
            "FROM unnest(CAST(:halls AS bigint[]), CAST(:txids AS bigint[]), CAST(:ids AS bigint[])) "
            "AS w(hall_id, txid, id) "
            "CROSS JOIN LATERAL (SELECT feed.txid, feed.id, feed.record_uid FROM feed "
            "  WHERE feed.hall_id = w.hall_id AND (feed.txid, feed.id) > (w.txid, w.id) "
            "  ORDER BY feed.txid, feed.id LIMIT :top) AS f "
            "ORDER BY f.txid, f.id")
        result = session.execute(q, {"halls": [k[0] for k in keys], "txids": [k[1] for k in keys],
                                     "ids": [k[2] for k in keys], "top": top})
        chunks = [result.all()]
    else:
        chunks = []
        for i in range(0, len(keys), 300):  # SQLite's limit on bound parameters
            part = keys[i:i + 300]
            values = ", ".join(f"(:h{j}, :t{j}, :i{j})" for j in range(len(part)))
            params: dict[str, int] = {"top": top}
            for j, (h, t, n) in enumerate(part):
                params.update({f"h{j}": h, f"t{j}": t, f"i{j}": n})
            q = text(
                f"WITH w(hall_id, txid, id) AS (VALUES {values}) "
                "SELECT hall_id, after_txid, after_id, txid, id, record_uid, NULL AS xmin FROM ("
                "  SELECT w.hall_id, w.txid AS after_txid, w.id AS after_id, f.txid, f.id, f.record_uid, "
                "    ROW_NUMBER() OVER (PARTITION BY w.hall_id, w.txid, w.id ORDER BY f.txid, f.id) AS n "
                "  FROM w JOIN feed f ON f.hall_id = w.hall_id AND (f.txid, f.id) > (w.txid, w.id)) "
                "WHERE n <= :top ORDER BY txid, id")
            chunks.append(session.execute(q, params).all())
    for rows in chunks:
        for r in rows:
            found[(r.hall_id, r.after_txid, r.after_id)].append(r)
    readable = {k: _readable(rows) for k, rows in found.items()}
    records = _records(session, {r.record_uid for rows, _ in readable.values() for r in rows})
    out = {}
    made: dict[str, wire.Change] = {}
    for w in wants:
        rows, settled = readable.get((w[0], *parsed[w]), ([], True))
        out[w] = (_page(w[1], rows, max(1, min(w[2], wire.MAX_PULL_LIMIT)), records, made), settled)
    return out


def touch_halls(session: Session, hall_ids: Sequence[int]) -> None:
    """Halls waiting at the office are in touch: one statement for all of them (not synchronous:
    losing it on a crash is harmless)."""
    if not hall_ids:
        return
    if is_postgres(session):
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        # one array parameter: thousands of bound parameters cost more to build than the update
        ids = bindparam("ids", list(hall_ids), type_=ARRAY(BigInteger))
        session.execute(update(Hall).where(Hall.id == func.any(ids)).values(last_seen_at=utcnow())
                        .execution_options(synchronize_session=False))
        return
    session.execute(update(Hall).where(Hall.id.in_(list(hall_ids))).values(last_seen_at=utcnow()))


# --- public pages and statistics -------------------------------------------------------------


@dataclass
class TicketStatus:
    label: str
    business_code: str
    business_name: str
    state: str
    window_number: int | None
    people_ahead: int | None
    issued_at: datetime
    hall_name: str
    hall_last_seen: datetime | None


def high_water(session: Session, hall: Caller, day: date) -> wire.HighWater:
    """The highest number per prefix among the tickets this hall pushed for `day` (its own only)."""
    rows = session.execute(select(Ticket.prefix, func.max(Ticket.number))
                           .where(Ticket.hall_id == hall.id, Ticket.service_day == day).group_by(Ticket.prefix))
    return wire.HighWater(hall=hall.code, day=day, numbers={p: int(n) for p, n in rows})


def ticket_status(session: Session, uid: str) -> TicketStatus | None:
    t = session.get(Ticket, uid)
    if t is None:
        return None
    hall = session.get(Hall, t.hall_id)
    ahead = None
    if t.state == "waiting":
        same = (Ticket.hall_id == t.hall_id, Ticket.service_day == t.service_day,
                Ticket.business_code == t.business_code, Ticket.state == "waiting", Ticket.uid != t.uid)
        earlier = Ticket.issued_at < t.issued_at
        # Priority tickets (elderly, disabled) go first; within a kind, the earlier ticket.
        before = and_(Ticket.priority.is_(True), earlier) if t.priority else or_(Ticket.priority.is_(True), earlier)
        ahead = session.scalar(select(func.count()).select_from(Ticket).where(*same, before))
    names = business_names(session, t.hall_id)
    return TicketStatus(t.label, t.business_code, names.get(t.business_code, t.business_code),
                        t.state, t.window_number, ahead, t.issued_at, hall.name if hall else "",
                        hall.last_seen_at if hall else None)


def business_names(session: Session, hall_id: int) -> dict[str, str]:
    """Business code -> name as this hall has them (published to it or its own): another hall's
    business type with the same code must not change what this hall's residents read."""
    rows = session.scalars(select(ContentRecord.data).join(
        Publication, Publication.record_uid == ContentRecord.uid).where(
        ContentRecord.kind == "business_type", Publication.hall_id == hall_id)).all()
    return {d.get("code", ""): d.get("name", "") for d in rows if isinstance(d, dict)}


@dataclass
class StatRow:
    hall: str
    business: str
    day: date
    tickets: int
    served: int
    avg_wait_min: float | None
    avg_service_min: float | None


# What a ticket's state counts as in the figures.
NOT_SHOWN = ("skipped", "expired")  # called but the resident never came, or the day ended
STILL_WAITING = ("waiting", "called", "held")
DIMENSIONS = ("hall", "business", "window", "clerk", "day")


@dataclass
class Figures:
    """The figures of one group of tickets (one hall, business, window, clerk and/or day)."""

    key: dict[str, Any]
    issued: int
    served: int
    not_shown: int
    waiting: int
    avg_wait_min: float | None
    avg_service_min: float | None
    median_service_min: float | None
    p90_service_min: float | None


def minutes_between(session: Session, start: Any, end: Any) -> Any:
    """SQL for the minutes from `start` to `end` (NULL if either is NULL), per backend."""
    if is_postgres(session):
        return func.extract("epoch", end - start) / 60.0
    return (func.julianday(end) - func.julianday(start)) * 1440.0


def _percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """The q-th percentile by linear interpolation (as numpy's default and PostgreSQL's percentile_cont)."""
    if not sorted_values:
        return None
    pos = (len(sorted_values) - 1) * q
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


# Days at least this old (in UTC dates) are rolled up (in the background, sync/office/rollup.py);
# younger ones are always counted live. A hall's day (China, UTC+8) is never behind the UTC date,
# so today's tickets never touch the roll-up; a ticket for an older day drops that day's roll-up
# (forget_roll_up) and the day is counted live until it is rolled up again.
ROLL_UP_AFTER_DAYS = 1


def _filters(q: Any, day_column: Any, since: date | None, until: date | None, hall_code: str | None,
             hall_codes: Sequence[str] | None) -> Any:
    if since:
        q = q.where(day_column >= since)
    if until:
        q = q.where(day_column <= until)
    if hall_code:
        q = q.where(Hall.code == hall_code)
    if hall_codes is not None:
        q = q.where(Hall.code.in_(list(hall_codes)))
    return q


Ranges = Sequence[tuple[date | None, date | None]]  # days from, to (None: open)


def _live_select(session: Session, by: Sequence[str], ranges: Ranges, hall_code: str | None,
                 hall_codes: Sequence[str] | None, hall_ids: Sequence[int] | None = None) -> Any:
    """The tickets of these days: hall id, the `by` columns, state, wait and service minutes."""
    columns = {"hall": Hall.code, "business": Ticket.business_code, "window": Ticket.window_number,
               "clerk": Ticket.clerk, "day": Ticket.service_day}
    # Durations are computed by the database: reading three timestamps per ticket into Python
    # costs more than the whole query.
    q = (select(Ticket.hall_id, *(columns[d] for d in by), Ticket.state,
                minutes_between(session, Ticket.issued_at, Ticket.called_at),
                minutes_between(session, Ticket.called_at, Ticket.finished_at))
         .join(Hall, Hall.id == Ticket.hall_id))
    # One index range per stretch of days (the rolled-up days between are not read).
    stretches = [[*([Ticket.service_day >= lo] if lo else []), *([Ticket.service_day <= hi] if hi else [])]
                 for lo, hi in ranges]
    if all(stretches):  # (an open range is every day)
        q = q.where(or_(*(and_(*c) for c in stretches)))
    if hall_ids is not None:
        q = q.where(Ticket.hall_id.in_(list(hall_ids)))
    return _filters(q, Ticket.service_day, None, None, hall_code, hall_codes)


def ticket_parts(session: Session, by: Sequence[str], ranges: Ranges, hall_code: str | None = None,
                 hall_codes: Sequence[str] | None = None, *, cached: bool = True) -> dict[int, dict[tuple[Any, ...], list[Any]]]:
    """The tickets of these days per hall id, grouped by `by`: per group [issued, served, not
    shown, waiting, wait sum, waits, service times (sorted), their _service_total]. Kept between
    requests where the database has a live_figures cache (`cached`): only the halls whose tickets
    changed are read again. Shared with that cache: read, never change."""
    n = len(by)

    def read(hall_ids: Sequence[int] | None) -> dict[int, dict[tuple[Any, ...], list[Any]]]:
        parts: dict[int, dict[tuple[Any, ...], list[Any]]] = defaultdict(dict)
        for row in session.execute(_live_select(session, by, ranges, hall_code, hall_codes, hall_ids)):
            part = parts[row[0]]
            a = part.get(row[1:n + 1])
            if a is None:
                a = part[tuple(row[1:n + 1])] = [0, 0, 0, 0, 0.0, 0, []]
            _count(a, *row[n + 1:])
        for part in parts.values():  # kept sorted, with their exact sum: requests only merge
            for a in part.values():
                a[6].sort()
                a.append(_service_total(a[6]))
        return parts

    if not ranges:
        return {}
    cache = live_figures.of(session) if cached else None
    if cache is None:
        return read(None)
    key = ("parts", tuple(by), tuple(ranges), hall_code, tuple(hall_codes) if hall_codes is not None else None)
    return cache.parts(key, read)


def _live(session: Session, by: Sequence[str], since: date | None, until: date | None, hall_code: str | None,
          hall_codes: Sequence[str] | None, acc: dict[tuple[Any, ...], list[Any]], *,
          skip_days: Sequence[date] = (), cached: bool = True) -> None:
    """Add the tickets themselves (but those of `skip_days`, rolled up) to the accumulator."""
    ranges = _gaps(skip_days, since, until) if skip_days else [(since, until)]
    for part in ticket_parts(session, by, ranges, hall_code, hall_codes, cached=cached).values():
        for key, a in part.items():
            b = acc.get(key)
            if b is None:
                acc[key] = [*a[:6], list(a[6]), a[7]]
            else:
                for i in range(6):
                    b[i] += a[i]
                b[6].extend(a[6])
                b[7] += a[7]


def _gaps(days: Sequence[date], since: date | None, until: date | None) -> list[tuple[date | None, date | None]]:
    """The ranges of [since, until] (None: open) not covered by `days` (sorted, within the range)."""
    out: list[tuple[date | None, date | None]] = []
    lo = since
    for d in days:
        if (lo is None or d > lo) and d > date.min:  # (a hall with a wrong clock: a ticket of the year 1)
            out.append((lo, d - timedelta(days=1)))
        if d == date.max:
            return out
        lo = d + timedelta(days=1)
    if until is None or lo is None or lo <= until:
        out.append((lo, until))
    return out


def _count(a: list[Any], state: str, wait: float | None, service: float | None) -> None:
    """One ticket into a group's [issued, served, not shown, waiting, wait sum, waits, service times]."""
    a[0] += 1
    if state == "served":
        a[1] += 1
        if service is not None:
            a[6].append(round(float(service), 4))
    elif state in NOT_SHOWN:
        a[2] += 1
    elif state in STILL_WAITING:
        a[3] += 1
    if wait is not None:
        a[4] += float(wait)
        a[5] += 1


def _rolled(session: Session, by: Sequence[str], days: Sequence[date], hall_code: str | None,
            hall_codes: Sequence[str] | None, acc: dict[tuple[Any, ...], list[Any]]) -> None:
    """Add these rolled-up days to the accumulator (service times unsorted)."""
    f = TicketDayFigures
    columns = {"hall": Hall.code, "business": f.business_code, "window": f.window_number, "clerk": f.clerk,
               "day": f.service_day}
    # The service times as the stored JSON text, parsed once per group: a month of a thousand
    # halls is 120,000 rows, and a JSON parse per row cost most of the time.
    q = (select(*(columns[d] for d in by), f.issued, f.served, f.not_shown, f.waiting, f.wait_sum, f.wait_n,
                cast(f.services, Text)).join(Hall, Hall.id == f.hall_id).where(f.service_day.in_(list(days))))
    n = len(by)
    texts: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for row in session.execute(_filters(q, f.service_day, None, None, hall_code, hall_codes)):
        key = tuple(row[:n])
        a = acc.get(key)
        if a is None:
            a = acc[key] = [0, 0, 0, 0, 0.0, 0, array("d")]
        for i in range(6):
            a[i] += row[n + i]
        inner = row[n + 6].strip()[1:-1].strip()
        if inner:
            texts[key].append(inner)
    for key, parts in texts.items():
        acc[key][6].extend(json.loads("[" + ",".join(parts) + "]"))


# The rolled-up part of the last few questions, per process: a month of a thousand halls is a
# million service times to merge. An entry is used only while the days it covers are rolled up
# exactly as then (same days, same times): a late ticket drops a day's mark, and a new key.
_ROLLED_CACHE: dict[tuple[Any, ...], dict[tuple[Any, ...], list[Any]]] = {}
_ROLLED_CACHE_SIZE = 8
_ROLLED_LOCK = threading.Lock()


def _rolled_cached(session: Session, by: Sequence[str], marks: Sequence[tuple[date, datetime]],
                   hall_code: str | None, hall_codes: Sequence[str] | None) -> dict[tuple[Any, ...], list[Any]]:
    """The rolled-up days `marks` (day, when rolled up), grouped by `by`: per group the six sums
    and the sorted service times. Shared, read only: the live days are merged in, not appended."""
    key = (id(session.get_bind()), tuple(by), tuple(marks), hall_code,
           tuple(hall_codes) if hall_codes is not None else None)
    with _ROLLED_LOCK:
        hit = _ROLLED_CACHE.get(key)
    if hit is None:
        hit = {}
        _rolled(session, by, [d for d, _at in marks], hall_code, hall_codes, hit)
        for a in hit.values():
            a[6] = array("d", sorted(a[6]))
            a.append(_service_total(a[6]))
        with _ROLLED_LOCK:
            while len(_ROLLED_CACHE) >= _ROLLED_CACHE_SIZE:
                _ROLLED_CACHE.pop(next(iter(_ROLLED_CACHE)))
            _ROLLED_CACHE[key] = hit
    return hit


def _service_total(services: Iterable[float]) -> int:
    """The sum of service minutes in 1/10,000 minutes (they are rounded to 4 places): an exact
    integer, so a sum made of parts (rolled-up and live) equals the sum made at once."""
    return sum(map(round, map(operator.mul, services, repeat(10000))))


def _kth(a: Sequence[float], b: Sequence[float], k: int) -> float:
    """The k-th smallest (from 0) of two sorted sequences together, without merging them: a
    month of a hall's service times is thousands, today's a few dozen."""
    lo, hi = max(0, k + 1 - len(b)), min(k + 1, len(a))
    while lo < hi:  # i values from a, k + 1 - i from b make up the k + 1 smallest
        i = (lo + hi) // 2
        j = k + 1 - i
        if j > 0 and i < len(a) and b[j - 1] > a[i]:
            lo = i + 1
        else:
            hi = i
    i, j = lo, k + 1 - lo
    return max(a[i - 1] if i > 0 else float("-inf"), b[j - 1] if j > 0 else float("-inf"))


def _percentile2(a: Sequence[float], b: Sequence[float], q: float) -> float | None:
    """_percentile of two sorted sequences taken together."""
    n = len(a) + len(b)
    if not n:
        return None
    pos = (n - 1) * q
    low = int(pos)
    high = min(low + 1, n - 1)
    lo_v = _kth(a, b, low)
    return lo_v + (_kth(a, b, high) - lo_v) * (pos - low)


def roll_up_days(session: Session, days: Iterable[date]) -> int:
    """Roll up these days (every hall), replacing what was there; returns the rows written."""
    written = 0
    for day in days:
        session.execute(delete(TicketDayFigures).where(TicketDayFigures.service_day == day))
        session.execute(delete(RolledUpDay).where(RolledUpDay.service_day == day))
        acc: dict[tuple[Any, ...], list[Any]] = {}
        q = (select(Ticket.hall_id, Ticket.business_code, Ticket.window_number, Ticket.clerk, Ticket.state,
                    minutes_between(session, Ticket.issued_at, Ticket.called_at),
                    minutes_between(session, Ticket.called_at, Ticket.finished_at))
             .where(Ticket.service_day == day))
        for hall_id, business, window, clerk, state, wait, service in session.execute(q):
            _count(acc.setdefault((hall_id, business, window, clerk), [0, 0, 0, 0, 0.0, 0, []]), state, wait, service)
        if acc:
            session.execute(TicketDayFigures.__table__.insert(), [
                {"hall_id": k[0], "service_day": day, "business_code": k[1], "window_number": k[2], "clerk": k[3],
                 "issued": a[0], "served": a[1], "not_shown": a[2], "waiting": a[3], "wait_sum": a[4],
                 "wait_n": a[5], "services": a[6]} for k, a in acc.items()])
        session.add(RolledUpDay(service_day=day, rolled_up_at=utcnow()))
        written += len(acc)
    return written


def ticket_days(session: Session, first: date, last: date) -> list[date]:
    """The days from `first` to `last` that have tickets: one index step per such day (a range
    from the year 1 to 9999 with a month of tickets is a month of steps, not a scan)."""
    q = text(
        "WITH RECURSIVE d(day) AS ("
        " SELECT min(service_day) FROM ticket WHERE service_day >= :first AND service_day <= :last"
        " UNION ALL"
        " SELECT (SELECT min(t.service_day) FROM ticket t WHERE t.service_day > d.day AND t.service_day <= :last)"
        " FROM d WHERE d.day IS NOT NULL"
        ") SELECT day FROM d WHERE day IS NOT NULL"
    ).bindparams(bindparam("first", type_=Date), bindparam("last", type_=Date)).columns(column("day", Date))
    return list(session.scalars(q, {"first": first, "last": last}))


def days_to_roll_up(session: Session, first: date | None = None) -> list[date]:
    """Finished days that have tickets and no roll-up (yet, or any more after a late ticket)."""
    cutoff = utcnow().date() - timedelta(days=ROLL_UP_AFTER_DAYS)
    first = first or session.scalar(select(func.min(Ticket.service_day)))
    if first is None or first > cutoff:
        return []
    done = set(session.scalars(select(RolledUpDay.service_day).where(RolledUpDay.service_day >= first)))
    return [d for d in ticket_days(session, first, cutoff) if d not in done]


def roll_up_finished(session_factory: Any, *, max_days: int | None = None) -> int:
    """Roll up the finished days that are not, one transaction per day (the write lock of an
    SQLite office is held for one day's tickets at a time); returns the days rolled up. Run by
    the server in the background (sync/office/rollup.py), never by a request."""
    with session_factory() as s:
        days = days_to_roll_up(s)
    if max_days is not None:
        days = days[:max_days]
    done = 0
    for day in days:
        try:
            with session_factory.begin() as s:
                if s.get(RolledUpDay, day) is not None:
                    continue  # another process was first
                roll_up_days(s, [day])
            done += 1
        except IntegrityError:  # another process rolled up the same day at the same moment
            continue
    return done


def ticket_figures(session: Session, since: date | None = None, until: date | None = None,
                   hall_code: str | None = None, by: Sequence[str] = ("hall", "business", "day"),
                   hall_codes: Sequence[str] | None = None, *, roll_up: bool = True) -> list[Figures]:
    """Tickets grouped by any of hall, business, window, clerk and day: issued, served, not shown,
    still waiting, mean waiting (issue → call) and service (call → end) minutes, and the median
    and 90th percentile of the service minutes. One computation for the API, the console and CSV.

    Days already rolled up (roll_up_finished, in the background) come from the roll-up, every
    other day from the tickets themselves; `roll_up=False` counts every ticket live. Only reads.
    """
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown:
        raise OfficeError(422, f"cannot group by {', '.join(unknown)}; use {', '.join(DIMENSIONS)}")
    rolled: dict[tuple[Any, ...], list[Any]] = {}
    marks: list[tuple[date, datetime]] = []
    if roll_up:
        q = select(RolledUpDay.service_day, RolledUpDay.rolled_up_at).order_by(RolledUpDay.service_day)
        if since:
            q = q.where(RolledUpDay.service_day >= since)
        if until:
            q = q.where(RolledUpDay.service_day <= until)
        marks = [(d, at) for d, at in session.execute(q)]
        if marks:
            rolled = _rolled_cached(session, by, marks, hall_code, hall_codes)
    live: dict[tuple[Any, ...], list[Any]] = {}
    _live(session, by, since, until, hall_code, hall_codes, live, skip_days=[d for d, _at in marks], cached=roll_up)
    out = []

    def order(key: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple((v is None, v if v is not None else 0) for v in key)

    empty = array("d")
    for key in sorted(rolled.keys() | live.keys(), key=order):
        r, v = rolled.get(key), live.get(key)
        sums = [x + y for x, y in zip(r[:6], v[:6], strict=True)] if r and v else list((r or v)[:6])  # type: ignore[index]
        old = r[6] if r else empty
        new = sorted(v[6]) if v else []  # sorted runs, one per hall: near linear
        n = len(old) + len(new)
        total = (r[7] if r else 0) + (v[7] if v else 0)
        median, p90 = _percentile2(old, new, 0.5), _percentile2(old, new, 0.9)
        out.append(Figures(
            dict(zip(by, key, strict=True)), sums[0], sums[1], sums[2], sums[3],
            round(sums[4] / sums[5], 1) if sums[5] else None,
            round(total / 10000 / n, 1) if n else None,
            round(median, 1) if median is not None else None, round(p90, 1) if p90 is not None else None))
    return out


def forget_roll_up(session: Session, days: Iterable[date]) -> None:
    """Tickets of these days changed: their roll-up is made again when next asked for."""
    # The cutoff now is never earlier than when any day was rolled up: every rolled-up day is caught.
    cutoff = utcnow().date() - timedelta(days=ROLL_UP_AFTER_DAYS)
    old = sorted({d for d in days if d <= cutoff})
    if old:
        session.execute(delete(RolledUpDay).where(RolledUpDay.service_day.in_(old)))


def statistics(session: Session, since: date | None = None, until: date | None = None,
               hall_code: str | None = None) -> list[StatRow]:
    """Tickets per hall, business and day, with mean waiting (issue → call) and service (call → end)."""
    return [StatRow(f.key["hall"], f.key["business"], f.key["day"], f.issued, f.served, f.avg_wait_min,
                    f.avg_service_min)
            for f in ticket_figures(session, since, until, hall_code, ("hall", "business", "day"))]


# --- hall tags ---------------------------------------------------------------------------------


def set_hall_tags(session: Session, code: str, tags: Iterable[str]) -> list[str]:
    """Replace a hall's tags (e.g. its 街道 and 区); each 1-40 characters, no commas."""
    hall = _hall_by_code(session, code)
    clean = []
    for tag in tags:
        tag = tag.strip()
        if not tag:
            continue
        if len(tag) > 40 or "," in tag or "，" in tag or any(not ch.isprintable() for ch in tag):
            raise OfficeError(422, f"tag {tag[:50]!r}: at most 40 printable characters, no commas")
        clean.append(tag)
    clean = list(dict.fromkeys(clean))
    session.execute(delete(HallTag).where(HallTag.hall_id == hall.id))
    session.add_all(HallTag(hall_id=hall.id, tag=t) for t in clean)
    return clean


def hall_tags(session: Session) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for hall_id, tag in session.execute(select(HallTag.hall_id, HallTag.tag).order_by(HallTag.tag)):
        out[hall_id].append(tag)
    return out


def halls_tagged(session: Session, tags: Iterable[str]) -> list[str]:
    """Codes of the halls that carry any of `tags`."""
    tags = list(tags)
    return list(session.scalars(select(Hall.code).join(HallTag, HallTag.hall_id == Hall.id)
                                .where(HallTag.tag.in_(tags)).distinct().order_by(Hall.code)))


def forget_feed_before(session: Session, hall_id: int, keep_after: tuple[int, int]) -> int:
    """Housekeeping: drop a hall's feed rows it has already pulled (not called automatically)."""
    result = session.execute(delete(Feed).where(Feed.hall_id == hall_id,
                                                tuple_(Feed.txid, Feed.id) <= tuple_(*keep_after)))
    return result.rowcount
