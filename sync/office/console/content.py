"""Content in the browser: records as form fields and back, versions and a field diff.

Validation and publishing are the office's own (store.validate_record, store.publish), the same
path `yizhan office publish` and the admin API take, so every rule applies here too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync.office import store
from sync.office.models import ContentRecord, ContentRevision, Hall, Publication

KIND_NAMES = {"guide": "办事指南", "category": "类别", "business_type": "业务类型", "window": "窗口",
              "notice": "公示", "disclosure": "公示表"}
FIELD_LABELS = {
    "code": "编码", "category": "所属类别", "name": "名称", "name_en": "英文名称", "authority": "实施主体",
    "legal_basis": "设定依据", "conditions": "受理条件", "materials": "申请材料", "steps": "办理流程",
    "special_steps": "特殊环节", "legal_time_limit": "法定办结时限", "promised_time_limit": "承诺办结时限",
    "visits": "到现场次数", "fees": "收费标准", "location": "办理地点", "hours": "办理时间",
    "phone": "咨询电话", "complaint_phone": "监督投诉电话", "faqs": "常见问题", "keywords": "关键词",
    "business": "取号业务", "icon": "图标", "sort_order": "排序", "prefix": "号码前缀",
    "avg_service_minutes": "平均办理分钟", "number": "窗口号", "businesses": "办理业务", "title": "标题",
    "body": "正文", "starts_on": "开始日期", "ends_on": "结束日期",
    "period": "公示期间", "responsible": "责任人", "published_on": "公布日期", "columns": "表头（列）",
    "rows": "表格行（每行一个列表）", "notes": "说明", "kind": "公开类别（government 政务公开 / finance 财务公开）",
}
LONG_FIELDS = {"legal_basis", "conditions", "special_steps", "fees", "body", "notes"}


@dataclass
class FormField:
    key: str
    label: str
    kind: str  # text, long, number, json
    value: str
    error: str = ""


def form_fields(kind: str, data: dict[str, Any] | None, errors: dict[str, str] | None = None) -> list[FormField]:
    """The record's fields as form inputs (lists and objects as JSON text)."""
    model = store.CONTENT_MODELS[kind]
    data = data or {}
    out = []
    for key, info in model.model_fields.items():
        if key == "uid":
            continue
        value = data.get(key)
        annotation = str(info.annotation)
        if isinstance(value, list | dict) or "list" in annotation:
            shown, field_kind = _json_text(value if value is not None else []), "json"
        elif "int" in annotation and "str" not in annotation:
            field_kind, shown = "number", "" if value is None else str(value)
        else:
            field_kind = "long" if key in LONG_FIELDS else "text"
            shown = "" if value is None else str(value)
        out.append(FormField(key, FIELD_LABELS.get(key, key), field_kind, shown, (errors or {}).get(key, "")))
    return out


def _json_text(value: Any) -> str:
    # A table (公示表 rows): one row a line, so the textarea reads like the table it is.
    if isinstance(value, list) and value and all(isinstance(r, list) for r in value):
        return "[\n" + ",\n".join(" " + json.dumps(r, ensure_ascii=False) for r in value) + "\n]"
    return json.dumps(value, ensure_ascii=False, indent=1)


def data_from_form(kind: str, form: dict[str, str], uid: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The record the form describes, and per-field errors (JSON that does not parse, ...)."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in form_fields(kind, None):
        raw = form.get(f"f_{f.key}", "")
        if f.kind == "json":
            try:
                data[f.key] = json.loads(raw) if raw.strip() else []
            except json.JSONDecodeError as exc:
                errors[f.key] = f"不是有效的 JSON (not valid JSON): {exc.msg}, 第 {exc.lineno} 行"
        elif f.kind == "number":
            if raw.strip():
                try:
                    data[f.key] = int(raw.strip())
                except ValueError:
                    errors[f.key] = "应为整数 (must be a whole number)"
        elif raw.strip() or f.key not in ("business",):
            data[f.key] = raw.replace("\r\n", "\n")
    if uid:
        data["uid"] = uid
    return data, errors


def check(kind: str, data: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Validate like every other path; returns the canonical record or errors by field."""
    model = store.CONTENT_MODELS[kind]
    try:
        uid = data.get("uid") or model.model_validate(data).uid
    except ValidationError as exc:
        return None, _errors(exc)
    try:
        return store.validate_record(kind, str(uid), {**data, "uid": uid}), {}
    except store.OfficeError as exc:
        where = exc.message.split("field ", 1)[1].split(":", 1)[0].split(".")[0] if "field " in exc.message else ""
        return None, {where or "_": exc.message}


def _errors(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        key = loc[0] if loc else "_"
        out.setdefault(key, f"{'.'.join(loc)}: {err['msg']}")
    return out


def records(session: Session, kind: str) -> list[tuple[ContentRecord, int]]:
    """The office's records of a kind with the number of halls each is published to."""
    counts = dict(session.execute(select(Publication.record_uid, func.count()).group_by(Publication.record_uid)).all())
    rows = session.scalars(select(ContentRecord).where(ContentRecord.kind == kind)).all()
    return sorted(((r, int(counts.get(r.uid, 0))) for r in rows), key=lambda x: title(kind, x[0].data))


def title(kind: str, data: dict[str, Any]) -> str:
    if kind == "guide":
        return f"{data.get('code', '')} {data.get('name', '')}"
    if kind == "window":
        return f"{data.get('number', '')} 号 {data.get('name', '')}"
    if kind in ("notice", "disclosure"):
        return f"{data.get('title', '')} {data.get('period', '')}".strip()
    return f"{data.get('code', '')} {data.get('name', '')}"


def published_halls(session: Session, uid: str) -> list[str]:
    return list(session.scalars(select(Hall.code).join(Publication, Publication.hall_id == Hall.id)
                                .where(Publication.record_uid == uid).order_by(Hall.code)))


def revisions(session: Session, uid: str) -> list[ContentRevision]:
    return list(session.scalars(select(ContentRevision).where(ContentRevision.record_uid == uid)
                                .order_by(ContentRevision.id.desc())))


@dataclass
class FieldChange:
    key: str
    label: str
    old: str
    new: str


def shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, indent=1)
    return str(value)


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    """Fields that differ between two versions, in the record's field order."""
    keys = list(dict.fromkeys([*old, *new]))
    return [FieldChange(k, FIELD_LABELS.get(k, k), shown(old.get(k)), shown(new.get(k)))
            for k in keys if old.get(k) != new.get(k)]
