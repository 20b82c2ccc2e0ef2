"""What the kiosk's screens get from the catalogue: plain, frozen records.

Kept apart from kiosk/services/catalog.py (SQLAlchemy, rapidfuzz, pinyin) so the kiosk's first
home screen can be drawn from the start-up snapshot before any of those is imported. They are
NamedTuples rather than frozen dataclasses because defining a dataclass costs about 0.5 ms and
these are defined on the way to that first paint; and without `from __future__ import
annotations`, which would have typing compile every field's annotation from a string."""

from datetime import date
from typing import NamedTuple


class CategoryInfo(NamedTuple):
    code: str
    name: str
    name_en: str
    icon: str
    sort_order: int
    guide_count: int


class GuideSummary(NamedTuple):
    uid: str
    code: str
    name: str
    name_en: str
    category_code: str
    business_code: str | None
    order: int  # position in the category listing (sort order, then code)


class MaterialItem(NamedTuple):
    name: str
    copies: int
    form: str  # original | copy | both | ""
    notes: str


class GuideDetail(NamedTuple):
    """Every 办事指南 field, with text already stripped; empty strings mean "not given"."""

    uid: str
    code: str
    name: str
    name_en: str
    category_code: str
    category_name: str
    category_name_en: str
    authority: str
    legal_basis: str
    conditions: str
    materials: tuple[MaterialItem, ...]
    steps: tuple[str, ...]
    special_steps: str
    legal_time_limit: str
    promised_time_limit: str
    visits: int | None
    fees: str
    location: str
    hours: str
    phone: str
    complaint_phone: str
    faqs: tuple[tuple[str, str], ...]
    keywords: tuple[str, ...]
    business_code: str | None
    business_name: str
    business_name_en: str
    version: int


class NoticeInfo(NamedTuple):
    uid: str
    title: str
    body: str
    starts_on: date
    ends_on: date


class DisclosureInfo(NamedTuple):
    """A 政务公开 / 财务公开 table as the kiosk's 公示 screen shows it."""

    uid: str
    title: str
    kind: str  # government | finance
    period: str
    responsible: str
    published_on: date
    starts_on: date
    ends_on: date
    columns: list[str]
    rows: list[list[str]]
    notes: str
