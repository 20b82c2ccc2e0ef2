"""Register the bundled CJK font with Qt so Chinese renders on a PC with no Chinese fonts."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)


def install_ui_font(app: QApplication, font_file: Path, point_size: int = 14) -> str:
    """Load `font_file` into Qt's font database and make it the app's default; returns the family."""
    font_id = QFontDatabase.addApplicationFont(str(font_file))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        log.error("could not load the UI font %s; Chinese may show as boxes", font_file)
        return app.font().family()
    font = QFont(families[0], point_size)
    # Unhinted outlines: at the kiosk's text sizes (20–48 px) they look the same, and FreeType's
    # autohinter (fontconfig's usual "slight" hinting) would cost the home screen's first paint
    # some 3 ms for its ~150 Chinese glyphs. Style-sheet fonts inherit this from the app font.
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    app.setFont(font)
    return families[0]
