"""Content bundles in and out of the hall cache.

`import_bundle` upserts a checked `sync.content.ContentBundle` into the cache by uid (records
missing from the bundle are left alone), `export_bundle` reads the cache back into a bundle,
and `apply_content` writes one record (the editor and sync use it with the data shape of
`Model.model_dump(mode="json")`). All of them work inside the caller's transaction, so an
import that fails part-way changes nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kiosk.services.auth import audit, hash_pin
from sync.cache import models as m
from sync.content import (
    BusinessType,
    Category,
    ContentBundle,
    ContentError,
    Disclosure,
    Guide,
    Notice,
    Window,
)

log = logging.getLogger(__name__)

MODELS: dict[str, type[BaseModel]] = {
    "category": Category,
    "business_type": BusinessType,
    "guide": Guide,
    "window": Window,
    "notice": Notice,
    "disclosure": Disclosure,
}
ROWS: dict[str, type[m.Base]] = {
    "category": m.Category,
    "business_type": m.BusinessType,
    "guide": m.ServiceGuide,
    "window": m.Window,
    "notice": m.Notice,
    "disclosure": m.Disclosure,
}
# The unique business key besides the uid, to catch "same code, different record".
KEYS = {"category": "code", "business_type": "code", "guide": "code", "window": "number", "notice": None,
        "disclosure": None}
KIND_NAMES = {"category": "类别", "business_type": "业务类型", "guide": "办事指南", "window": "窗口",
              "notice": "公示", "disclosure": "公示表"}
_DISCLOSURE_FIELDS = ("title", "kind", "period", "responsible", "published_on", "starts_on", "ends_on", "notes")


@dataclass
class ImportReport:
    """What an import did, per kind of record."""

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    staff_created: list[str] = field(default_factory=list)
    staff_kept: list[str] = field(default_factory=list)  # an account of that name already existed

    def summary(self) -> str:
        lines = []
        for kind in MODELS:
            lines.append(f"  {KIND_NAMES[kind]} {kind}: 新增 {self.created[kind]}，更新 {self.updated[kind]}，"
                         f"未变 {self.unchanged[kind]} (created/updated/unchanged)")
        if self.staff_created or self.staff_kept:
            lines.append(f"  示例账号 staff: 新建 {', '.join(self.staff_created) or '无'}；"
                         f"已存在未改动 {', '.join(self.staff_kept) or '无'}")
        return "\n".join(lines)


# --- rows -> records -----------------------------------------------------------------------


def _record(kind: str, row: Any, *, lenient: bool = False) -> BaseModel:
    """The content record a cache row holds, validated so bad rows fail loudly.

    With `lenient`, a row that breaks today's rules (an incomplete guide from the office, an
    older rule set) comes back unvalidated instead: the editor must still open it so a person
    can complete it, and publishing validates again."""
    model = MODELS[kind]
    fields = _row_fields(kind, row)
    try:
        return model(**fields)
    except ValidationError as exc:
        if not lenient:
            raise
        log.warning("%s %s does not pass validation (%d problems); shown for editing as stored",
                    kind, row.uid, exc.error_count())
        return model.model_construct(**fields)


def _row_fields(kind: str, row: Any) -> dict[str, Any]:
    if kind == "category":
        return dict(code=row.code, name=row.name, name_en=row.name_en, icon=row.icon,
                    sort_order=row.sort_order, uid=row.uid)
    if kind == "business_type":
        return dict(code=row.code, name=row.name, name_en=row.name_en, prefix=row.prefix,
                    avg_service_minutes=row.avg_service_minutes, uid=row.uid)
    if kind == "window":
        return dict(number=row.number, name=row.name,
                    businesses=[s.business_type.code for s in sorted(row.services, key=lambda s: s.priority)],
                    uid=row.uid)
    if kind == "notice":
        return dict(title=row.title, body=row.body, starts_on=row.starts_on, ends_on=row.ends_on, uid=row.uid)
    if kind == "disclosure":
        return dict({f: getattr(row, f) for f in _DISCLOSURE_FIELDS}, columns=list(row.columns),
                    rows=[list(r) for r in row.rows], uid=row.uid)
    return dict(
        code=row.code, category=row.category.code, name=row.name, name_en=row.name_en,
        authority=row.authority, legal_basis=row.legal_basis, conditions=row.conditions,
        materials=row.materials, steps=row.steps, special_steps=row.special_steps,
        legal_time_limit=row.legal_time_limit, promised_time_limit=row.promised_time_limit,
        visits=row.visits, fees=row.fees, location=row.location, hours=row.hours, phone=row.phone,
        complaint_phone=row.complaint_phone, faqs=row.faqs, keywords=row.keywords,
        business=row.business_type.code if row.business_type else None, uid=row.uid,
    )


def export_bundle(session: Session, *, lenient: bool = False) -> ContentBundle:
    """Everything in the cache as a bundle (staff accounts are never exported).

    `lenient` (for the editor): records that fail today's validation are included as stored."""
    categories = session.scalars(select(m.Category)).all()
    businesses = session.scalars(select(m.BusinessType)).all()
    guides = session.scalars(select(m.ServiceGuide).options(
        selectinload(m.ServiceGuide.category), selectinload(m.ServiceGuide.business_type))).all()
    windows = session.scalars(select(m.Window).options(
        selectinload(m.Window.services).selectinload(m.WindowService.business_type))).all()
    notices = session.scalars(select(m.Notice)).all()
    disclosures = session.scalars(select(m.Disclosure)).all()
    records = dict(
        categories=[_record("category", r, lenient=lenient) for r in categories],
        businesses=[_record("business_type", r, lenient=lenient) for r in businesses],
        guides=[_record("guide", r, lenient=lenient) for r in guides],
        windows=[_record("window", r, lenient=lenient) for r in windows],
        notices=[_record("notice", r, lenient=lenient) for r in notices],
        disclosures=[_record("disclosure", r, lenient=lenient) for r in disclosures],
    )
    try:
        return ContentBundle(**records)
    except ValidationError:
        if not lenient:
            raise
        return ContentBundle.model_construct(**records)


