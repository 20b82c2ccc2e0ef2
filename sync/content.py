"""The human-editable content bundle: service guides, categories, businesses, windows, notices.

What a record may hold (pydantic models), the checks between records (duplicates, references
that do not exist) and the bundle that has passed them, in a canonical order. Staff keep a
bundle as a folder of YAML files; reading and writing those is sync/content_files.py. Plain
Python: no Qt, no database, no files.

Records carry a stable `uid`. It may be left out in YAML; it is then derived from the record's
code, so the same file always yields the same ids (and re-importing updates, never duplicates).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sync.problems import Invalid, InvalidValue, invalid

# Fixed forever: changing it would give every derived record a new identity.
YIZHAN_NAMESPACE = uuid.UUID("35095c2a-bf7d-56c4-848c-7f179995a6c0")


def derive_uid(kind: str, code: str | int) -> str:
    """The uid a record gets when its YAML does not give one."""
    return str(uuid.uuid5(YIZHAN_NAMESPACE, f"{kind}:{code}"))


# --- field types ---------------------------------------------------------------------------

_CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
_CATEGORY_CODE_RE = re.compile(r"[a-z][a-z0-9_-]{0,39}")  # also a file name
_ICON_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


def _check_code(value: str) -> str:
    if not _CODE_RE.fullmatch(value):
        raise InvalidValue("bad_code")
    return value


def _check_category_code(value: str) -> str:
    if not _CATEGORY_CODE_RE.fullmatch(value):
        raise InvalidValue("bad_category_code")
    return value


def _check_icon(value: str) -> str:
    if not _ICON_RE.fullmatch(value):
        raise InvalidValue("bad_icon")
    return value


def _check_prefix(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{1,2}", value):
        raise InvalidValue("bad_prefix")
    return value


def _check_pin(value: str) -> str:
    if not re.fullmatch(r"[0-9]{4,8}", value):
        raise InvalidValue("bad_pin")
    return value


def _check_uid(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidValue("bad_uid") from None


Code = Annotated[str, AfterValidator(_check_code)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
EnglishName = Annotated[str, Field(max_length=200)]
Short = Annotated[str, Field(min_length=1, max_length=200)]  # one line: a place, a phone, a limit
OptionalShort = Annotated[str, Field(max_length=200)]
LongText = Annotated[str, Field(min_length=1, max_length=5000)]
OptionalLongText = Annotated[str, Field(max_length=5000)]
Uid = Annotated[str | None, AfterValidator(_check_uid)]


# Invisible control characters (tab and newline are fine): YAML treats some as line breaks,
# screens show them as boxes, and nobody can see them to remove them.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


class _Record(BaseModel):
    # Unknown keys are typos: refuse them instead of silently dropping content.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        for text in (value if isinstance(value, list) else [value]):
            if isinstance(text, str) and (m := _CONTROL_RE.search(text)):
                raise InvalidValue("control_character", code_point=f"{ord(m.group()):04X}")
        return value


# --- the records ---------------------------------------------------------------------------


class Material(_Record):
    """申请材料: one document the resident brings."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    copies: int = Field(1, ge=1, le=99)
    form: Literal["original", "copy", "both"] = "original"  # 原件 / 复印件 / 原件和复印件
    notes: Annotated[str, Field(max_length=1000)] = ""


class FAQ(_Record):
    """常见问题: a question residents ask and its answer."""

    q: Annotated[str, Field(min_length=1, max_length=500)]
    a: LongText


