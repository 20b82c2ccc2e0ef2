"""The human-editable content bundle: service guides, categories, businesses, windows, notices.

A bundle is a folder of YAML files that hall staff (or the street office) can edit with any
text editor:

    hall.yaml                 businesses:, windows:, notices:, staff:
    guides/<category>.yaml    category: (one mapping) and guides: (a list)

`load_bundle` checks everything and reports every problem at once as
`file:line: entry <which> field <dotted.path>: message`, so a person can fix a whole file in
one go; `dump_bundle` writes the same layout back. Plain Python: no Qt, no database.

Records carry a stable `uid`. It may be left out in YAML; it is then derived from the record's
code, so the same file always yields the same ids (and re-importing updates, never duplicates).
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sync.problems import Invalid, InvalidValue, invalid

# Fixed forever: changing it would give every derived record a new identity.
YIZHAN_NAMESPACE = uuid.UUID("35095c2a-bf7d-56c4-848c-7f179995a6c0")

# The bundled sample content (assets/ sits at the repo root, next to sync/).
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "assets" / "sample"

HALL_FILE = "hall.yaml"
GUIDES_DIR = "guides"


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
                notices: Sequence[Notice], staff: Sequence[StaffSeed]) -> list[Problem]:
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
                               self.notices, self.staff)
        problems += _duplicates("disclosures", self.disclosures, "uid", "uid")
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


# --- loading -------------------------------------------------------------------------------


class ContentError(Exception):
    """A bundle could not be loaded; `problems` lists every one as `file:line: ...`."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"内容有 {len(problems)} 处错误 (content has {len(problems)} problem(s)):\n"
                         + "\n".join(f"  {p}" for p in problems))


@dataclass
class _Source:
    """Where one entry came from, to turn a field path into a file line."""

    path: Path
    node: yaml.Node  # the entry's own node (normally a mapping)
    label: str  # e.g. "guide MZ-001" or "guide #3"


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _child(node: yaml.Node, key: str | int) -> yaml.Node | None:
    """The value node under a key (mapping) or index (sequence), if the file has it."""
    if isinstance(node, yaml.MappingNode) and isinstance(key, str):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        return node.value[key]
    return None


def _locate(node: yaml.Node, path: Sequence[str | int]) -> int:
    """Line of the deepest node along `path` (a missing field points at its parent entry)."""
    for key in path:
        child = _child(node, key)
        if child is None:
            break
        node = child
    return _line(node)


def _dotted(path: Sequence[str | int]) -> str:
    # List positions count from 1 for people: materials.2.copies is the second material.
    return ".".join(str(p + 1) if isinstance(p, int) else p for p in path)


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


def _message(err: dict[str, Any]) -> str:
    """A pydantic error for a file or the command line: Chinese first, English in brackets."""
    return problem_of(err).bilingual()


def _format(path: Path, line: int, label: str | None, field: Sequence[str | int], message: str) -> str:
    where = f"{path}:{line}:"
    if label:
        where += f" entry {label}"
    if field:
        where += f" field {_dotted(field)}"
    return f"{where}: {message}"


def _parse(path: Path, problems: list[str]) -> tuple[yaml.Node | None, Any]:
    """Read one YAML file into (node tree with line marks, plain data); None on failure."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(f"{path}:1: 文件不是 UTF-8 编码 (file is not UTF-8: {exc.reason})")
        return None, None
    except OSError as exc:
        problems.append(f"{path}: 无法读取 (cannot read: {exc.strerror})")
        return None, None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            problems.append(f"{path}:1: 文件是空的 (file is empty)")
            return None, None
        _check_duplicate_keys(path, node, problems)
        return node, loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        context = exc.context or ""
        if exc.context_mark is not None and mark is not exc.context_mark:
            context += f" (started at line {exc.context_mark.line + 1})"
        what = " ".join(p for p in (context, exc.problem) if p)
        problems.append(f"{where}: YAML 格式错误 (YAML syntax error): {what}")
        return None, None
    except yaml.YAMLError as exc:
        problems.append(f"{path}: YAML 格式错误 (YAML syntax error): {exc}")
        return None, None
    finally:
        loader.dispose()


def _check_duplicate_keys(path: Path, node: yaml.Node, problems: list[str]) -> None:
    # PyYAML silently keeps the last of two equal keys; in a guide that loses content.
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in seen:
                        problems.append(f"{path}:{_line(k)}: 键 {k.value} 重复 (duplicate key {k.value!r})")
                    seen.add(k.value)
                stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)


def _top_level(path: Path, node: yaml.Node, data: Any, allowed: dict[str, type],
               problems: list[str]) -> dict[str, Any] | None:
    """Check a file's top-level keys; returns the mapping or None if unusable."""
    if not isinstance(data, dict):
        problems.append(f"{path}:{_line(node)}: 文件顶层应为键值映射，包含 {', '.join(allowed)} "
                        f"(top level must be a mapping with {', '.join(allowed)})")
        return None
    for key, value in data.items():
        key_line = _locate(node, [str(key)])
        if key not in allowed:
            problems.append(f"{path}:{key_line}: 未知的顶层键 {key}，应为 {', '.join(allowed)} "
                            f"(unknown top-level key)")
        elif value is not None and not isinstance(value, allowed[key]):
            kind = "列表 (a list)" if allowed[key] is list else "键值映射 (a mapping)"
            problems.append(f"{path}:{key_line}: {key} 应为{kind}")
    return data


