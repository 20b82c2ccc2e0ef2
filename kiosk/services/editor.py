"""The staff content editor's domain logic: drafts, validation, publish, history, conflicts.

Record data has one shape everywhere (drafts, revisions, outbox, wire): the `sync.content`
pydantic model dumped with `model_dump(mode="json")`. Publishing writes the record, a
ContentRevision, an Outbox entry and an audit row in ONE transaction, then announces
"content.changed" so the kiosk reloads without a restart.

Content is plain text: markup, script links and control characters are refused by the rules
every path shares (sync.content_rules), before they can be stored.
"""

from __future__ import annotations

import copy
import difflib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.errors import HallError
from kiosk.services.auth import StaffSession, audit
from kiosk.services.events import ContentChanged
from sync import content_rules, wire
from sync.cache import models as m
from sync.content_rules import HARD_LIMIT, normalize
from sync.content_rules import dotted as _dotted
from sync.content_rules import walk_strings as _walk_strings
from sync.problems import Invalid, invalid

log = logging.getLogger(__name__)

# The kinds a hall edits (公示 tables come from the office only), checked by the shared rules.
KINDS: dict[str, type[BaseModel]] = {k: v for k, v in content_rules.KINDS.items() if k != "disclosure"}
ROWS: dict[str, type[m.Base]] = {
    "guide": m.ServiceGuide,
    "category": m.Category,
    "business_type": m.BusinessType,
    "window": m.Window,
    "notice": m.Notice,
}
KIND_NAMES = {"guide": "办事指南", "category": "类别", "business_type": "业务类型", "window": "窗口",
              "notice": "公示"}
# Who may publish what: windows and business types change the queue, so only the head.
KIND_PERMISSION = {"guide": "content", "category": "content", "notice": "content",
                   "business_type": "admin", "window": "admin"}

FIELD_LABELS: dict[str, dict[str, str]] = {
    "guide": {
        "code": "事项编码", "category": "所属类别", "name": "事项名称", "name_en": "英文名称",
        "authority": "实施主体", "legal_basis": "设定依据", "conditions": "受理条件",
        "materials": "申请材料", "steps": "办理流程", "special_steps": "特殊环节",
        "legal_time_limit": "法定办结时限", "promised_time_limit": "承诺办结时限",
        "visits": "到现场次数", "fees": "收费标准", "location": "办理地点", "hours": "办理时间",
        "phone": "咨询电话", "complaint_phone": "监督投诉电话", "faqs": "常见问题",
        "keywords": "关键词", "business": "取号业务", "uid": "uid",
    },
    "category": {"code": "类别编码", "name": "名称", "name_en": "英文名称", "icon": "图标",
                 "sort_order": "排序", "uid": "uid"},
    "business_type": {"code": "业务编码", "name": "业务名称", "name_en": "英文名称", "prefix": "票号前缀",
                      "avg_service_minutes": "平均办理分钟", "uid": "uid"},
    "window": {"number": "窗口号", "name": "窗口名称", "businesses": "所办业务（按优先顺序）", "uid": "uid"},
    "notice": {"title": "标题", "body": "正文", "starts_on": "开始日期", "ends_on": "结束日期", "uid": "uid"},
}
FORM_NAMES = {"original": "原件", "copy": "复印件", "both": "原件和复印件"}

class EditorError(HallError):
    """Something the editor refuses; str() is a Chinese message for the screen."""


class ValidationFailed(EditorError):
    """Field problems: `errors` maps a field path ("materials.0.name", "" = whole record) to a
    problem (a code and parameters; the editor's form words it in the screen's language)."""

    def __init__(self, errors: dict[str, Invalid]):
        self.errors = errors
        first = "; ".join(f"{k or '记录'}: {v.text()}" for k, v in list(errors.items())[:3])
        super().__init__(f"有 {len(errors)} 处需要修改 ({first})")


class StaleEdit(EditorError):
    """Someone published a newer version since this edit started."""


