"""Shared content is reviewed, not overwritten.

A record the office published to several halls belongs to all of them: one hall's edit of it
(pushed as usual) becomes a Proposal here — stored, not applied, not queued to other halls.
Office editors accept it, merge it field by field (each field from the office's copy or the
hall's), or reject it with a note; the hall learns the state with its next sync round.
A hall's edit of a record only it has (its own content) goes straight through, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync import content_rules, wire
from sync.office import content_checks
from sync.office.errors import OfficeError
from sync.office.models import ContentRecord, ContentRevision, Feed, Hall, Proposal, Publication, utcnow

STATES = ("pending", "accepted", "merged", "rejected")
STATE_WORDS = {"pending": "已提交审核", "accepted": "已采纳", "merged": "已部分采纳", "rejected": "已驳回"}


def shared(session: Session, uids: Sequence[str]) -> set[str]:
    """Those of `uids` published to more than one hall: an edit there speaks for other halls too."""
    if not uids:
        return set()
    return set(session.scalars(select(Publication.record_uid).where(Publication.record_uid.in_(list(uids)))
                               .group_by(Publication.record_uid).having(func.count() > 1)).all())


def propose(session: Session, hall_id: int, entry: wire.ContentEntry, data: dict[str, Any],
            record: ContentRecord) -> Proposal:
    """Keep a hall's edit of a shared record for review (the caller's transaction)."""
    p = entry.payload
    proposal = Proposal(record_uid=p.uid, kind=p.kind, hall_id=hall_id, entry_id=entry.id,
                        base_version=p.base_version, office_version=record.version, data=data,
                        author=p.author, state="pending", created_at=utcnow(), decided_by="", note="")
    session.add(proposal)
    session.flush()
    return proposal


def by_entry(session: Session, entry_id: str) -> Proposal | None:
    return session.scalar(select(Proposal).where(Proposal.entry_id == entry_id))


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldDiff:
    field: str
    office: Any  # the office's current value
    proposed: Any  # the hall's


@dataclass(frozen=True)
class ProposalView:
    id: int
    hall: str
    hall_name: str
    kind: str
    uid: str
    title: str
    state: str
    state_word: str
    author: str
    base_version: int
    office_version: int  # the office's version when it came in
    current_version: int  # the office's version now
    created_at: datetime
    decided_at: datetime | None
    decided_by: str
    note: str
    result_version: int | None
    data: dict[str, Any]
    changes: list[FieldDiff]  # fields where the hall's proposal differs from the office's current copy


def field_diff(office: dict[str, Any], proposed: dict[str, Any]) -> list[FieldDiff]:
    keys = list(dict.fromkeys([*office, *proposed]))
    return [FieldDiff(k, office.get(k), proposed.get(k)) for k in keys
            if k != "uid" and office.get(k) != proposed.get(k)]


def _view(proposal: Proposal, hall: Hall, record: ContentRecord | None) -> ProposalView:
    current = record.data if record is not None else {}
    return ProposalView(
        proposal.id, hall.code, hall.name, proposal.kind, proposal.record_uid,
        content_rules.record_label(proposal.kind, proposal.data), proposal.state, STATE_WORDS[proposal.state],
        proposal.author, proposal.base_version, proposal.office_version,
        record.version if record is not None else 0, proposal.created_at, proposal.decided_at,
        proposal.decided_by, proposal.note, proposal.result_version, proposal.data,
        field_diff(current, proposal.data))


def list_proposals(session: Session, state: str | None = None, hall_code: str | None = None,
                   limit: int = 200) -> list[ProposalView]:
    """Newest first; `state` pending/accepted/merged/rejected, `hall_code` one hall's."""
    q = select(Proposal, Hall).join(Hall, Hall.id == Proposal.hall_id).order_by(Proposal.id.desc()).limit(limit)
    if state is not None:
        if state not in STATES:
            raise OfficeError(422, f"state {state!r}: expected one of {', '.join(STATES)}")
        q = q.where(Proposal.state == state)
    if hall_code is not None:
        q = q.where(Hall.code == hall_code)
    rows = session.execute(q).all()
    records = {r.uid: r for r in session.scalars(select(ContentRecord).where(
        ContentRecord.uid.in_({p.record_uid for p, _h in rows})))} if rows else {}
    return [_view(p, h, records.get(p.record_uid)) for p, h in rows]


def get(session: Session, proposal_id: int) -> ProposalView:
    row = session.execute(select(Proposal, Hall).join(Hall, Hall.id == Proposal.hall_id)
                          .where(Proposal.id == proposal_id)).first()
    if row is None:
        raise OfficeError(404, f"no proposal {proposal_id}")
    return _view(row[0], row[1], session.get(ContentRecord, row[0].record_uid))


