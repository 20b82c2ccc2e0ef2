"""A service area's guides as a list of large rows."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QCoreApplication as Q
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from kiosk.ui.resident.common import Screen, english, label, scroll_area
from kiosk.ui.widgets.tiles import Badge, Row, clear_layout


class CategoryScreen(Screen):
    name = "category"

    def __init__(self, kiosk):  # type: ignore[no-untyped-def]
        super().__init__(kiosk)
        self.header = QHBoxLayout()
        self.header.setSpacing(20)
        self.outer.addLayout(self.header)
        self.list_widget = QWidget()
        self.rows_layout = QVBoxLayout(self.list_widget)
        self.rows_layout.setContentsMargins(0, 0, 12, 0)
        self.rows_layout.setSpacing(14)
        self.outer.addWidget(scroll_area(self.list_widget), 1)
        self.rows: list[Row] = []

    def refresh(self) -> None:
        t = self.kiosk.theme
        en = english(self.kiosk)
        code = self.params.get("code", "")
        cats = self.kiosk.catalog.categories()
        index = next((i for i, c in enumerate(cats) if c.code == code), 0)
        cat = cats[index] if cats and any(c.code == code for c in cats) else None
        clear_layout(self.header)
        clear_layout(self.rows_layout)
        self.rows.clear()
        if cat is None:
            self.header.addWidget(label(Q.translate("Kiosk", "该类别已不存在"), "title"))
            return
        self.header.addWidget(Badge(cat.name[:1], t.area_colour(index), t.px(84),
                                    "#000000" if t.large else "#ffffff"))
        title = label((cat.name_en or cat.name) if en else cat.name, "title")
        title.setObjectName("category-title")
        self.header.addWidget(title, 1)
        self.header.addWidget(label(Q.translate("Kiosk", "%n 项办事指南", None, cat.guide_count), "muted", wrap=False))
        guides = self.kiosk.catalog.guides_in(code)
        if not guides:
            self.rows_layout.addWidget(label(Q.translate("Kiosk", "这个类别暂时没有办事指南，请到服务窗口咨询。"), "body"))
        for g in guides:
            name = escape(g.name_en or g.name) if en else escape(g.name)
            detail = escape(g.name) if en and g.name_en else ""
            note = Q.translate("Kiosk", "可取号") if g.business_code else ""
            row = Row(name, detail, note, plain_title=g.name)
            row.setObjectName(f"guide-{g.code}")
            row.clicked.connect(lambda _=False, uid=g.uid: self.kiosk.go("guide", uid=uid))
            self.rows.append(row)
            self.rows_layout.addWidget(row)
        self.rows_layout.addStretch(1)