@dataclass(frozen=True)
class RecordSummary:
    kind: str
    uid: str
    title: str
    version: int
    has_draft: bool


@dataclass
class EditState:
    """What the editor screen works on: the data, the version it started from, draft or not."""

    kind: str
    uid: str
    data: dict[str, Any]
    base_version: int  # 0 = a new record
    is_draft: bool = False
    draft_author: str = ""


@dataclass(frozen=True)
class Revision:
    version: int
    author: str
    action: str
    created_at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str
    # For lists: ("+"|"-"|" ", line) in a readable order, so "material 3 removed" is visible.
    lines: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ConflictInfo:
    id: int
    kind: str
    uid: str
    title: str
    local_version: int
    local_data: dict[str, Any]
    office_version: int
    office_data: dict[str, Any]
    created_at: datetime
    changes: list[FieldChange]  # fields where the two differ (old = mine, new = office)


def record_title(kind: str, data: dict[str, Any]) -> str:
    if kind == "business_type":
        return f"{data.get('prefix', '')} {data.get('name', '')}".strip()
    if kind == "window":
        return f"{data.get('number', '')}号窗口 {data.get('name', '')}".strip()
    if kind == "notice":
        return str(data.get("title", ""))
    return str(data.get("name", ""))


# --- readable values and diffs ---------------------------------------------------------------


def value_lines(kind: str, key: str, value: Any) -> list[str]:
    """A field's value as the lines a person reads (lists one item per line)."""
    if value is None or value == "" or value == []:
        return []
    if key == "materials":
        return [f"{i}. {mt.get('name', '')} · {FORM_NAMES.get(mt.get('form', ''), mt.get('form', ''))} · "
                f"{mt.get('copies', 1)}份" + (f" · {mt['notes']}" if mt.get("notes") else "")
                for i, mt in enumerate(value, 1)]
    if key == "steps":
        return [f"{i}. {s}" for i, s in enumerate(value, 1)]
    if key == "faqs":
        return [f"问：{f.get('q', '')} 答：{f.get('a', '')}" for f in value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value).split("\n")


def diff_records(kind: str, old: dict[str, Any] | None, new: dict[str, Any]) -> list[FieldChange]:
    """Field-by-field differences, in the form's field order; `old` None = a new record."""
    labels = FIELD_LABELS[kind]
    old = old or {}
    keys = [k for k in labels if k != "uid"] + [k for k in new if k not in labels]
    changes = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        if a == b or (a in (None, "", []) and b in (None, "", [])):
            continue
        old_lines, new_lines = value_lines(kind, key, a), value_lines(kind, key, b)
        lines = []
        if isinstance(a, list) or isinstance(b, list):
            for op in difflib.ndiff(old_lines, new_lines):
                if op[0] in "+- ":
                    lines.append((op[0], op[2:]))
        changes.append(FieldChange(key, labels.get(key, key), "\n".join(old_lines), "\n".join(new_lines), lines))
    return changes


# --- the service -----------------------------------------------------------------------------


