"""One notice (公示) in full."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QCoreApplication as Q
from PySide6.QtWidgets import QVBoxLayout, QWidget

from kiosk.ui.resident.common import Screen, label, scroll_area
from kiosk.ui.widgets.tiles import clear_layout


class NoticeScreen(Screen):
    name = "notice"

    def __init__(self, kiosk):  # type: ignore[no-untyped-def]
        super().__init__(kiosk)
        self.content = QWidget()
        self.col = QVBoxLayout(self.content)
        self.col.setSpacing(16)
        self.outer.addWidget(scroll_area(self.content), 1)

    def refresh(self) -> None:
        clear_layout(self.col)
        today = datetime.now(self.kiosk.tz).date()
        notice = next((n for n in self.kiosk.catalog.notices(today) if n.uid == self.params.get("uid")), None)
        if notice is None:
            self.col.addWidget(label(Q.translate("Kiosk", "这条公示已结束或撤下。"), "title"))
        else:
            self.col.addWidget(label(notice.title, "title"))
            period = Q.translate("Kiosk", "公示期 %1 至 %2").replace("%1", notice.starts_on.isoformat()).replace(
                "%2", notice.ends_on.isoformat())
            self.col.addWidget(label(period, "muted"))
            self.col.addWidget(label(notice.body or Q.translate("Kiosk", "暂无"), "body"))
        self.col.addStretch(1)
