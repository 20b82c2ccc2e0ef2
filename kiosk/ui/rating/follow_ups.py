"""The station head's list of this hall's 差评 follow-ups (回访/整改) as the office last sent
them (sync/follow_ups.py): in the staff area, read-only (the office records the steps)."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from sync import wire
from sync.follow_ups import open_follow_ups

COLUMNS = ["号票", "日期", "窗口", "工作人员", "业务", "评价", "原因", "留言", "状态", "回访期限"]


class FollowUpView(QWidget):
    def __init__(self, cache: Any, tz: tzinfo | None = None, business_names: dict[str, str] | None = None):
        super().__init__()
        self.cache = cache
        self.tz = tz
        self.business_names = business_names or {}
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setStyleSheet("font-size: 14pt;")
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        again = QPushButton("刷新")
        again.clicked.connect(self.reload)
        layout.addWidget(again)
        self.reload()

    def reload(self) -> None:
        rows = open_follow_ups(self.cache)
        overdue = sum(1 for f in rows if f.overdue)
        self.summary.setText(f"差评回访：{len(rows)} 件未整改" + (f"，其中 {overdue} 件已超期" if overdue else "")
                             if rows else "差评回访：没有未整改的差评")
        self.table.setRowCount(len(rows))
        for i, f in enumerate(rows):
            values = [
                f.label, f.service_day.isoformat() if f.service_day else "",
                f"{f.window_number}号" if f.window_number else "", f.clerk or "—",
                self.business_names.get(f.business_code or "", f.business_code or ""),
                wire.RATING_LEVELS[f.level], "、".join(wire.RATING_REASONS[r] for r in f.reasons), f.comment,
                wire.FOLLOW_UP_STATES[f.state], f.due_on.isoformat() + ("（已超期）" if f.overdue else ""),
            ]
            for j, value in enumerate(values):
                item = QTableWidgetItem(value)
                if f.overdue:
                    item.setForeground(QColor("#b71c1c"))
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