class Guide(_Record):
    """办事指南: one procedure with every field a published guide carries."""

    code: Code  # 事项编码, e.g. MZ-001
    category: Annotated[str, AfterValidator(_check_category_code)]  # from the file it sits in
    name: Name  # 事项名称
    name_en: EnglishName = ""
    authority: Short  # 实施主体
    legal_basis: LongText  # 设定依据
    conditions: LongText  # 受理条件
    materials: list[Material] = Field(max_length=50)  # 申请材料
    steps: list[Annotated[str, Field(min_length=1, max_length=1000)]] = Field(min_length=1, max_length=30)
    special_steps: OptionalLongText = ""  # 特殊环节
    legal_time_limit: Annotated[str, Field(min_length=1, max_length=100)]  # 法定办结时限
    promised_time_limit: Annotated[str, Field(min_length=1, max_length=100)]  # 承诺办结时限
    visits: int = Field(ge=0, le=20)  # 到现场次数
    fees: OptionalLongText = ""  # 收费标准; empty means 不收费
    location: Short  # 办理地点
    hours: Short  # 办理时间
    phone: Annotated[str, Field(min_length=1, max_length=100)]  # 咨询电话
    complaint_phone: Annotated[str, Field(max_length=100)] = ""  # 监督投诉电话
    faqs: list[FAQ] = Field(default_factory=list, max_length=50)  # 常见问题
    keywords: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=50)  # 关键词 (search also uses pinyin of the name)
    business: Code | None = None  # the business type a ticket for this guide goes to
    uid: Uid = None

    @model_validator(mode="after")
    def _fill_uid(self) -> Guide:
        if self.uid is None:
            self.uid = derive_uid("guide", self.code)
        return self


class Category(_Record):
    """所属类别: one of the hall's service areas."""

    code: Annotated[str, AfterValidator(_check_category_code)]
    name: Name
    name_en: Name
    icon: Annotated[str, AfterValidator(_check_icon)]
    sort_order: int = Field(ge=0, le=9999)
    uid: Uid = None

    @model_validator(mode="after")
    def _fill_uid(self) -> Category:
        if self.uid is None:
            self.uid = derive_uid("category", self.code)
        return self


class BusinessType(_Record):
    """业务类型: what residents queue for; the prefix starts every ticket number (A023)."""

    code: Code
    name: Name
    # Empty: the English name of the service area with the same code (one English name for
    # 维稳综治 on the home screen, on 取号 and on the ticket).
    name_en: EnglishName = ""
    prefix: Annotated[str, AfterValidator(_check_prefix)]
    avg_service_minutes: int = Field(10, ge=1, le=480)
    uid: Uid = None

    @model_validator(mode="after")
    def _fill_uid(self) -> BusinessType:
        if self.uid is None:
            self.uid = derive_uid("business", self.code)
        return self


class Window(_Record):
    """窗口: a counter and the businesses it serves, first listed = served first."""

    number: int = Field(ge=1, le=999)
    name: Name
    businesses: list[Code] = Field(max_length=20)
    uid: Uid = None

    @field_validator("businesses")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        repeated = sorted({b for b in value if value.count(b) > 1})
        if repeated:
            raise InvalidValue("business_twice", codes=", ".join(repeated))
        return value

    @model_validator(mode="after")
    def _fill_uid(self) -> Window:
        if self.uid is None:
            self.uid = derive_uid("window", self.number)
        return self


def _ends_after_start(cls: Any, value: date, info: ValidationInfo) -> date:
    starts = info.data.get("starts_on")
    if starts is not None and value < starts:
        raise InvalidValue("ends_before_start", starts=starts.isoformat())
    return value


class Notice(_Record):
    """公示: shown on the kiosk and the board from starts_on to ends_on (both included)."""

    title: Annotated[str, Field(min_length=1, max_length=200)]
    body: LongText
    starts_on: date
    ends_on: date
    uid: Uid = None

    _ends_after_start = field_validator("ends_on")(_ends_after_start)

    @model_validator(mode="after")
    def _fill_uid(self) -> Notice:
        if self.uid is None:
            self.uid = derive_uid("notice", self.title)
        return self


DISCLOSURE_KINDS = {"government": "政务公开", "finance": "财务公开"}


