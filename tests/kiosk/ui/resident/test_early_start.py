"""The kiosk's first home screen from the start-up snapshot, then the live hall attached."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from test_kiosk import tap, texts

from kiosk.services.catalog_items import CategoryInfo, NoticeInfo
from kiosk.startup import HomeContent, KioskSettings, StartupSnapshot


def snapshot_of(hall, *, areas=None) -> StartupSnapshot:
    areas = areas if areas is not None else (CategoryInfo("civil", "民政事务", "Civil affairs", "civil", 1, 4),)
    notice = NoticeInfo("n1", "昨天存下的公示", "", date(2000, 1, 1), date(2999, 1, 1))
    return StartupSnapshot(KioskSettings.of(hall.config), HomeContent(tuple(areas), (notice,)))


def early_kiosk(qtbot, snapshot, **kw):
    from kiosk.ui.resident.window import KioskWindow

    window = KioskWindow(early=snapshot, lockdown=False, **kw)
    qtbot.addWidget(window)
    window.resize(1920, 1080)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_the_home_is_drawn_from_the_snapshot_before_the_hall_exists(qtbot, kiosk_hall, ui_font):
    window = early_kiosk(qtbot, snapshot_of(kiosk_hall))
    try:
        assert window.hall is None and window.config is None
        assert list(window.screens["home"].tiles) == ["civil"]
        shown = texts(window)
        for words in ("民政事务", "4 项办事指南", "取号", "昨天存下的公示", "幸福社区工作站"):
            assert words in shown
        assert "离线运行" not in shown and "本机运行" not in shown  # no claim about the network yet
        tap(qtbot, window.screens["home"].tiles["civil"])  # a touch before the hall is there: stays home
        assert window.current().name == "home"
    finally:
        window.shutdown()


def test_attaching_the_hall_brings_the_live_catalogue_and_services(qtbot, kiosk_hall, ui_font):
    window = early_kiosk(qtbot, snapshot_of(kiosk_hall)._replace(utc_offset_s=8 * 3600), pinyin_process=False)
    try:
        assert window.tz.utcoffset(None).total_seconds() == 8 * 3600  # the first clock: the saved offset
        window.attach(kiosk_hall)
        assert str(window.tz) == kiosk_hall.config.hall.timezone  # then the hall's own zone
        home = window.screens["home"]
        # The snapshot was stale (one area, an old notice): the home now shows the cache's content.
        assert list(home.tiles) == ["civil", "labor", "health", "disability", "safety", "culture"]
        shown = texts(window)
        assert "第四季度低保对象公示" in shown and "昨天存下的公示" not in shown
        assert "本机运行" in shown
        assert window.queue is not None and window.config is kiosk_hall.config
        tap(qtbot, home.tiles["labor"])  # and the screens behind the home work
        assert window.current().name == "category"
        qtbot.waitUntil(lambda: window.idle.timer.isActive())  # idle reset watching since the first paint
    finally:
        window.shutdown()


def test_an_up_to_date_snapshot_is_not_redrawn(qtbot, kiosk_hall, ui_font):
    from kiosk.services.catalog import Catalog

    catalog = Catalog(kiosk_hall.cache, kiosk_hall.events)
    live = HomeContent.of(catalog, date.today())
    snapshot = StartupSnapshot(KioskSettings.of(kiosk_hall.config), live)
    window = early_kiosk(qtbot, snapshot)
    try:
        tile = window.screens["home"].tiles["civil"]
        window.attach(kiosk_hall, catalog=catalog)
        assert window.screens["home"].tiles["civil"] is tile  # same widgets: no flicker at start
    finally:
        window.shutdown()


def test_a_snapshot_of_other_settings_gives_way_to_the_config(qtbot, kiosk_hall, ui_font):
    old = snapshot_of(kiosk_hall)
    old = old._replace(settings=old.settings._replace(hall_name="旧名字", idle_seconds=300))
    window = early_kiosk(qtbot, old, pinyin_process=False)
    try:
        assert window.hall_label.text() == "旧名字"
        window.attach(kiosk_hall)
        assert window.hall_label.text() == kiosk_hall.config.hall.name
        assert window.idle.seconds == kiosk_hall.config.kiosk.idle_seconds
    finally:
        window.shutdown()


def test_lockdown_starts_right_after_the_first_paint(qtbot, kiosk_hall, ui_font):
    from kiosk.ui.resident.window import KioskWindow

    window = KioskWindow(early=snapshot_of(kiosk_hall), lockdown=True)
    qtbot.addWidget(window)
    try:
        assert window.windowFlags() & Qt.WindowType.FramelessWindowHint  # set before it is shown
        assert not window.lockdown.active
        window.show()
        qtbot.waitUntil(lambda: window.lockdown.active)
    finally:
        window.shutdown()