# --- records -> rows -----------------------------------------------------------------------


def _by_code(session: Session, row_cls: Any, code: str, what: str, uid: str) -> Any:
    row = session.scalar(select(row_cls).where(row_cls.code == code))
    if row is None:
        raise ContentError([f"{uid}: {what} {code} 不存在 (unknown {what})"])
    return row


def _fill(session: Session, kind: str, row: Any, record: Any) -> None:
    """Copy a record's fields onto its row (references looked up by code)."""
    if kind == "category":
        row.code, row.name, row.name_en = record.code, record.name, record.name_en
        row.icon, row.sort_order = record.icon, record.sort_order
    elif kind == "business_type":
        row.code, row.name, row.name_en = record.code, record.name, record.name_en
        row.prefix, row.avg_service_minutes = record.prefix, record.avg_service_minutes
    elif kind == "notice":
        row.title, row.body, row.starts_on, row.ends_on = record.title, record.body, record.starts_on, record.ends_on
    elif kind == "disclosure":
        for name in _DISCLOSURE_FIELDS:
            setattr(row, name, getattr(record, name))
        row.columns, row.rows = list(record.columns), [list(r) for r in record.rows]
    elif kind == "window":
        row.number, row.name = record.number, record.name
        wanted = [_by_code(session, m.BusinessType, c, "业务类型 business type", record.uid).id
                  for c in record.businesses]
        # Update the (window, business) rows in place: deleting and re-adding the same key in
        # one flush would trip over the composite primary key.
        current = {s.business_type_id: s for s in row.services}
        for bt_id, service in current.items():
            if bt_id not in wanted:
                row.services.remove(service)
        for priority, bt_id in enumerate(wanted):
            if bt_id in current:
                current[bt_id].priority = priority
            else:
                row.services.append(m.WindowService(business_type_id=bt_id, priority=priority))
    else:
        row.category = _by_code(session, m.Category, record.category, "类别 category", record.uid)
        row.business_type = (None if record.business is None else
                             _by_code(session, m.BusinessType, record.business, "业务类型 business type", record.uid))
        for name in ("code", "name", "name_en", "authority", "legal_basis", "conditions", "special_steps",
                     "legal_time_limit", "promised_time_limit", "visits", "fees", "location", "hours",
                     "phone", "complaint_phone"):
            setattr(row, name, getattr(record, name))
        # JSON columns hold the full record shape (defaults included) so every reader sees one form.
        row.materials = [x.model_dump() for x in record.materials]
        row.faqs = [x.model_dump() for x in record.faqs]
        row.steps, row.keywords = list(record.steps), list(record.keywords)