class Disclosure(_Record):
    """公示表: a 政务公开 or 财务公开 table residents can check (e.g. the station's income and
    expenditure for a month), with its period and the person responsible for it. Published by
    the street office; shown on the kiosk's 公示 screen from starts_on to ends_on."""

    title: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Literal["government", "finance"]  # 政务公开 / 财务公开
    period: Annotated[str, Field(min_length=1, max_length=50)]  # 公示期间, e.g. 2026年10月
    responsible: Annotated[str, Field(min_length=1, max_length=100)]  # 责任人
    published_on: date  # 公布日期
    starts_on: date
    ends_on: date
    columns: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(min_length=1, max_length=8)
    rows: list[list[Annotated[str, Field(max_length=200)]]] = Field(min_length=1, max_length=200)
    notes: OptionalLongText = ""  # 说明, e.g. where the vouchers can be seen
    uid: Uid = None

    _ends_after_start = field_validator("ends_on")(_ends_after_start)

    @model_validator(mode="after")
    def _rows_fit_columns(self) -> Disclosure:
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise InvalidValue("row_cells", row=i + 1, cells=len(row), columns=len(self.columns))
        if self.uid is None:
            self.uid = derive_uid("disclosure", f"{self.kind}:{self.title}:{self.period}")
        return self


class StaffSeed(_Record):
    """A sample staff account (the PIN is hashed on import and never stored as text)."""

    name: Annotated[str, Field(min_length=1, max_length=50)]
    role: Literal["clerk", "editor", "head"]
    pin: Annotated[str, AfterValidator(_check_pin)]


# --- the bundle and its cross-checks -------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A cross-record problem: which list, which entry in it, which field, what is wrong."""

    section: str  # categories, guides, businesses, windows, notices, staff
    index: int
    field: tuple[str | int, ...]
    message: str
    ref: tuple[str, str] | None = None  # (section, code) referred to, for "does not exist" problems


def _duplicates(section: str, items: Sequence[Any], attr: str, what: str,
                skip: Collection[tuple[str, int]] = ()) -> Iterable[Problem]:
    first: dict[Any, int] = {}
    for i, item in enumerate(items):
        value = getattr(item, attr)
        if value is None or (attr == "uid" and (section, i) in skip):
            continue
        if value in first:
            other = items[first[value]]
            ident = next(str(getattr(other, a)) for a in ("code", "number", "name", "title") if hasattr(other, a))
            yield Problem(section, i, (attr,), f"{what} {value!s} 重复，已用于 {ident} "
                                              f"(duplicate {attr}, already used by {ident})")
        else:
            first[value] = i


def cross_check(categories: Sequence[Category], guides: Sequence[Guide],
                businesses: Sequence[BusinessType], windows: Sequence[Window],
                notices: Sequence[Notice], staff: Sequence[StaffSeed],
                disclosures: Sequence[Disclosure] = ()) -> list[Problem]:
    """Problems between records: duplicates and references to things that do not exist."""
    problems: list[Problem] = []
    problems += _duplicates("categories", categories, "code", "类别编码")
    problems += _duplicates("guides", guides, "code", "事项编码")
    problems += _duplicates("businesses", businesses, "code", "业务编码")
    problems += _duplicates("businesses", businesses, "prefix", "票号前缀")
    problems += _duplicates("windows", windows, "number", "窗口号")
    # A repeated code also repeats its derived uid: say it once.
    said = {(p.section, p.index) for p in problems}
    problems += _duplicates("categories", categories, "uid", "uid", said)
    problems += _duplicates("guides", guides, "uid", "uid", said)
    problems += _duplicates("businesses", businesses, "uid", "uid", said)
    problems += _duplicates("windows", windows, "uid", "uid", said)
    problems += _duplicates("notices", notices, "uid", "uid")
    problems += _duplicates("staff", staff, "name", "姓名")

    category_codes = {c.code for c in categories}
    business_codes = {b.code for b in businesses}
    known = ", ".join(sorted(business_codes)) or "无 none"
    for i, g in enumerate(guides):
        if g.category not in category_codes:
            problems.append(Problem("guides", i, ("category",), f"类别 {g.category} 不存在 (unknown category)",
                                    ("categories", g.category)))
        if g.business is not None and g.business not in business_codes:
            problems.append(Problem("guides", i, ("business",),
                                    f"业务 {g.business} 不存在，可选: {known} (unknown business type)",
                                    ("businesses", g.business)))
    for i, w in enumerate(windows):
        for j, code in enumerate(w.businesses):
            if code not in business_codes:
                problems.append(Problem("windows", i, ("businesses", j),
                                        f"业务 {code} 不存在，可选: {known} (unknown business type)",
                                        ("businesses", code)))
    problems += _duplicates("disclosures", disclosures, "uid", "uid")
    return problems


