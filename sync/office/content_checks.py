"""The office's checks on content it is asked to store: the shared rules (sync.content_rules),
size, identity, and unique codes among the records one hall receives.

Used by publishing (CLI and admin API) and by a hall's push alike, so the office stores only
what the hall editor would have accepted, and never two guides with code LD-001 for one hall
(the hall's cache would refuse the second, and residents would never see it).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import content_rules, wire
from sync.office.errors import OfficeError
from sync.office.models import ContentRecord, Publication


def canonical_bytes(data: Any) -> int:
    import json

    return len(json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode())


def validate_record(kind: str, uid: str, data: Any, entry: str | None = None) -> dict[str, Any]:
    """Check a record with the rules every path shares; returns its canonical JSON form.

    The refusal names the record (kind, code or title, uid) and every field at fault."""
    if kind not in content_rules.KINDS:
        raise OfficeError(422, f"unknown content kind {kind!r}; expected one of {', '.join(content_rules.KINDS)}",
                          entry)
    if not isinstance(data, dict):
        raise OfficeError(422, f"{kind} {uid}: data must be an object", entry)
    if canonical_bytes(data) > wire.MAX_RECORD_BYTES:
        raise OfficeError(413, f"{kind} {uid}: record larger than {wire.MAX_RECORD_BYTES} bytes", entry)
    errors = content_rules.record_problems(kind, data)
    if errors:
        raise OfficeError(422, f"{content_rules.describe(kind, data, errors)} [uid {uid}] "
                               f"({len(errors)} problem(s))", entry)
    record = content_rules.checked_record(kind, data)
    if record["uid"] != uid:
        raise OfficeError(422, f"{kind} {uid}: data.uid is {record['uid']}, not the record's uid", entry)
    return record


@dataclass(frozen=True)
class Incoming:
    """A checked record about to be stored, and the entry to blame for it."""

    kind: str
    uid: str
    data: dict[str, Any]
    entry: str | None


def check_unique_keys(session: Session, records: Sequence[Incoming], hall_ids: Collection[int] | None,
                      *, to_all: bool = False) -> None:
    """Refuse a record whose code (a window: its number) another record already has in a hall
    that would receive both. `hall_ids`: the halls the records go to (besides the halls that
    already have them); `to_all`: published to every hall, including halls added later."""
    seen: dict[tuple[str, Any], Incoming] = {}
    for rec in records:
        key = content_rules.key_of(rec.kind, rec.data)
        if key is None:
            continue
        other = seen.get((rec.kind, key[1]))
        if other is not None and other.uid != rec.uid:
            raise OfficeError(422, f"{content_rules.record_label(rec.kind, rec.data)} [uid {rec.uid}]: field {key[0]}: "
                                   f"{key[1]} 重复，同批的 uid {other.uid} 已使用 (duplicate {key[0]} in this batch)",
                              rec.entry)
        seen[(rec.kind, key[1])] = rec
    # One query per kind for every record of the batch (a day's catch-up can bring hundreds).
    wanted: dict[str, dict[Any, list[Incoming]]] = {}
    for rec in records:
        key = content_rules.key_of(rec.kind, rec.data)
        if key is not None:
            wanted.setdefault(rec.kind, {}).setdefault(key[1], []).append(rec)
    for kind, by_value in wanted.items():
        field = content_rules.KEYS[kind]
        column = ContentRecord.data[field].as_integer() if kind == "window" else ContentRecord.data[field].as_string()
        values = [int(v) for v in by_value] if kind == "window" else [str(v) for v in by_value]
        stored = session.execute(select(ContentRecord.uid, ContentRecord.to_all, column)
                                 .where(ContentRecord.kind == kind, column.in_(values))).all()
        for other_uid, other_to_all, value in stored:
            for rec in by_value.get(value, by_value.get(str(value), [])):
                if other_uid != rec.uid:
                    _refuse_if_shared(session, rec, field, value, other_uid, other_to_all, hall_ids, to_all)


def _refuse_if_shared(session: Session, rec: Incoming, field: str, value: Any, other_uid: str, other_to_all: bool,
                      hall_ids: Collection[int] | None, to_all: bool) -> None:
    receivers = set(hall_ids or ()) | set(session.scalars(
        select(Publication.hall_id).where(Publication.record_uid == rec.uid)).all())
    if to_all and other_to_all:
        shared = True
    else:
        shared = bool(receivers) and session.scalar(select(Publication.hall_id).where(
            Publication.record_uid == other_uid, Publication.hall_id.in_(receivers)).limit(1)) is not None
    if shared:
        raise OfficeError(409, f"{content_rules.record_label(rec.kind, rec.data)} [uid {rec.uid}]: "
                               f"field {field}: {value} 已被另一条记录 uid {other_uid} 使用，且两者会发到同一大厅；"
                               f"请沿用 uid {other_uid} 或更换{field} "
                               f"(another record with this {field} reaches the same hall)", rec.entry)
