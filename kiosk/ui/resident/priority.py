"""老年人 / 残疾人优先 (绿色通道): where the hall's config allows it ([kiosk] priority_tickets),
a resident who chose a business is asked once: a regular ticket or a priority one. The queue
calls priority tickets first (its priority rule), the counter console and the board mark them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication as Q
from PySide6.QtWidgets import QGridLayout, QPushButton, QVBoxLayout

from kiosk.ui.resident.common import label


def allowed(kiosk: Any) -> bool:
    config = getattr(kiosk, "config", None)
    return bool(config is not None and getattr(config.kiosk, "priority_tickets", False))


def show_choice(body: QVBoxLayout, business_name: str, choose: Any) -> dict[str, QPushButton]:
    """The two choices, large; `choose(priority: bool)` issues the ticket."""
    body.addWidget(label(Q.translate("Input", "请选择号票类型"), "title"))
    body.addWidget(label(business_name, "h2"))
    body.addWidget(label(Q.translate("Input", "老年人、残疾人、孕妇等可取优先号（绿色通道），工作人员会优先叫号。"), "body"))
    regular = QPushButton(Q.translate("Input", "普通号"))
    regular.setObjectName("ticket-regular")
    regular.setProperty("role", "ticket")
    regular.clicked.connect(lambda: choose(False))
    priority = QPushButton(Q.translate("Input", "优先号（绿色通道）") + "\n" + Q.translate("Input", "老年人 · 残疾人"))
    priority.setObjectName("ticket-priority")
    priority.setProperty("role", "ticket")
    priority.clicked.connect(lambda: choose(True))
    grid = QGridLayout()
    grid.setSpacing(24)
    grid.addWidget(regular, 0, 0)
    grid.addWidget(priority, 0, 1)
    body.addLayout(grid)
    body.addStretch(1)
    return {"regular": regular, "priority": priority}


def ticket_mark() -> str:
    return Q.translate("Input", "优先号 · 绿色通道")
