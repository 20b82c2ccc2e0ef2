"""Every kiosk screen fits the kiosk's screen: both orientations, both languages, large text.

A window whose minimum size is larger than the screen is cut off at its edges on a real kiosk,
and what is cut off first is what an elderly resident in large-text mode needs most: the back
and home buttons at the bottom, the language and text-size buttons at the top right."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtWidgets import QApplication
from test_kiosk import guide_uid

SCREEN = {"landscape": (1920, 1080), "portrait": (1080, 1920)}


@pytest.fixture(scope="module")
def sample_hall(tmp_path_factory):
    """The hall on its bundled sample content: the real service areas, guides and notices."""
    from kiosk.config import HallConfig
    from kiosk.hall import Hall

    config = HallConfig()
    config.hall.data_dir = tmp_path_factory.mktemp("fit") / "data"
    hall = Hall(config)
    yield hall
    hall.close()


@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_every_screen_fits_the_kiosk_screen(qtbot, sample_hall, ui_font, orientation, language, large):
    from kiosk.ui.resident.window import KioskWindow

    width, height = SCREEN[orientation]
    window = KioskWindow(sample_hall, orientation=orientation, lockdown=False, pinyin_process=False)
    qtbot.addWidget(window)
    window.resize(width, height)
    window.show()
    try:
        window.set_language(language)
        window.set_large_text(large)
        catalog = window.catalog
        area = catalog.categories()[3]
        notice = catalog.notices(datetime.now(window.tz).date())[-1]
        visits = [("home", {}), ("category", {"code": area.code}), ("guide", {"uid": guide_uid(sample_hall, "MZ-001")}),
                  ("search", {}), ("notice", {"uid": notice.uid}), ("ticket", {}), ("ticket", {"business": "civil"}),
                  ("home", {}), ("search", {})]  # again, after every other screen has been built
        for name, params in visits:
            window.go(name, **params)
            for _ in range(5):  # layouts settle over a few turns of the event loop
                QApplication.processEvents()
            need = window.minimumSizeHint()
            assert need.width() <= width and need.height() <= height, (
                f"{name} {params}: needs {need.width()}×{need.height()} on a {width}×{height} screen")
    finally:
        window.shutdown()
