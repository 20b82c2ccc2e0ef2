"""Preview of a guide as the kiosk shows it, built from the form's (unpublished) data.

The draft is turned into the catalogue's `GuideDetail` (the same object the kiosk screens
get) and shown by the kiosk's own guide screen (kiosk.ui.resident), so the preview is the
kiosk; if that screen cannot be built, by a plain-text rendering with the same sections.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from kiosk.services.catalog import Catalog, GuideDetail, MaterialItem
from kiosk.services.editor import FORM_NAMES
from kiosk.ui.editor.forms import plain_label

if TYPE_CHECKING:
    from kiosk.hall import Hall

log = logging.getLogger(__name__)


def detail_from_data(data: dict[str, Any], choices: dict[str, list[tuple[str, str]]],
                     version: int = 0) -> GuideDetail:
    """The kiosk's view of a guide, from editor data (stripped as the catalogue strips it)."""

    def t(key: str) -> str:
        value = data.get(key)
        return value.strip() if isinstance(value, str) else ""

    categories = dict(choices.get("category", []))
    businesses = dict(choices.get("business", []))
    business = data.get("business") or None
    return GuideDetail(
        uid=str(data.get("uid") or ""), code=t("code"), name=t("name") or t("code") or "—", name_en=t("name_en"),
        category_code=t("category"), category_name=categories.get(t("category"), ""), category_name_en="",
        authority=t("authority"), legal_basis=t("legal_basis"), conditions=t("conditions"),
        materials=tuple(MaterialItem(str(m.get("name", "")).strip(), int(m.get("copies") or 1),
                                     str(m.get("form", "")), str(m.get("notes", "")).strip())
                        for m in data.get("materials") or [] if str(m.get("name", "")).strip()),
        steps=tuple(s.strip() for s in data.get("steps") or [] if isinstance(s, str) and s.strip()),
        special_steps=t("special_steps"), legal_time_limit=t("legal_time_limit"),
        promised_time_limit=t("promised_time_limit"),
        visits=data.get("visits") if isinstance(data.get("visits"), int) else None,
        fees=t("fees"), location=t("location"), hours=t("hours"), phone=t("phone"),
        complaint_phone=t("complaint_phone"),
        faqs=tuple((str(f.get("q", "")).strip(), str(f.get("a", "")).strip())
                   for f in data.get("faqs") or [] if str(f.get("q", "")).strip()),
        keywords=tuple(k for k in data.get("keywords") or [] if k),
        business_code=business, business_name=businesses.get(business, "") if business else "",
        business_name_en="", version=version,
    )


class _DraftCatalog(Catalog):
    """The kiosk's catalogue, except that the guide being previewed comes from the form."""

    draft: GuideDetail | None = None

    def guide(self, uid: str) -> GuideDetail | None:
        if self.draft is not None and uid == self.draft.uid:
            return self.draft
        return super().guide(uid)

    def record_view(self, uid: str) -> None:
        pass  # a preview is not a resident reading the guide

    def flush_views(self) -> int:
        return 0


class KioskPreview(QWidget):
    """The real kiosk guide screen (kiosk.ui.resident), fed the unpublished guide."""

    def __init__(self, hall: Hall):
        super().__init__()
        from PySide6.QtCore import Qt

        from kiosk.ui.resident.window import KioskWindow

        self.catalog = _DraftCatalog(hall.cache)  # not attached to events: it only serves this preview
        self.kiosk = KioskWindow(hall, catalog=self.catalog, queue=None, auth=None, lockdown=False)
        self.kiosk.idle.stop()  # no "back to the home screen" while staff read the preview
        self.kiosk.setWindowFlags(Qt.WindowType.Widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        frame = QScrollArea()  # the kiosk screen has a minimum size; the editor may be smaller
        frame.setWidgetResizable(True)
        frame.setFrameShape(QFrame.Shape.NoFrame)
        frame.setWidget(self.kiosk)
        layout.addWidget(frame)

    def show_guide(self, detail: GuideDetail) -> None:
        self.catalog.draft = detail
        self.kiosk.history.clear()
        self.kiosk.go("guide", remember=False, uid=detail.uid)

    def text(self) -> str:
        from PySide6.QtWidgets import QLabel

        screen = self.kiosk.screens["guide"]
        return "\n".join(lb.text() for lb in screen.findChildren(QLabel) if lb.isVisibleTo(screen) and lb.text())


def make_preview(hall: Hall | None) -> QWidget:
    """The kiosk's own guide screen when the resident UI is available, else GuidePreview."""
    if hall is not None:
        try:
            return KioskPreview(hall)
        except Exception:  # the editor must work even if the kiosk screens cannot be built here
            log.exception("the kiosk guide screen is not available for the preview; using the plain one")
    return GuidePreview()


class GuidePreview(QWidget):
    """Plain-text guide page in the kiosk's section order (used when the kiosk screens are absent)."""

    def __init__(self) -> None:
        super().__init__()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.page = QWidget()
        self.page.setStyleSheet("background: #fbfaf6;")
        self.body = QVBoxLayout(self.page)
        self.body.setContentsMargins(28, 20, 28, 20)
        scroll.setWidget(self.page)
        outer.addWidget(scroll)
        self.texts: list[str] = []

    def show_guide(self, detail: GuideDetail) -> None:
        while self.body.count():
            item = self.body.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.texts = []

        def add(text: str, style: str = "font-size: 13pt;") -> None:
            label = plain_label(text)  # plain text: nothing typed can become markup
            label.setStyleSheet(style)
            self.body.addWidget(label)
            self.texts.append(text)

        def section(title: str, text: str) -> None:
            if text:
                add(title, "font-size: 14pt; font-weight: bold; color: #1f5f8b; margin-top: 10px;")
                add(text)

        add(detail.name, "font-size: 22pt; font-weight: bold;")
        if detail.name_en:
            add(detail.name_en, "font-size: 12pt; color: #666;")
        add(f"{detail.category_name or detail.category_code} · 编码 {detail.code}", "font-size: 11pt; color: #666;")
        section("受理条件", detail.conditions)
        section("申请材料", "\n".join(
            f"{i}. {m.name}（{FORM_NAMES.get(m.form, m.form)} {m.copies} 份）" + (f"\n    {m.notes}" if m.notes else "")
            for i, m in enumerate(detail.materials, 1)))
        section("办理流程", "\n".join(f"{i}. {s}" for i, s in enumerate(detail.steps, 1)))
        section("特殊环节", detail.special_steps)
        section("办结时限", f"法定：{detail.legal_time_limit}\n承诺：{detail.promised_time_limit}")
        if detail.visits is not None:
            section("到现场次数", f"{detail.visits} 次")
        section("收费标准", detail.fees or "不收费")
        section("办理地点", detail.location)
        section("办理时间", detail.hours)
        section("咨询电话", detail.phone)
        section("监督投诉电话", detail.complaint_phone)
        section("实施主体", detail.authority)
        section("设定依据", detail.legal_basis)
        section("常见问题", "\n".join(f"问：{q}\n答：{a}" for q, a in detail.faqs))
        if detail.business_name:
            section("取号", f"本事项在“{detail.business_name}”取号办理")
        self.body.addStretch(1)

    def text(self) -> str:
        return "\n".join(self.texts)
