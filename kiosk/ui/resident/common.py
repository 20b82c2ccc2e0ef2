"""What every kiosk screen shares: the base class, translation and formatting helpers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication as Q
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLayout, QScrollArea, QScroller, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from kiosk.ui.resident.window import KioskWindow

WEEKDAYS_ZH = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"]
WEEKDAYS_EN = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def english(kiosk: KioskWindow) -> bool:
    return kiosk.language == "en"


def clock_text(now: datetime, en: bool) -> str:
    if en:
        return f"{WEEKDAYS_EN[now.weekday()]} {now.day} {MONTHS_EN[now.month - 1]} {now:%H:%M}"
    return f"{now.year}年{now.month}月{now.day}日 {WEEKDAYS_ZH[now.weekday()]} {now:%H:%M}"


def label(text: str = "", role: str = "body", *, wrap: bool = True, rich: bool = False) -> QLabel:
    lab = QLabel(text)
    lab.setProperty("role", role)
    lab.setWordWrap(wrap)
    lab.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    lab.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    return lab


def or_none(text: str) -> str:
    """Empty guide fields read 暂无, never a blank."""
    return text if text and text.strip() else Q.translate("Kiosk", "暂无")


def scroll_area(content: QWidget) -> QScrollArea:
    """A scroll area a finger can drag (touch gesture) with a wide scroll bar for the rest."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(content)
    # The left-button gesture: many kiosk touch frames present themselves as a mouse, and real
    # touch reaches it too (Qt turns unhandled touches into mouse presses).
    QScroller.grabGesture(area.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)
    return area


class Screen(QWidget):
    """One kiosk screen. `open(**params)` shows it for something; `refresh()` redraws it in the
    current language and text size (called after a switch, a content change or a reset)."""

    name = ""

    def __init__(self, kiosk: KioskWindow):
        super().__init__()
        self.kiosk = kiosk
        self.setObjectName("screen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.params: dict[str, Any] = {}
        self.outer = QVBoxLayout(self)
        # No minimum size forced onto the screen: the window's stack counts only the screen on
        # show (KioskWindow.go), and a hidden screen's layout must not raise it.
        self.outer.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        margin = 36
        self.outer.setContentsMargins(margin, 24, margin, 24)
        self.outer.setSpacing(18)

    def open(self, **params: Any) -> None:
        self.params = params
        self.refresh()

    def refresh(self) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget what the last resident did here (idle reset)."""
        self.params = {}


def qr_caption(kiosk: Any, text: str) -> QLabel:
    """The line under a QR code; when the code points at this PC (the embedded default on
    loopback) it says that a phone cannot open it instead of inviting a scan."""
    from kiosk.services.links import hall_public_url, phones_cannot_open

    if kiosk.hall is not None and phones_cannot_open(hall_public_url(kiosk.hall)):
        caption = label(Q.translate("Kiosk", "仅供演示：手机打不开"), "muted")
        caption.setObjectName("qr-demo-only")
    else:
        caption = label(text, "body")
    caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return caption
