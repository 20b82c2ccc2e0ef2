"""Kiosk UI tests: a real hall cache with a small catalogue, a real kiosk window (not full screen)."""

from __future__ import annotations

import pytest

# The catalogue fixture data lives next to the catalogue's own tests.
from tests.kiosk.services.catalog_world import seed_catalog  # noqa: E402


@pytest.fixture(scope="session")
def ui_font(qapp):
    from kiosk.config import UI_FONT
    from kiosk.ui.fonts import install_ui_font

    return install_ui_font(qapp, UI_FONT)


@pytest.fixture
def kiosk_hall(hall_config, cache):
    from kiosk.hall import Hall

    seed_catalog(cache)
    hall = Hall(hall_config, cache=cache)
    yield hall


@pytest.fixture
def make_kiosk(qtbot, kiosk_hall, ui_font):
    from kiosk.ui.resident.window import KioskWindow

    made = []

    def make(orientation: str = "landscape", **kw):
        kw.setdefault("pinyin_process", False)  # in-process pinyin: no helper process per test
        window = KioskWindow(kiosk_hall, orientation=orientation, **kw)
        qtbot.addWidget(window)
        window.resize(1920, 1080) if orientation == "landscape" else window.resize(1080, 1920)
        window.show()
        qtbot.waitExposed(window)
        made.append(window)
        return window

    yield make
    for window in made:
        window.shutdown()


@pytest.fixture
def kiosk(make_kiosk):
    return make_kiosk()