class EditorService:
    """Reads use `cache.reading()` (a WAL snapshot that never waits for the write lock a counter
    or a sync round holds); writes are one `cache.transaction()` each."""

    def __init__(self, cache, events=None):  # type: ignore[no-untyped-def]
        self.cache = cache
        self.events = events  # kiosk.services.events.EventBus; None in command-line use

    @classmethod
    def for_hall(cls, hall) -> EditorService:  # type: ignore[no-untyped-def]
        return cls(hall.cache, hall.events)

    # --- reading -----------------------------------------------------------------------

    def list_records(self, kind: str) -> list[RecordSummary]:
        """Published records of a kind plus new records that exist only as drafts."""
        with self.cache.reading() as session:
            drafts = {d.record_uid: d for d in session.scalars(select(m.Draft).where(m.Draft.kind == kind))}
            out = []
            for uid, data, version in self._published(session, kind):
                out.append(RecordSummary(kind, uid, record_title(kind, data), version, uid in drafts))
            known = {r.uid for r in out}
            for uid, d in drafts.items():
                if uid not in known:
                    out.append(RecordSummary(kind, uid, record_title(kind, d.data) or "（新建）", 0, True))
        return out

    def _published(self, session: Session, kind: str) -> list[tuple[str, dict[str, Any], int]]:
        """(uid, data, version) of every record of a kind, in the bundle's canonical order."""
        from kiosk.services.content import export_bundle

        bundle = export_bundle(session, lenient=True)
        records = {"guide": bundle.guides, "category": bundle.categories, "business_type": bundle.businesses,
                   "window": bundle.windows, "notice": bundle.notices}[kind]
        row_cls = ROWS[kind]
        versions = dict(session.execute(select(row_cls.uid, row_cls.version)).all())
        return [(r.uid, r.model_dump(mode="json", warnings=False), versions.get(r.uid, 1)) for r in records]

    def current(self, session: Session, kind: str, uid: str) -> tuple[dict[str, Any] | None, int]:
        """The published data and version of one record (None, 0 if it does not exist)."""
        row_cls = ROWS[kind]
        version = session.scalar(select(row_cls.version).where(row_cls.uid == uid))
        if version is None:
            return None, 0
        for r_uid, data, _v in self._published(session, kind):
            if r_uid == uid:
                return data, version
        return None, 0

    def load(self, kind: str, uid: str) -> EditState:
        """The draft if one exists, else the published record."""
        with self.cache.reading() as session:
            draft = session.scalar(select(m.Draft).where(m.Draft.kind == kind, m.Draft.record_uid == uid))
            if draft is not None:
                return EditState(kind, uid, copy.deepcopy(draft.data), draft.base_version, True, draft.author)
            data, version = self.current(session, kind, uid)
        if data is None:
            raise EditorError(f"找不到这条{KIND_NAMES[kind]}记录 (no {kind} {uid})")
        return EditState(kind, uid, data, version)

    def new_record(self, kind: str) -> EditState:
        """A blank record with a fresh uid, ready for the form."""
        uid = m.new_uid()
        blank: dict[str, Any]
        if kind == "guide":
            with self.cache.reading() as session:
                first_category = session.scalar(select(m.Category.code).order_by(m.Category.sort_order))
            blank = {"code": "", "category": first_category or "", "name": "", "name_en": "", "authority": "",
                     "legal_basis": "", "conditions": "", "materials": [], "steps": [], "special_steps": "",
                     "legal_time_limit": "", "promised_time_limit": "", "visits": 1, "fees": "",
                     "location": "", "hours": "", "phone": "", "complaint_phone": "", "faqs": [],
                     "keywords": [], "business": None}
        elif kind == "category":
            blank = {"code": "", "name": "", "name_en": "", "icon": "", "sort_order": 0}
        elif kind == "business_type":
            blank = {"code": "", "name": "", "name_en": "", "prefix": "", "avg_service_minutes": 10}
        elif kind == "window":
            blank = {"number": 1, "name": "", "businesses": []}
        else:
            today = datetime.now().date().isoformat()
            blank = {"title": "", "body": "", "starts_on": today, "ends_on": today}
        blank["uid"] = uid
        return EditState(kind, uid, blank, 0)

    def choices(self) -> dict[str, list[tuple[str, str]]]:
        """(code, name) lists for the pickers: categories and business types."""
        with self.cache.reading() as session:
            cats = session.execute(select(m.Category.code, m.Category.name).order_by(m.Category.sort_order)).all()
            biz = session.execute(select(m.BusinessType.code, m.BusinessType.name)
                                  .order_by(m.BusinessType.prefix)).all()
        return {"category": [tuple(r) for r in cats], "business": [tuple(r) for r in biz]}

    def guides_leading_to(self, business_code: str) -> list[str]:
        """uids of the guides whose ticket goes to this business type."""
        with self.cache.reading() as session:
            return [uid for uid, data, _v in self._published(session, "guide") if data.get("business") == business_code]

    def proposal_note(self, kind: str, uid: str) -> tuple[str, str]:
        """(state, one line) of this record's newest proposal to the office, or ("", "").

        A record the office shares with other halls takes this hall's edit only once the
        office accepts it: 已提交审核 / 已采纳 / 已部分采纳 / 已驳回."""
        from sync import hall_proposals

        with self.cache.reading() as session:
            proposal = hall_proposals.latest_for(session, kind, uid)
            if proposal is None:
                return "", ""
            return proposal.state, hall_proposals.describe(proposal)

    # --- validation --------------------------------------------------------------------

    def validate(self, kind: str, data: dict[str, Any], session: Session | None = None) -> dict[str, Invalid]:
        """Every problem with a record, keyed by field path ("" = the record as a whole)."""
        if session is None:
            with self.cache.reading() as s:
                return self.validate(kind, data, s)
        # The same rules as import, office publish and the office API (sync.content_rules).
        errors = content_rules.record_problems(kind, data)
        if errors:
            return errors
        record = KINDS[kind].model_validate(normalize(data))
        return self._cross_check(session, kind, record)

    def _cross_check(self, session: Session, kind: str, record: Any) -> dict[str, Invalid]:
        """Duplicates and references against the other published records."""
        errors: dict[str, Invalid] = {}
        row_cls = ROWS[kind]

        def taken(column: Any, value: Any) -> str | None:
            other = session.execute(select(row_cls.uid, row_cls.__table__.c.name)
                                    .where(column == value, row_cls.uid != record.uid)).first()
            return None if other is None else str(other[1])

        if kind in ("guide", "category", "business_type"):
            who = taken(row_cls.code, record.code)
            if who is not None:
                errors["code"] = invalid("code_taken", code=record.code, by=who)
        if kind == "business_type":
            who = taken(m.BusinessType.prefix, record.prefix)
            if who is not None:
                errors["prefix"] = invalid("prefix_taken", prefix=record.prefix, by=who)
        if kind == "window":
            who = taken(m.Window.number, record.number)
            if who is not None:
                errors["number"] = invalid("window_taken", number=record.number)
            codes = set(session.scalars(select(m.BusinessType.code)))
            for i, code in enumerate(record.businesses):
                if code not in codes:
                    errors[f"businesses.{i}"] = invalid("unknown_business", code=code)
        if kind == "guide":
            if session.scalar(select(m.Category.id).where(m.Category.code == record.category)) is None:
                errors["category"] = invalid("unknown_category", code=record.category)
            if record.business and session.scalar(
                    select(m.BusinessType.id).where(m.BusinessType.code == record.business)) is None:
                errors["business"] = invalid("unknown_business", code=record.business)
        return errors

    # --- drafts ------------------------------------------------------------------------

    def save_draft(self, staff: StaffSession, state: EditState) -> dict[str, Invalid]:
        """Keep unfinished work; returns the current validation problems (a draft may have some).

        Only text that must never be stored (far too long) stops a draft from being saved.
        """
        staff.require(KIND_PERMISSION[state.kind])
        for path, text in _walk_strings(state.data):
            if len(text) > HARD_LIMIT:
                raise ValidationFailed({_dotted(path): invalid("far_too_long", length=len(text), most=HARD_LIMIT)})
        with self.cache.transaction() as session:
            draft = session.scalar(select(m.Draft).where(m.Draft.kind == state.kind,
                                                         m.Draft.record_uid == state.uid))
            if draft is None:
                draft = m.Draft(kind=state.kind, record_uid=state.uid, base_version=state.base_version)
                session.add(draft)
            draft.data = copy.deepcopy(state.data)
            draft.author = staff.name
            draft.base_version = state.base_version
            errors = self.validate(state.kind, state.data, session)
        state.is_draft = True
        state.draft_author = staff.name
        return errors

    def discard_draft(self, staff: StaffSession, kind: str, uid: str) -> None:
        staff.require(KIND_PERMISSION[kind])
        with self.cache.transaction() as session:
            draft = session.scalar(select(m.Draft).where(m.Draft.kind == kind, m.Draft.record_uid == uid))
            if draft is not None:
                session.delete(draft)

    # --- publishing --------------------------------------------------------------------

    def publish(self, staff: StaffSession, state: EditState, *, lead_guides: list[str] | None = None) -> int:
        """Validate and publish; returns the new version. Raises ValidationFailed / StaleEdit.

        `lead_guides` (business types only): the guides whose ticket should go to this business.
        """
        staff.require(KIND_PERMISSION[state.kind])
        changed: list[tuple[str, str]] = []
        with self.cache.transaction() as session:
            errors = self.validate(state.kind, state.data, session)
            if errors:
                raise ValidationFailed(errors)
            data = KINDS[state.kind].model_validate(normalize(state.data)).model_dump(mode="json")
            version = self._write(session, staff, state.kind, data, state.base_version, action="publish")
            changed.append((state.kind, state.uid))
            if state.kind == "business_type" and lead_guides is not None:
                changed += self._relink_guides(session, staff, data["code"], set(lead_guides))
            draft = session.scalar(select(m.Draft).where(m.Draft.kind == state.kind,
                                                         m.Draft.record_uid == state.uid))
            if draft is not None:
                session.delete(draft)
        state.base_version, state.data, state.is_draft = version, data, False
        self._announce(changed)
        return version

    def _relink_guides(self, session: Session, staff: StaffSession, code: str,
                       wanted: set[str]) -> list[tuple[str, str]]:
        """Publish a new version of each guide whose business link changes."""
        changed = []
        for uid, data, version in self._published(session, "guide"):
            leads_here = data.get("business") == code
            if leads_here == (uid in wanted):
                continue
            data = {**data, "business": code if uid in wanted else None}
            self._write(session, staff, "guide", data, version, action="publish")
            changed.append(("guide", uid))
        return changed

    def _write(self, session: Session, staff: StaffSession, kind: str, data: dict[str, Any],
               base_version: int, *, action: str, version: int | None = None,
               outbox_base: int | None = None, **audit_detail: Any) -> int:
        """Apply one new version: record row, revision, outbox entry, audit row (caller's transaction)."""
        from kiosk.services.content import apply_content

        uid = data["uid"]
        if action != "resolve_conflict" and session.scalar(select(m.Conflict.id).where(
                m.Conflict.kind == kind, m.Conflict.record_uid == uid, m.Conflict.resolved_at.is_(None))):
            # Another version on top of a disputed one would reach the office as if agreed.
            raise EditorError(f"这条{KIND_NAMES[kind]}与街道办的版本有冲突，请先在“冲突”页处理 "
                              "(resolve the open conflict first)")
        old, current = self.current(session, kind, uid)
        if current != base_version:
            who = session.scalar(select(m.ContentRevision.author).where(
                m.ContentRevision.kind == kind, m.ContentRevision.record_uid == uid)
                .order_by(m.ContentRevision.version.desc()))
            raise StaleEdit(f"这条{KIND_NAMES[kind]}已被{who or '他人'}更新到第 {current} 版（你的编辑基于第 "
                            f"{base_version} 版）；请先查看历史，再重新编辑 (edited by someone else meanwhile)")
        if old is not None:
            self._keep_baseline(session, kind, uid, current, old)
        if version is None:
            version = current + 1
        apply_content(session, kind, data, version)
        if kind == "guide":
            row = session.scalar(select(m.ServiceGuide).where(m.ServiceGuide.uid == uid))
            if row is not None:
                row.updated_by = staff.name
        session.add(m.ContentRevision(kind=kind, record_uid=uid, version=version, data=data,
                                      author=staff.name, action=action))
        payload = wire.ContentEditPayload.model_construct(
            kind=kind, uid=uid, base_version=base_version if outbox_base is None else outbox_base,
            version=version, data=data, author=staff.name)
        session.add(m.Outbox(kind="content", payload=payload.model_dump(mode="json")))
        changes = [c.field for c in diff_records(kind, old, data)]
        audit(session, staff.name, action, f"{kind}:{uid}", kind=kind, title=record_title(kind, data),
              version=version, fields=changes, **audit_detail)
        log.info("%s %s %s v%d by %s", action, kind, uid, version, staff.name)
        return version

    def _keep_baseline(self, session: Session, kind: str, uid: str, version: int, data: dict[str, Any]) -> None:
        # Content imported from a bundle or pulled from the office has no revision yet; keep it
        # so the first edit's diff and a later restore have the original to go back to.
        exists = session.scalar(select(m.ContentRevision.id).where(
            m.ContentRevision.kind == kind, m.ContentRevision.record_uid == uid,
            m.ContentRevision.version == version))
        if exists is None:
            session.add(m.ContentRevision(kind=kind, record_uid=uid, version=version, data=data,
                                          author="", action="import"))
            session.flush()

    def _announce(self, changed: list[tuple[str, str]]) -> None:
        if self.events is None:
            return
        for kind, uid in changed:
            self.events.publish(ContentChanged(kind, uid))

    # --- history -----------------------------------------------------------------------

    def history(self, kind: str, uid: str) -> list[Revision]:
        """Every kept version, newest first (the current version included)."""
        with self.cache.reading() as session:
            revs = [Revision(r.version, r.author, r.action, r.created_at, r.data)
                    for r in session.scalars(select(m.ContentRevision).where(
                        m.ContentRevision.kind == kind, m.ContentRevision.record_uid == uid)
                        .order_by(m.ContentRevision.version.desc()))]
            data, version = self.current(session, kind, uid)
        if data is not None and not any(r.version == version for r in revs):
            revs.insert(0, Revision(version, "", "import", m.utcnow(), data))
        return revs

    def diff_versions(self, kind: str, uid: str, version: int) -> list[FieldChange]:
        """What `version` changed compared with the version before it."""
        revs = {r.version: r for r in self.history(kind, uid)}
        if version not in revs:
            raise EditorError(f"没有第 {version} 版 (no version {version})")
        older = [v for v in revs if v < version]
        before = revs[max(older)].data if older else None
        return diff_records(kind, before, revs[version].data)

    def restore(self, staff: StaffSession, kind: str, uid: str, version: int) -> int:
        """Publish an earlier version's data again, as a new version."""
        staff.require(KIND_PERMISSION[kind])
        with self.cache.transaction() as session:
            rev = session.scalar(select(m.ContentRevision).where(
                m.ContentRevision.kind == kind, m.ContentRevision.record_uid == uid,
                m.ContentRevision.version == version))
            if rev is None:
                raise EditorError(f"没有第 {version} 版，无法恢复 (no version {version})")
            data = copy.deepcopy(rev.data)
            errors = self.validate(kind, data, session)
            if errors:  # e.g. its ticket prefix is now used by another business type
                raise ValidationFailed(errors)
            _old, current = self.current(session, kind, uid)
            new_version = self._write(session, staff, kind, data, current, action="restore", restored=version)
        self._announce([(kind, uid)])
        return new_version

    # --- conflicts with the office -----------------------------------------------------

    def open_conflicts(self) -> list[ConflictInfo]:
        with self.cache.reading() as session:
            rows = session.scalars(select(m.Conflict).where(m.Conflict.resolved_at.is_(None))
                                   .order_by(m.Conflict.created_at)).all()
            return [ConflictInfo(c.id, c.kind, c.record_uid, record_title(c.kind, c.office_data or c.local_data),
                                 c.local_version, c.local_data, c.office_version, c.office_data, c.created_at,
                                 diff_records(c.kind, c.local_data, c.office_data) if c.kind in KINDS else [])
                    for c in rows]

    def merged_data(self, conflict: ConflictInfo, choice: str | dict[str, str]) -> dict[str, Any]:
        """The office copy with the fields the person chose from their own copy."""
        if choice == "office":
            return copy.deepcopy(conflict.office_data)
        if choice == "mine":
            return copy.deepcopy(conflict.local_data)
        if not isinstance(choice, dict):
            raise EditorError(f"未知的选择 {choice!r} (choose mine, office or per field)")
        data = copy.deepcopy(conflict.office_data)
        for key, side in choice.items():
            if side not in ("mine", "office"):
                raise EditorError(f"字段 {key} 的选择应为 mine 或 office (got {side!r})")
            if side == "mine":
                if key in conflict.local_data:
                    data[key] = copy.deepcopy(conflict.local_data[key])
                else:
                    data.pop(key, None)
        data["uid"] = conflict.uid
        return data

    def stale_to_conflict(self, staff: StaffSession, state: EditState) -> int:
        """Turn an edit that a newer version overtook (e.g. the office's, pulled while editing)
        into a conflict, so the person chooses field by field instead of retyping; returns its id."""
        staff.require(KIND_PERMISSION[state.kind])
        with self.cache.transaction() as session:
            current_data, current = self.current(session, state.kind, state.uid)
            if current_data is None or current == state.base_version:
                raise EditorError("这条记录没有更新的版本，可以直接发布 (nothing newer to resolve against)")
            conflict = m.Conflict(kind=state.kind, record_uid=state.uid, local_version=state.base_version,
                                  local_data=normalize(state.data), office_version=current,
                                  office_data=current_data)
            session.add(conflict)
            draft = session.scalar(select(m.Draft).where(m.Draft.kind == state.kind,
                                                         m.Draft.record_uid == state.uid))
            if draft is not None:  # the conflict now holds this edit
                session.delete(draft)
            audit(session, staff.name, "conflict_opened", f"{state.kind}:{state.uid}",
                  base_version=state.base_version, current_version=current)
            session.flush()
            return conflict.id

    def resolve_conflict(self, staff: StaffSession, conflict_id: int, choice: str | dict[str, str]) -> int:
        """Publish the chosen copy as a new version based on the office's version; returns it."""
        with self.cache.reading() as session:
            row = session.get(m.Conflict, conflict_id)
            if row is None or row.resolved_at is not None:
                raise EditorError("这个冲突不存在或已被处理 (conflict not found or already resolved)")
        info = next(c for c in self.open_conflicts() if c.id == conflict_id)
        staff.require(KIND_PERMISSION[info.kind])
        data = self.merged_data(info, choice)
        label = choice if isinstance(choice, str) else "merge"
        with self.cache.transaction() as session:
            errors = self.validate(info.kind, data, session)
            if errors:
                raise ValidationFailed(errors)
            data = KINDS[info.kind].model_validate(normalize(data)).model_dump(mode="json")
            _old, current = self.current(session, info.kind, info.uid)
            top = session.scalar(select(func.max(m.ContentRevision.version)).where(
                m.ContentRevision.kind == info.kind, m.ContentRevision.record_uid == info.uid)) or 0
            # The office will take office_version + 1; only if this hall already used that
            # number for its own (refused) edit does it go higher, so history stays unique.
            version = max(info.office_version, current, top) + 1
            office_kept = session.scalar(select(m.ContentRevision.id).where(
                m.ContentRevision.kind == info.kind, m.ContentRevision.record_uid == info.uid,
                m.ContentRevision.version == info.office_version))
            if office_kept is None:  # keep the office's copy in the history too
                session.add(m.ContentRevision(kind=info.kind, record_uid=info.uid, version=info.office_version,
                                              data=info.office_data, author="街道办", action="office"))
                session.flush()
            new_version = self._write(session, staff, info.kind, data, current, action="resolve_conflict",
                                      version=version, outbox_base=info.office_version, choice=label,
                                      office_version=info.office_version)
            now = m.utcnow()
            for c in session.scalars(select(m.Conflict).where(
                    m.Conflict.kind == info.kind, m.Conflict.record_uid == info.uid,
                    m.Conflict.resolved_at.is_(None))):
                c.resolved_at = now
                c.resolved_by = staff.name
        self._announce([(info.kind, info.uid)])
        return new_version
