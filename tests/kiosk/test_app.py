"""`yizhan hall` end to end: the embedded default starts, renders every screen and exits."""

import subprocess
import sys
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def test_hall_offscreen_screenshots_then_exits(tmp_path):
    out = tmp_path / "shots"
    result = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-m", "kiosk.cli", "hall", "--offscreen", "--screenshots", str(out),
         "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=240, cwd=REPO,
    )
    log = "\n".join(line for line in result.stderr.splitlines() if "propagateSizeHints" not in line)
    assert result.returncode == 0, log[-6000:]
    names = {p.stem for p in out.glob("*.png")}
    for expected in ("kiosk-home", "kiosk-guide", "kiosk-search-db", "kiosk-ticket", "kiosk-large-text",
                     "kiosk-english", "kiosk-portrait", "kiosk-landscape", "counter", "editor_guide", "board"):
        assert expected in names, f"{expected}.png missing; got {sorted(names)}"
    home = Image.open(out / "kiosk-home.png")
    assert home.size == (1920, 1080)
    assert len(home.getcolors(1 << 20) or []) > 50  # a painted screen, not a blank one
    assert (tmp_path / "data" / "hall.sqlite3").exists()


def test_the_bundled_font_covers_chinese(qapp):
    from PySide6.QtGui import QFont, QFontMetrics

    from kiosk.config import UI_FONT
    from kiosk.ui.fonts import install_ui_font

    family = install_ui_font(qapp, UI_FONT)
    assert family.startswith("WenQuanYi")
    metrics = QFontMetrics(QFont(family, 20))
    assert all(metrics.inFontUcs4(ord(ch)) for ch in "幸福社区工作站最低生活保障取号")
