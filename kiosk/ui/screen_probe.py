"""What Qt sees of this PC's screen, touch panel and font, for `yizhan doctor`.

Run as `python -m kiosk.ui.screen_probe FONT_FILE` in a child process: Qt aborts the whole
process when it cannot open the display, and the doctor must report that, not die of it.
Prints one JSON line: the platform, each screen's name and size, the touch screens, and
whether the font loads and has the kiosk's Chinese characters.
"""

from __future__ import annotations

import json
import sys

SAMPLE = "取号办事指南请到窗口"  # characters the kiosk's home shows


def probe(font_file: str) -> dict:
    from PySide6.QtGui import QFontDatabase, QGuiApplication, QInputDevice, QRawFont

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    screens = [{"name": s.name(), "width": s.size().width(), "height": s.size().height(),
                "primary": s is app.primaryScreen()} for s in app.screens()]
    touch = [d.name() for d in QInputDevice.devices() if d.type() == QInputDevice.DeviceType.TouchScreen]
    font_id = QFontDatabase.addApplicationFont(font_file)
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    raw = QRawFont(font_file, 24)
    missing = [c for c in SAMPLE if not (raw.isValid() and raw.supportsCharacter(ord(c)))]  # ord: the QChar overload fails on some CJK
    return {"platform": app.platformName(), "screens": screens, "touch": touch,
            "font_families": families, "font_missing": "".join(missing)}


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1]), ensure_ascii=False))
