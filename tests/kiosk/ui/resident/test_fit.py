"""Every kiosk screen fits the kiosk's screen: both orientations, both languages, large text.

A window whose minimum size is larger than the screen is cut off at its edges on a real kiosk,
and what is cut off first is what an elderly resident in large-text mode needs most: the back
and home buttons at the bottom, the language and text-size buttons at the top right."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

import pytest
from PySide6.QtWidgets import QApplication
from test_kiosk import answered, guide_uid

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


@contextmanager
def kiosk_on_screen(qtbot, hall, orientation: str, language: str, large: bool):  # type: ignore[no-untyped-def]
    """A kiosk window the size of the kiosk's screen, in a language and text size."""
    from kiosk.ui.resident.window import KioskWindow

    window = KioskWindow(hall, orientation=orientation, lockdown=False, pinyin_process=False)
    qtbot.addWidget(window)
    window.resize(*SCREEN[orientation])
    window.show()
    try:
        window.set_language(language)
        window.set_large_text(large)
        yield window
    finally:
        window.shutdown()


@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_every_screen_fits_the_kiosk_screen(qtbot, sample_hall, ui_font, orientation, language, large):
    width, height = SCREEN[orientation]
    with kiosk_on_screen(qtbot, sample_hall, orientation, language, large) as window:
        catalog = window.catalog
        area = catalog.categories()[3]
        notice = catalog.notices(datetime.now(window.tz).date())[-1]
        visits = [("home", {}), ("category", {"code": area.code}), ("guide", {"uid": guide_uid(sample_hall, "MZ-001")}),
                  ("search", {}), ("notice", {"uid": notice.uid}), ("ticket", {}), ("ticket", {"business": "civil"}),
                  ("home", {}), ("search", {})]  # again, after every other screen has been built
        for name, params in visits:
            window.go(name, **params)
            if name == "ticket" and params:
                answered(qtbot, window.screens["ticket"])
            for _ in range(5):  # layouts settle over a few turns of the event loop
                QApplication.processEvents()
            need = window.minimumSizeHint()
            assert need.width() <= width and need.height() <= height, (
                f"{name} {params}: needs {need.width()}×{need.height()} on a {width}×{height} screen")


def hall_words(window) -> list[str]:  # type: ignore[no-untyped-def]
    """The Chinese words a line must not break inside: service areas, businesses, 办事指南."""
    names = [area.name for area in window.catalog.categories()]
    names += [business.name for business in window.queue.businesses()]
    return [*names, "办事指南"]


@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_no_word_is_cut_or_broken_and_no_caption_covers_a_code(qtbot, sample_hall, ui_font, orientation, language,
                                                               large):
    """"Securit", "Take a ticket for thi", "残疾/人服/务", "7 项办事/指南", a QR caption over the code:
    every label, button and tile shows its whole text in its own font, lines break between
    words only, and nothing is drawn over a QR code."""
    from kiosk.ui.resident.shots import sample_guide_uid, type_on_keyboard
    from tests.kiosk.ui.resident.text_fit import covered_codes, text_problems

    with kiosk_on_screen(qtbot, sample_hall, orientation, language, large) as window:
        words = hall_words(window)
        business = window.queue.businesses()[0].code
        notice = window.catalog.notices(datetime.now(window.tz).date())[-1]
        visits = [("home", {}), *[("category", {"code": area.code}) for area in window.catalog.categories()],
                  ("guide", {"uid": sample_guide_uid(window)}), ("search", {}), ("notice", {"uid": notice.uid}),
                  ("ticket", {}), ("ticket", {"business": business}), ("staff", {}), ("search-db", {})]
        problems = []
        for name, params in visits:
            if name == "staff":  # the staff exit's keypad over the home screen
                window.go("home")
                window.staff.open()
            elif name == "search-db":  # results, as a resident types them
                window.staff.close_overlay()
                window.go("search")
                type_on_keyboard(window, "db")
            else:
                window.go(name, **params)
                if name == "ticket" and params:
                    answered(qtbot, window.screens["ticket"])
            for _ in range(5):
                QApplication.processEvents()
            problems += [f"{name} {params}: {p}" for p in text_problems(window, words) + covered_codes(window)]
        assert not problems, "\n".join(problems)
