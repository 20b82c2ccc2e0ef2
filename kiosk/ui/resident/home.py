"""Home: the six service areas as tiles, search, take a ticket, current notices and this month's 满意率."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QCoreApplication as Q
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QSizePolicy, QVBoxLayout

from kiosk.ui.resident.common import Screen, english, label
from kiosk.ui.widgets.tiles import BadgeMark, Row, Tile, clear_layout
from kiosk.ui.widgets.word_wrap import WordWrapButton


class HomeScreen(Screen):
    name = "home"

    def __init__(self, kiosk):  # type: ignore[no-untyped-def]
        super().__init__(kiosk)
        self.tiles: dict[str, Tile] = {}
        self.notice_rows: list[Row] = []
        self.satisfaction: Any = None  # this month's 满意率, once someone rated
        self.search_button = WordWrapButton()
        self.ticket_button = WordWrapButton()
        self.search_button.setObjectName("home-search")
        self.ticket_button.setObjectName("home-ticket")
        self.search_button.setProperty("role", "search")
        self.ticket_button.setProperty("role", "ticket")
        self.ticket_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.search_button.clicked.connect(lambda: self.kiosk.go("search"))
        self.ticket_button.clicked.connect(lambda: self.kiosk.go("ticket"))
        self.body = QVBoxLayout()
        self.body.setSpacing(22)
        self.outer.addLayout(self.body)

    def refresh(self) -> None:
        t = self.kiosk.theme
        en = english(self.kiosk)
        portrait = self.kiosk.orientation == "portrait"
        # Detach the persistent buttons before clearing so they are not deleted.
        for b in (self.search_button, self.ticket_button):
            b.setParent(None)
        clear_layout(self.body)
        self.tiles.clear()
        self.notice_rows.clear()
        self.satisfaction = None

        self.search_button.setText("⌕  " + Q.translate("Kiosk", "搜索办事指南：输入拼音或首字母，如 db（低保）"))
        self.body.addWidget(self.search_button)

        grid = QGridLayout()
        grid.setSpacing(20)
        columns = 2 if portrait or t.large else 3  # large text: tiles wide enough for whole words
        for i, cat in enumerate(self.kiosk.catalog.categories()):
            count = Q.translate("Kiosk", "%n 项办事指南", None, cat.guide_count)
            title = (cat.name_en or cat.name) if en else cat.name
            subtitle = f"{cat.name} · {count}" if en else count
            side = 112 if t.large else 96  # large text: the room goes to the words, not the badge
            badge = BadgeMark(cat.name[:1], t.area_colour(i), side, "#000000" if t.large else "#ffffff")
            tile = Tile(title, subtitle, badge, theme=t, role="area-tile", small=en)
            tile.setObjectName(f"tile-{cat.code}")
            tile.clicked.connect(lambda _=False, code=cat.code: self.kiosk.go("category", code=code))
            self.tiles[cat.code] = tile
            grid.addWidget(tile, i // columns, i % columns)

        self.ticket_button.setText(Q.translate("Kiosk", "取号") + "\n" + Q.translate("Kiosk", "排队叫号，请先取号"))

        notices = self._notices_card()
        if portrait:
            self.body.addLayout(grid, 3)
            self.body.addWidget(self.ticket_button, 1)
            self.body.addWidget(notices, 2)
        else:
            row = QHBoxLayout()
            row.setSpacing(26)
            row.addLayout(grid, 2 if t.large else 5)  # large text: two wide columns of tiles
            side = QVBoxLayout()
            side.setSpacing(22)
            side.addWidget(self.ticket_button, 2)
            side.addWidget(notices, 3)
            row.addLayout(side, 1 if t.large else 3)
            self.body.addLayout(row, 1)

    def _satisfaction_line(self) -> str:
        """好差评 公示: this month's 满意率 of the hall, once someone rated (kiosk/services/ratings.py)."""
        hall = self.kiosk.hall
        if hall is None:  # drawn from the start-up snapshot: the figure comes with the hall
            return ""
        satisfied, rated = hall.ratings.month_rate(tz=self.kiosk.tz)
        if not rated:
            return ""
        return (Q.translate("Kiosk", "本月服务满意率 %1%（%2 人评价）")
                .replace("%1", f"{100 * satisfied / rated:.1f}").replace("%2", str(rated)))

    def _notices_card(self) -> QFrame:
        card = QFrame()
        card.setProperty("role", "card")
        col = QVBoxLayout(card)
        col.setContentsMargins(22, 16, 22, 16)
        col.setSpacing(8)
        col.addWidget(label(Q.translate("Kiosk", "公示公告"), "h2"))
        notices = self.kiosk.catalog.notices(datetime.now(self.kiosk.tz).date())
        if not notices:
            col.addWidget(label(Q.translate("Kiosk", "目前没有公示"), "muted"))
        for notice in notices[:3]:
            dates = f"{notice.starts_on:%m-%d} – {notice.ends_on:%m-%d}"
            row = Row(notice.title, dates, small=True, plain_title=notice.title, rich=False)
            row.setObjectName("notice-row")
            row.clicked.connect(lambda _=False, uid=notice.uid: self.kiosk.go("notice", uid=uid))
            self.notice_rows.append(row)
            col.addWidget(row)
        # Everything on one screen: all notices and the 政务公开 / 财务公开 tables.
        more = len(notices) - 3 if len(notices) > 3 else 0
        detail = Q.translate("Kiosk", "另有 %n 条公示", None, more) if more else ""
        self.gongshi_row = Row(Q.translate("Kiosk", "全部公示 · 政务公开 · 财务公开"), detail, small=True, rich=False)
        self.gongshi_row.setObjectName("gongshi-row")
        self.gongshi_row.clicked.connect(lambda _=False: self.kiosk.go("gongshi"))
        col.addWidget(self.gongshi_row)
        satisfaction = self._satisfaction_line()
        if satisfaction:
            self.satisfaction = label(satisfaction, "muted")
            self.satisfaction.setObjectName("satisfaction")
            col.addWidget(self.satisfaction)
        col.addStretch(1)
        card.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        card.layout().setAlignment(Qt.AlignmentFlag.AlignTop)
        return card