def _find(session: Session, kind: str, record: Any) -> Any:
    """The row with the record's uid; refuses a different row holding the same code/number."""
    row_cls = ROWS[kind]
    row = session.scalar(select(row_cls).where(row_cls.uid == record.uid))
    key = KEYS[kind]
    if key is not None:
        column = getattr(row_cls, key)
        value = getattr(record, key)
        other = session.scalar(select(row_cls).where(column == value, row_cls.uid != record.uid))
        if other is not None:
            raise ContentError([
                f"{KIND_NAMES[kind]} {value}: 缓存中已有同一{key}的另一条记录 uid {other.uid}，导入的 uid 为 "
                f"{record.uid}；为避免覆盖，请在文件中写明 uid: {other.uid} 或更换编码 "
                f"(another record already has this {key})"])
    return row


def _upsert(session: Session, kind: str, record: Any, version: int | None) -> tuple[Any, str]:
    """Write one record; returns (row, "created" | "updated" | "unchanged")."""
    row = _find(session, kind, record)
    if row is None:
        row = ROWS[kind](uid=record.uid, version=version or 1)
        if kind == "window":
            row.services = []
        with session.no_autoflush:  # the half-filled row must not be flushed by a lookup
            _fill(session, kind, row, record)
        session.add(row)
        session.flush()
        return row, "created"
    same = _record(kind, row) == record
    if not same:
        with session.no_autoflush:
            _fill(session, kind, row, record)
    if version is not None:
        row.version = version
    elif not same:
        row.version += 1
    session.flush()
    return row, "unchanged" if same else "updated"


def apply_content(session: Session, kind: str, data: dict[str, Any], version: int) -> Any:
    """Write one published record (editor publish, office pull) at `version`; returns the row.

    `data` is the record as `model_dump(mode="json")`; it is validated again here.
    """
    if kind not in MODELS:
        raise ValueError(f"unknown content kind {kind!r}")
    try:
        record = MODELS[kind].model_validate(data)
    except ValidationError as exc:
        raise ContentError([f"{kind} {data.get('uid', '?')}: {e['loc']}: {e['msg']}" for e in exc.errors()]) from None
    row, _ = _upsert(session, kind, record, version)
    return row


def import_bundle(session: Session, bundle: ContentBundle, *, actor: str = "system") -> ImportReport:
    """Upsert a bundle by uid into the caller's transaction; sample staff only if new by name.

    A changed record gets version + 1; an identical one is left untouched. Records that are in
    the cache but not in the bundle stay as they are. Raises ContentError (and the caller's
    transaction rolls back) if a record clashes with a different one holding the same code.
    """
    report = ImportReport()
    order: list[tuple[str, list[Any]]] = [
        ("category", bundle.categories), ("business_type", bundle.businesses), ("guide", bundle.guides),
        ("window", bundle.windows), ("notice", bundle.notices), ("disclosure", bundle.disclosures),
    ]
    problems: list[str] = []
    for kind, records in order:
        for record in records:
            try:
                with session.begin_nested():  # a clash leaves the rest of the import intact to check
                    _, outcome = _upsert(session, kind, record, None)
            except ContentError as exc:
                problems += exc.problems
                continue
            getattr(report, outcome)[kind] += 1
    if problems:
        raise ContentError(problems)

    for seed in bundle.staff:
        if session.scalar(select(m.Staff.id).where(m.Staff.name == seed.name)) is not None:
            report.staff_kept.append(seed.name)  # never reset a real person's PIN
            continue
        session.add(m.Staff(name=seed.name, role=seed.role, pin_hash=hash_pin(seed.pin)))
        report.staff_created.append(seed.name)
    session.flush()

    audit(session, actor, "content_import", "bundle",
          created=dict(report.created), updated=dict(report.updated), staff_created=report.staff_created)
    log.info("imported content: created %s, updated %s, unchanged %s, staff %s",
             dict(report.created), dict(report.updated), dict(report.unchanged), report.staff_created)
    return report
