"""暂停服务: the calm screen the kiosk shows after repeated crashes (kiosk/runs.py), or after an
unexpected error while running (kiosk/ui/crash_hook.py).

Residents see that the machine is paused and where to go instead; staff see why, in small
text below, and what to run. The screen keeps the watchdog fed (the app is responsive) and
after the crash window has passed the app exits to be restarted and tried again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from kiosk.runs import Paused, RunLog

if TYPE_CHECKING:
    from kiosk.ui.app_parts import AppParts

log = logging.getLogger(__name__)


class PausedScreen(QWidget):
    def __init__(self, paused: Paused, hall_name: str, *, staff_text: str = ""):
        super().__init__()
        self.setObjectName("paused")
        self.setWindowTitle(f"暂停服务 · {hall_name}")
        self.setStyleSheet(
            "#paused { background: #eef2f6; } QLabel { color: #1b1f24; }"
            "#title { font-size: 96px; font-weight: bold; color: #0b3d75; }"
            "#title_en { font-size: 40px; color: #4f5965; }"
            "#advice { font-size: 44px; } #advice_en { font-size: 28px; color: #4f5965; }"
            "#staff { font-size: 20px; color: #4f5965; border-top: 2px solid #c9d2dc; padding-top: 16px; }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(120, 160, 120, 80)
        layout.setSpacing(24)
        minutes = max(1, round(paused.retry_in_s / 60))
        texts = [
            ("title", "暂停服务"),
            ("title_en", "Service paused"),
            ("advice", f"本机暂时无法使用，请到窗口办理或咨询工作人员。\n{hall_name}"),
            ("advice_en", "This machine is resting for a moment. Please go to a counter; the staff will help you."),
            ("staff", staff_text or (
                f"工作人员 staff: the hall app stopped unexpectedly {paused.crashes} times in a short while; "
                f"it tries again in about {minutes} min. Last reason: {paused.reason}\n"
                "Check with: yizhan doctor · journalctl -u yizhan-hall")),
        ]
        for name, text in texts:
            label = QLabel(text)
            label.setObjectName(name)
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            layout.addWidget(label)
            if name == "advice_en":
                layout.addStretch(1)


def pause_if_crashing(app: Any, parts: AppParts, config: Any, early_window: Any, *, offscreen: bool) -> bool:
    """Show 暂停服务 instead of starting the hall when it crashed too often lately (True then);
    otherwise record this start in parts.runs (marked clean at a clean exit) and return False."""
    from PySide6.QtCore import QTimer

    from kiosk.service_manager import notify

    runs = RunLog(config.data_dir())
    paused = runs.paused()
    if paused is None:
        runs.started()
        parts.runs = runs
        return False
    log.error("暂停服务 service paused: the hall app stopped unexpectedly %d times within %.0f s; last reason: %s; "
              "trying again in %.0f s", paused.crashes, runs.window_s, paused.reason, paused.retry_in_s)
    screen = parts.paused = PausedScreen(paused, config.hall.name)
    if early_window is not None:
        early_window.hide()
    landscape = config.kiosk.orientation == "landscape"
    screen.resize(1920 if landscape else 1080, 1080 if landscape else 1920)
    if config.kiosk.fullscreen and not offscreen:
        screen.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
        screen.showFullScreen()
    else:
        screen.show()
    notify("READY=1")
    # Exit code 75 (temporary failure): systemd's Restart=on-failure starts the hall again.
    QTimer.singleShot(int(paused.retry_in_s * 1000), lambda: app.exit(75))
    return True