def hall_states(session: Session, hall_id: int, ids: Sequence[int]) -> wire.ProposalStates:
    """The states of this hall's proposals among `ids` (another hall's are not shown)."""
    rows = session.scalars(select(Proposal).where(Proposal.hall_id == hall_id, Proposal.id.in_(list(ids)))
                           .order_by(Proposal.id)).all() if ids else []
    return wire.ProposalStates(proposals=[wire.ProposalState(
        id=p.id, kind=p.kind, uid=p.record_uid, state=p.state, decided_at=p.decided_at, decided_by=p.decided_by,
        note=p.note, result_version=p.result_version) for p in rows])


# --- deciding ----------------------------------------------------------------------------------


def _pending(session: Session, proposal_id: int) -> tuple[Proposal, ContentRecord]:
    proposal = session.get(Proposal, proposal_id, with_for_update=True)
    if proposal is None:
        raise OfficeError(404, f"no proposal {proposal_id}")
    if proposal.state != "pending":
        raise OfficeError(409, f"proposal {proposal_id} is already {proposal.state} "
                               f"({STATE_WORDS[proposal.state]}) by {proposal.decided_by or '?'}")
    record = session.get(ContentRecord, proposal.record_uid, with_for_update=True)
    if record is None:  # pragma: no cover - records are never deleted
        raise OfficeError(409, f"proposal {proposal_id}: record {proposal.record_uid} is gone")
    return proposal, record


def _apply(session: Session, proposal: Proposal, record: ContentRecord, data: dict[str, Any], by: str) -> int:
    """A new office version with `data`, heard by every hall that has the record."""
    data = content_checks.validate_record(record.kind, record.uid, data)
    content_checks.check_unique_keys(session, [content_checks.Incoming(record.kind, record.uid, data, None)], ())
    if data == record.data:
        return record.version  # nothing to change (the office had made the same edit meanwhile)
    record.version += 1
    record.data = data
    record.updated_by = by
    record.updated_at = utcnow()
    session.add(ContentRevision(record_uid=record.uid, version=record.version, data=data,
                                author=f"{by} (proposal {proposal.id} by {proposal.author or 'hall'})",
                                hall_id=proposal.hall_id))
    halls = session.scalars(select(Publication.hall_id).where(Publication.record_uid == record.uid)).all()
    from sync.office.db import current_txid

    txid = current_txid(session)
    session.execute(Feed.__table__.insert(), [{"txid": txid, "hall_id": h, "record_uid": record.uid}
                                              for h in halls])
    return record.version


def _decide(proposal: Proposal, state: str, by: str, note: str, version: int | None) -> None:
    proposal.state, proposal.decided_by, proposal.note = state, by, note[:500]
    proposal.decided_at, proposal.result_version = utcnow(), version


def accept(session: Session, proposal_id: int, by: str, note: str = "") -> ProposalView:
    """Take the hall's record as it is (against the office's current copy)."""
    proposal, record = _pending(session, proposal_id)
    version = _apply(session, proposal, record, proposal.data, by)
    _decide(proposal, "accepted", by, note, version)
    session.flush()
    return get(session, proposal_id)


def merge(session: Session, proposal_id: int, take: Sequence[str], by: str, note: str = "") -> ProposalView:
    """The office's current copy with the fields in `take` from the hall's proposal."""
    proposal, record = _pending(session, proposal_id)
    differing = {d.field for d in field_diff(record.data, proposal.data)}
    unknown = [f for f in take if f not in differing]
    if unknown:
        raise OfficeError(422, f"proposal {proposal_id}: field(s) {', '.join(unknown)} do not differ from the "
                               f"office's copy; choose among {', '.join(sorted(differing)) or 'none'}")
    if not take:
        raise OfficeError(422, f"proposal {proposal_id}: choose at least one field to take (or reject it)")
    data = {**record.data, **{f: proposal.data.get(f) for f in take}}
    data = {k: v for k, v in data.items() if v is not None or k in record.data}
    version = _apply(session, proposal, record, data, by)
    _decide(proposal, "merged", by, note or f"采纳字段 {', '.join(take)}", version)
    session.flush()
    return get(session, proposal_id)


def reject(session: Session, proposal_id: int, by: str, note: str = "") -> ProposalView:
    proposal, _record = _pending(session, proposal_id)
    _decide(proposal, "rejected", by, note, None)
    session.flush()
    return get(session, proposal_id)
