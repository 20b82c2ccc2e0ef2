"""公示: the notices and the 政务公开 / 财务公开 tables the street office published, for residents
to check (a station's monthly income and expenditure, with its period and responsible person)."""

from __future__ import annotations

import re
from datetime import datetime

from PySide6.QtCore import QCoreApplication as Q
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QVBoxLayout, QWidget

from kiosk.services.catalog_items import DisclosureInfo
from kiosk.ui.resident.common import Screen, label, scroll_area
from kiosk.ui.widgets.tiles import Row, clear_layout


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[0-9][0-9,]*(\.[0-9]+)?%?", text.strip()))


def table_card(d: DisclosureInfo) -> QFrame:
    """One table as a card: title, who answers for it and for which period, the cells, notes."""
    card = QFrame()
    card.setProperty("role", "card")
    card.setObjectName(f"disclosure-{d.uid}")
    col = QVBoxLayout(card)
    col.setContentsMargins(22, 16, 22, 16)
    col.setSpacing(8)
    col.addWidget(label(d.title, "h2"))
    meta = (Q.translate("Kiosk", "公示期间：%1　责任人：%2　公布日期：%3")
            .replace("%1", d.period).replace("%2", d.responsible).replace("%3", d.published_on.isoformat()))
    col.addWidget(label(meta, "muted"))
    grid = QGridLayout()
    grid.setSpacing(0)
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    # Columns of amounts and counts line up on the right, their heading too.
    numeric = [bool(cells) and all(_is_number(t) for t in cells)
               for cells in ([row[c] for row in d.rows if row[c]] for c in range(len(d.columns)))]
    for c, name in enumerate(d.columns):
        head = label(name, "cell-head")
        if numeric[c]:
            head.setAlignment(right)
        grid.addWidget(head, 0, c)
    for r, row in enumerate(d.rows, start=1):
        for c, text in enumerate(row):
            cell = label(text, "cell")
            if _is_number(text):
                cell.setAlignment(right)
            grid.addWidget(cell, r, c)
    col.addLayout(grid)
    if d.notes:
        col.addWidget(label(d.notes, "body"))
    return card


class GongshiScreen(Screen):
    name = "gongshi"

    def __init__(self, kiosk):  # type: ignore[no-untyped-def]
        super().__init__(kiosk)
        self.content = QWidget()
        self.col = QVBoxLayout(self.content)
        self.col.setSpacing(18)
        self.outer.addWidget(scroll_area(self.content), 1)
        self.tables: list[QFrame] = []

    def refresh(self) -> None:
        clear_layout(self.col)
        self.tables = []
        today = datetime.now(self.kiosk.tz).date()
        self.col.addWidget(label(Q.translate("Kiosk", "公示栏"), "title"))
        tables = self.kiosk.catalog.disclosures(today)
        wanted = self.params.get("uid")
        sections = (("government", Q.translate("Kiosk", "政务公开")), ("finance", Q.translate("Kiosk", "财务公开")))
        for kind, name in sections:
            mine = [d for d in tables if d.kind == kind and (wanted is None or d.uid == wanted)]
            if not mine:
                continue
            self.col.addWidget(label(name, "h2"))
            for d in mine:
                card = table_card(d)
                self.tables.append(card)
                self.col.addWidget(card)
        if not tables:
            self.col.addWidget(label(Q.translate("Kiosk", "目前没有政务公开、财务公开表格"), "muted"))
        notices = self.kiosk.catalog.notices(today)
        if notices and wanted is None:
            self.col.addWidget(label(Q.translate("Kiosk", "公示公告"), "h2"))
            for notice in notices:
                row = Row(notice.title, f"{notice.starts_on:%m-%d} – {notice.ends_on:%m-%d}", small=True,
                          plain_title=notice.title, rich=False)
                row.clicked.connect(lambda _=False, uid=notice.uid: self.kiosk.go("notice", uid=uid))
                self.col.addWidget(row)
        self.col.addStretch(1)
