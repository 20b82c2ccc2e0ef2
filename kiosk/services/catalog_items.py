"""What the kiosk's screens get from the catalogue: plain, frozen records.

Kept apart from kiosk/services/catalog.py (SQLAlchemy, rapidfuzz, pinyin) so the kiosk's first
home screen can be drawn from the start-up snapshot before any of those is imported."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class CategoryInfo:
    code: str
    name: str
    name_en: str
    icon: str
    sort_order: int
    guide_count: int


@dataclass(frozen=True)
class GuideSummary:
    uid: str
    code: str
    name: str
    name_en: str
    category_code: str
    business_code: str | None
    order: int  # position in the category listing (sort order, then code)


@dataclass(frozen=True)
class MaterialItem:
    name: str
    copies: int
    form: str  # original | copy | both | ""
    notes: str


@dataclass(frozen=True)
class GuideDetail:
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


@dataclass(frozen=True)
class NoticeInfo:
    uid: str
    title: str
    body: str
    starts_on: date
    ends_on: date
