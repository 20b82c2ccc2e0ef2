"""What the office does, without HTTP: halls and tokens, publishing, push, pull, statistics.

The API (sync/office/api.py), the command line (sync/office/cli.py) and the tests call these
functions with a session; each function is one unit of work inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, delete, func, literal_column, or_, select, text, tuple_, update
from sqlalchemy.orm import Session

from sync import content as content_models
from sync import wire
from sync.office import wakeups
from sync.office.db import current_txid, is_postgres
from sync.office.models import (
    AdminToken,
    ContentRecord,
    ContentRevision,
    Feed,
    Hall,
    Publication,
    PushEntry,
    Ticket,
    TicketEvent,
    utcnow,
)

TOKEN_PREFIX_HALL = "yzh_"
TOKEN_PREFIX_ADMIN = "yza_"

CONTENT_MODELS = {
    "guide": content_models.Guide,
    "category": content_models.Category,
    "business_type": content_models.BusinessType,
    "window": content_models.Window,
    "notice": content_models.Notice,
}


class OfficeError(Exception):
    """A request the office refuses; `status` is the HTTP status, `entry` the entry to blame."""

    def __init__(self, status: int, message: str, entry: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.entry = entry


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
    return token


def revoke_hall(session: Session, code: str) -> Hall:
    hall = _hall_by_code(session, code)
    hall.revoked_at = utcnow()
    return hall


def add_admin(session: Session, name: str) -> str:
    token = new_token(TOKEN_PREFIX_ADMIN)
    session.add(AdminToken(name=name, token_hash=hash_token(token)))
    return token


def revoke_admin(session: Session, name: str) -> int:
    result = session.execute(update(AdminToken).where(AdminToken.name == name, AdminToken.revoked_at.is_(None))
                             .values(revoked_at=utcnow()))
    return result.rowcount


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
    """Check a record against the content models; returns its canonical JSON form."""
    model = CONTENT_MODELS.get(kind)
    if model is None:
        raise OfficeError(422, f"unknown content kind {kind!r}; expected one of {', '.join(CONTENT_MODELS)}", entry)
    if not isinstance(data, dict):
        raise OfficeError(422, f"{kind} {uid}: data must be an object", entry)
    if len(canonical(data)) > wire.MAX_RECORD_BYTES:
        raise OfficeError(413, f"{kind} {uid}: record larger than {wire.MAX_RECORD_BYTES} bytes", entry)
    try:
        record = model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(record)"
        raise OfficeError(422, f"{kind} {uid}: field {where}: {first['msg']} "
                               f"({len(exc.errors())} problem(s))", entry) from None
    if record.uid != uid:
        raise OfficeError(422, f"{kind} {uid}: data.uid is {record.uid}, not the record's uid", entry)
    return record.model_dump(mode="json")


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
    wakeups.note(session, "feed", hall_ids)  # their waiting pulls answer once this commits


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
        wakeups.note(session, "feed", None if halls == "all" else {r["hall_id"] for r in rows})
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


def push(session: Session, hall: Caller, batch: wire.PushBatch) -> wire.PushReply:
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
    results.update(_push_tickets(session, hall, tickets))
    results.update(_push_contents(session, hall, contents))
    for e in batch.entries:
        if e.id in seen:
            prior = seen[e.id]
            if prior.status == "conflict":
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
    for e in entries:
        p = e.payload
        data = validate_record(p.kind, p.uid, p.data, e.id)
        rec = records.get(p.uid)
        if rec is not None and p.uid not in published:
            raise OfficeError(403, f"entry {e.id}: {p.kind} {p.uid} is not published to this hall", e.id)
        if rec is not None and rec.kind != p.kind:
            raise OfficeError(422, f"entry {e.id}: {p.uid} is a {rec.kind}, not a {p.kind}", e.id)
        if p.version <= p.base_version:
            raise OfficeError(422, f"entry {e.id}: version {p.version} must be above base_version {p.base_version}",
                              e.id)
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


XMIN = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"


def pull_settled(session: Session, hall: Caller, cursor: str,
                 limit: int = wire.DEFAULT_PULL_LIMIT) -> tuple[wire.PullPage, bool]:
    """pull, and whether the page is settled: no committed row after it waits to become readable
    (see below). A waiting hall's office may trust a settled empty page until a wake-up."""
    after = parse_cursor(cursor)
    limit = max(1, min(limit, wire.MAX_PULL_LIMIT))
    postgres = is_postgres(session)
    q = (select(Feed.txid, Feed.id, Feed.record_uid,
                literal_column(XMIN if postgres else "NULL").label("xmin"))
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


def _page(cursor: str, rows: Sequence[Any], limit: int, records: dict[str, Any]) -> wire.PullPage:
    """A page from feed rows (txid, id, record_uid), at most `limit` of them (one more: `more`)."""
    more = len(rows) > limit
    rows = rows[:limit]
    if not rows:
        return wire.PullPage(changes=[], cursor=cursor or make_cursor(0, 0), more=False,
                             office_time=utcnow())
    uids = list(dict.fromkeys(r.record_uid for r in rows))
    changes = [wire.Change(kind=records[u].kind, uid=u, version=records[u].version, data=records[u].data)
               for u in uids if u in records]
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
            f"SELECT w.hall_id, w.txid AS after_txid, w.id AS after_id, f.txid, f.id, f.record_uid, {XMIN} AS xmin "
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
    for w in wants:
        rows, settled = readable.get((w[0], *parsed[w]), ([], True))
        out[w] = (_page(w[1], rows, max(1, min(w[2], wire.MAX_PULL_LIMIT)), records), settled)
    return out


def touch_halls(session: Session, hall_ids: Sequence[int]) -> None:
    """Halls waiting at the office are in touch: one statement for all of them (not synchronous:
    losing it on a crash is harmless)."""
    if not hall_ids:
        return
    if is_postgres(session):
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
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
    return TicketStatus(t.label, t.business_code, business_names(session).get(t.business_code, t.business_code),
                        t.state, t.window_number, ahead, t.issued_at, hall.name if hall else "",
                        hall.last_seen_at if hall else None)


def business_names(session: Session) -> dict[str, str]:
    rows = session.scalars(select(ContentRecord.data).where(ContentRecord.kind == "business_type")).all()
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


def statistics(session: Session, since: date | None = None, until: date | None = None,
               hall_code: str | None = None) -> list[StatRow]:
    """Tickets per hall, business and day, with mean waiting (issue → call) and service (call → end)."""
    q = select(Ticket, Hall.code).join(Hall, Hall.id == Ticket.hall_id)
    if since:
        q = q.where(Ticket.service_day >= since)
    if until:
        q = q.where(Ticket.service_day <= until)
    if hall_code:
        q = q.where(Hall.code == hall_code)
    groups: dict[tuple[str, str, date], list[Ticket]] = defaultdict(list)
    for t, code in session.execute(q):
        groups[(code, t.business_code, t.service_day)].append(t)
    rows = []
    for (code, business, day), ts in sorted(groups.items()):
        waits = [(t.called_at - t.issued_at).total_seconds() / 60 for t in ts if t.called_at]
        services = [(t.finished_at - t.called_at).total_seconds() / 60 for t in ts
                    if t.called_at and t.finished_at and t.state == "served"]
        rows.append(StatRow(code, business, day, len(ts), sum(1 for t in ts if t.state == "served"),
                            round(sum(waits) / len(waits), 1) if waits else None,
                            round(sum(services) / len(services), 1) if services else None))
    return rows


def forget_feed_before(session: Session, hall_id: int, keep_after: tuple[int, int]) -> int:
    """Housekeeping: drop a hall's feed rows it has already pulled (not called automatically)."""
    result = session.execute(delete(Feed).where(Feed.hall_id == hall_id,
                                                tuple_(Feed.txid, Feed.id) <= tuple_(*keep_after)))
    return result.rowcount