class _Collector:
    """Validates entries one by one, remembering where each valid one came from."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.items: dict[str, list[Any]] = {s: [] for s in
                                            ("categories", "guides", "businesses", "windows", "notices",
                                             "disclosures", "staff")}
        self.sources: dict[str, list[_Source]] = {s: [] for s in self.items}
        # Guide files whose category block is broken: their guides' category is not re-reported.
        self.bad_category_files: set[Path] = set()
        # Codes of entries that failed their own checks: references to them are not re-reported.
        self.failed_codes: set[tuple[str, str]] = set()

    def add(self, section: str, model: type[BaseModel], data: Any, source: _Source) -> BaseModel | None:
        from sync.content_rules import text_problems  # the editor's text rules, shared by every path

        said = set()
        for loc, message in text_problems(data):
            said.add(tuple(loc))
            self.problems.append(_format(source.path, _locate(source.node, loc), source.label, loc, str(message)))
        failed = bool(said)
        try:
            item = model.model_validate(data)
        except ValidationError as exc:
            failed = True
            for err in exc.errors():
                loc = tuple(err["loc"])
                if loc in said:
                    continue  # one message per field
                line = _locate(source.node, loc)
                self.problems.append(_format(source.path, line, source.label, loc, _message(err)))
        if failed:
            if isinstance(data, dict) and isinstance(data.get("code"), str):
                self.failed_codes.add((section, data["code"].strip()))
            return None
        self.items[section].append(item)
        self.sources[section].append(source)
        return item


def _label(kind: str, entry: Any, key: str, position: int) -> str:
    ident = entry.get(key) if isinstance(entry, dict) else None
    if isinstance(ident, str | int) and not isinstance(ident, bool) and str(ident).strip():
        return f"{kind} {str(ident).strip()}"
    return f"{kind} #{position + 1}"


def _entries(collector: _Collector, path: Path, node: yaml.Node, data: dict[str, Any], key: str,
             section: str, kind: str, ident: str, model: type[BaseModel]) -> None:
    entries = data.get(key)
    if not isinstance(entries, list):
        return  # missing or already reported by _top_level
    list_node = _child(node, key)
    for i, entry in enumerate(entries):
        entry_node = _child(list_node, i) if list_node is not None else None
        source = _Source(path, entry_node or node, _label(kind, entry, ident, i))
        collector.add(section, model, entry, source)


def _load_hall(collector: _Collector, path: Path) -> None:
    if not path.is_file():
        collector.problems.append(f"{path}: 缺少文件 hall.yaml (missing: businesses, windows, notices, staff)")
        return
    node, data = _parse(path, collector.problems)
    if node is None:
        return
    data = _top_level(path, node, data, {"businesses": list, "windows": list, "notices": list,
                                         "disclosures": list, "staff": list}, collector.problems)
    if data is None:
        return
    _entries(collector, path, node, data, "businesses", "businesses", "business", "code", BusinessType)
    _entries(collector, path, node, data, "windows", "windows", "window", "number", Window)
    _entries(collector, path, node, data, "notices", "notices", "notice", "title", Notice)
    _entries(collector, path, node, data, "disclosures", "disclosures", "disclosure", "title", Disclosure)
    _entries(collector, path, node, data, "staff", "staff", "staff", "name", StaffSeed)


def _load_guides_file(collector: _Collector, path: Path) -> None:
    node, data = _parse(path, collector.problems)
    if node is None:
        return
    data = _top_level(path, node, data, {"category": dict, "guides": list}, collector.problems)
    if data is None:
        return
    category_code = path.stem
    cat_data = data.get("category")
    cat_node = _child(node, "category")
    if not isinstance(cat_data, dict):
        collector.bad_category_files.add(path)
    if cat_data is None:
        collector.problems.append(f"{path}:{_line(node)}: 缺少 category: 类别信息 (missing the category mapping)")
    elif isinstance(cat_data, dict):
        source = _Source(path, cat_node or node, _label("category", cat_data, "code", 0))
        category = collector.add("categories", Category, cat_data, source)
        if category is None:
            collector.bad_category_files.add(path)
        elif category.code != path.stem:
            collector.bad_category_files.add(path)
            collector.problems.append(_format(path, _locate(source.node, ["code"]), source.label, ["code"],
                                              f"类别编码应与文件名一致: {path.stem} "
                                              f"(the file must be named {category.code}.yaml)"))
    entries = data.get("guides")
    if not isinstance(entries, list):
        if entries is None and "guides" not in data:
            collector.problems.append(f"{path}:{_line(node)}: 缺少 guides: 事项列表 (missing the guides list)")
        return
    list_node = _child(node, "guides")
    for i, entry in enumerate(entries):
        entry_node = _child(list_node, i) if list_node is not None else None
        source = _Source(path, entry_node or node, _label("guide", entry, "code", i))
        if isinstance(entry, dict):
            if "category" in entry:
                collector.problems.append(_format(path, _locate(source.node, ["category"]), source.label,
                                                  ["category"], "类别由所在文件决定，请删除此字段 "
                                                  "(the category is the file the guide is in; remove this)"))
                continue
            entry = {**entry, "category": category_code}
        collector.add("guides", Guide, entry, source)


def _file_line(problem: str) -> tuple[str, int]:
    # Report in reading order: by file, then by line.
    m = re.match(r"(.*?):(\d+):", problem)
    return (m.group(1), int(m.group(2))) if m else (problem.split(":")[0], 0)


def load_bundle(directory: Path | str) -> ContentBundle:
    """Read and check a content folder; raises ContentError listing every problem found."""
    directory = Path(directory)
    collector = _Collector()
    if not directory.is_dir():
        raise ContentError([f"{directory}: 不是文件夹 (not a directory)"])

    for stray in sorted(directory.glob("*.y*ml")):
        if stray.name != HALL_FILE:
            collector.problems.append(f"{stray}: 未知文件，事项应放在 {GUIDES_DIR}/ 下 "
                                      f"(unknown file; guides belong in {GUIDES_DIR}/<category>.yaml)")
    _load_hall(collector, directory / HALL_FILE)

    guides_dir = directory / GUIDES_DIR
    guide_files = sorted(guides_dir.glob("*.yaml")) if guides_dir.is_dir() else []
    if not guide_files:
        collector.problems.append(f"{guides_dir}: 没有事项文件 (no guides/<category>.yaml files)")
    for stray in sorted(guides_dir.glob("*.yml")) if guides_dir.is_dir() else []:
        collector.problems.append(f"{stray}: 请使用 .yaml 扩展名 (use the .yaml extension)")
    for path in guide_files:
        _load_guides_file(collector, path)

    items, sources = collector.items, collector.sources
    checked = {k: v for k, v in items.items() if k != "disclosures"}
    for p in [*cross_check(**checked), *_duplicates("disclosures", items["disclosures"], "uid", "uid")]:
        source = sources[p.section][p.index]
        if p.field == ("category",) and source.path in collector.bad_category_files:
            continue  # the broken category block is already reported
        if p.ref is not None and p.ref in collector.failed_codes:
            continue  # the referenced record is broken and already reported
        collector.problems.append(_format(source.path, _locate(source.node, p.field), source.label,
                                          p.field, p.message))
    if collector.problems:
        raise ContentError(sorted(collector.problems, key=_file_line))
    return ContentBundle(**items)


# --- writing -------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Readable YAML: indented lists, multi-line text as | blocks, no anchors."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    # Short lists of words (keywords, a window's businesses) read best on one line.
    flat = all(isinstance(v, str | int) and not isinstance(v, bool) and "\n" not in str(v) for v in value)
    short = sum(len(str(v)) + 2 for v in value) <= 60
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=bool(value) and flat and short)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)

_HEADER = "# 一站 Yizhan 内容文件，格式说明见 assets/sample/README.md\n"


def _yaml_text(data: dict[str, Any]) -> str:
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100,
                     default_flow_style=False)
    return _HEADER + body


def _write_atomic(path: Path, text: str) -> None:
    # Write then rename: an interrupted export never leaves half a file behind.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _plain(model: BaseModel, **kwargs: Any) -> dict[str, Any]:
    # Defaults (empty notes, copies: 1, ...) are left out to keep files short; uids always stay.
    return model.model_dump(mode="python", exclude_defaults=True, **kwargs)


def dump_bundle(bundle: ContentBundle, directory: Path | str) -> Path:
    """Write `bundle` as hall.yaml + guides/<category>.yaml into `directory`; returns it.

    Refuses (before writing anything) if the folder holds guide files for other categories,
    since loading the folder afterwards would mix them in.
    """
    directory = Path(directory)
    guides_dir = directory / GUIDES_DIR
    wanted = {f"{c.code}.yaml" for c in bundle.categories}
    if guides_dir.is_dir():
        others = sorted(p.name for p in guides_dir.glob("*.y*ml") if p.name not in wanted)
        if others:
            raise ContentError([f"{guides_dir}: 已有其他类别文件 {', '.join(others)}，请导出到空文件夹 "
                                "(folder holds other guide files; export to an empty folder)"])
    guides_dir.mkdir(parents=True, exist_ok=True)

    for category in bundle.categories:
        data = {
            "category": _plain(category),
            "guides": [_plain(g, exclude={"category"}) for g in bundle.guides_in(category.code)],
        }
        _write_atomic(guides_dir / f"{category.code}.yaml", _yaml_text(data))
    hall = {
        "businesses": [_plain(b) for b in bundle.businesses],
        "windows": [_plain(w) for w in bundle.windows],
        "notices": [_plain(n) for n in bundle.notices],
        **({"disclosures": [_plain(d) for d in bundle.disclosures]} if bundle.disclosures else {}),
        "staff": [_plain(s) for s in bundle.staff],
    }
    _write_atomic(directory / HALL_FILE, _yaml_text(hall))
    return directory