class ContentBundle(BaseModel):
    """Everything the hall shows and queues for, in a canonical order.

    Lists are kept sorted (categories by sort order, guides by category then code, businesses
    by prefix, windows by number, notices by start date) so two bundles with the same content
    compare equal however they were read or exported.
    """

    model_config = ConfigDict(extra="forbid")

    categories: list[Category] = Field(default_factory=list)
    guides: list[Guide] = Field(default_factory=list)
    businesses: list[BusinessType] = Field(default_factory=list)
    windows: list[Window] = Field(default_factory=list)
    notices: list[Notice] = Field(default_factory=list)
    disclosures: list[Disclosure] = Field(default_factory=list)  # 政务公开 / 财务公开 tables
    staff: list[StaffSeed] = Field(default_factory=list)  # sample accounts only; kept in file order

    @model_validator(mode="after")
    def _check_and_sort(self) -> ContentBundle:
        problems = cross_check(self.categories, self.guides, self.businesses, self.windows,
                               self.notices, self.staff, self.disclosures)
        if problems:
            raise ValueError("; ".join(
                f"{p.section}[{p.index}].{'.'.join(map(str, p.field))}: {p.message}" for p in problems))
        english = {c.code: c.name_en for c in self.categories}
        for business in self.businesses:
            if not business.name_en:
                business.name_en = english.get(business.code, "")
        self.categories.sort(key=lambda c: (c.sort_order, c.code))
        rank = {c.code: i for i, c in enumerate(self.categories)}
        self.guides.sort(key=lambda g: (rank[g.category], g.code))
        self.businesses.sort(key=lambda b: (b.prefix, b.code))
        self.windows.sort(key=lambda w: w.number)
        self.notices.sort(key=lambda n: (n.starts_on, n.title, n.uid or ""))
        self.disclosures.sort(key=lambda d: (d.published_on, d.kind, d.title, d.uid or ""))
        return self

    def guides_in(self, category_code: str) -> list[Guide]:
        return [g for g in self.guides if g.category == category_code]


# --- problems ------------------------------------------------------------------------------


class ContentError(Exception):
    """A bundle could not be loaded, written or imported; `problems` lists every one (as
    `file:line: ...` when it comes from a file)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"内容有 {len(problems)} 处错误 (content has {len(problems)} problem(s)):\n"
                         + "\n".join(f"  {p}" for p in problems))


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_TYPE_CODES = {
    "string_type": "not_text", "int_type": "not_whole_number", "int_parsing": "not_whole_number",
    "int_from_float": "not_whole_number", "list_type": "not_list", "model_type": "not_mapping",
    "dict_type": "not_mapping", "model_attributes_type": "not_mapping", "date_type": "not_date",
    "date_parsing": "not_date", "date_from_datetime_parsing": "not_date",
    "date_from_datetime_inexact": "date_with_time",
}


def problem_of(err: dict[str, Any]) -> Invalid:
    """A pydantic error as a problem code and its parameters (the words are the reader's)."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if kind == "missing":
        return invalid("required")
    if kind == "extra_forbidden":
        return invalid("unknown_field")
    if kind == "value_error":
        error = ctx.get("error")
        return error.problem if isinstance(error, InvalidValue) else invalid("refused", detail=str(error or err["msg"]))
    if kind in _TYPE_CODES:
        return invalid(_TYPE_CODES[kind], value=_shown(value))
    if kind == "string_too_short":
        return invalid("empty")
    if kind == "string_too_long":
        return invalid("too_long_text", length=len(value), most=ctx["max_length"])
    if kind == "too_short":
        return invalid("too_few_items", least=ctx["min_length"])
    if kind == "too_long":
        return invalid("too_many_items", most=ctx["max_length"])
    if kind == "greater_than_equal":
        return invalid("at_least", least=ctx["ge"], value=_shown(value))
    if kind == "less_than_equal":
        return invalid("at_most", most=ctx["le"], value=_shown(value))
    if kind == "literal_error":
        return invalid("one_of", choices=ctx["expected"], value=_shown(value))
    return invalid("other", detail=str(ctx.get("error", err["msg"])), value=_shown(value))
