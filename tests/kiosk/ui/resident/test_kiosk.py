"""The resident kiosk driven like a resident would: taps, the on-screen keyboard, waiting."""

from __future__ import annotations

import zxingcpp
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QContextMenuEvent, QKeyEvent
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton
from sqlalchemy import select

from kiosk.services.links import guide_url, ticket_url
from sync.cache.models import ServiceGuide, Ticket

LEFT = Qt.MouseButton.LeftButton


def texts(widget) -> str:
    """Everything written on the visible screen, rich text stripped of tags."""
    import re

    from kiosk.ui.widgets.tiles import Tile

    QApplication.processEvents()  # widgets added by a refresh are shown by a queued call
    parts = [lab.text() for lab in widget.findChildren(QLabel) if lab.isVisibleTo(widget)]
    parts += [b.text() for b in widget.findChildren(QPushButton) if b.isVisibleTo(widget)]
    tiles = [t for t in widget.findChildren(Tile) if t.isVisibleTo(widget)] + [widget] * isinstance(widget, Tile)
    parts += [f"{t.title}\n{t.subtitle}" for t in tiles]  # tiles draw their own text
    return re.sub(r"<[^>]+>", "", "\n".join(parts))


def tap(qtbot, widget) -> None:
    qtbot.mouseClick(widget, LEFT, pos=widget.rect().center())


def decode_qr(widget) -> str:
    image = widget.grab().toImage()
    results = zxingcpp.read_barcodes(image_to_pil(image))
    assert results, "no QR code found in the widget's pixels"
    return results[0].text


def image_to_pil(image):
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice

    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    import io

    return Image.open(io.BytesIO(bytes(buf.data())))


def answered(qtbot, screen) -> str:
    """The queue is asked off the GUI thread: wait until the ticket screen shows the ticket or
    why there is none; returns its text."""
    def shown(name: str) -> bool:  # (a label of the last drawing may wait for its deletion, hidden)
        return any(found.isVisibleTo(screen) for found in screen.findChildren(QLabel, name))

    qtbot.waitUntil(lambda: shown("ticket-number") or shown("ticket-error"), timeout=5000)
    return texts(screen)


def guide_uid(hall, code: str) -> str:
    with hall.cache.sessions() as s:
        return s.scalar(select(ServiceGuide.uid).where(ServiceGuide.code == code))


# --- browsing ---------------------------------------------------------------------------------


def test_home_shows_areas_search_ticket_and_notices(kiosk):
    home = kiosk.screens["home"]
    assert kiosk.current() is home
    assert list(home.tiles) == ["civil", "labor", "health", "disability", "safety", "culture"]
    shown = texts(kiosk)
    for words in ("民政事务", "4 项办事指南", "取号", "搜索办事指南", "第四季度低保对象公示", "幸福社区工作站", "本机运行"):
        assert words in shown
    assert "过期的公示" not in shown
    assert not kiosk.nav_bar.isVisible()
    kiosk.hall.sync_starting = True  # while sync starts in the background: no claim either way
    kiosk._update_online()
    assert kiosk.online_label.text() == ""
    kiosk.hall.sync_starting = False


def test_tap_area_then_guide_shows_every_field_and_a_scannable_qr(qtbot, kiosk):
    tap(qtbot, kiosk.screens["home"].tiles["civil"])
    category = kiosk.screens["category"]
    assert kiosk.current() is category
    assert [r.accessibleName() for r in category.rows] == ["最低生活保障申请", "临时救助申请", "高龄老人津贴申领",
                                                          "低收入家庭认定"]
    tap(qtbot, category.rows[0])
    guide = kiosk.screens["guide"]
    assert kiosk.current() is guide
    shown = texts(guide)
    for words in ("最低生活保障申请", "受理条件", "具有本市户籍", "申请材料", "1. 居民身份证", "原件和复印件", "2 份",
                  "办理流程", "申请人向社区工作站提出申请", "承诺时限", "20个工作日", "法定时限", "30个工作日",
                  "收费标准", "不收费", "办理地点", "办理时间", "咨询电话", "0755-88880102", "监督投诉电话",
                  "常见问题", "外地户籍可以申请吗？", "为此事项取号"):
        assert words in shown, words
    # the embedded default's QR codes point at this PC: not offered as if a phone could open them
    assert "手机扫码" not in shown and "仅供演示：手机打不开" in shown
    uid = guide_uid(kiosk.hall, "MZ-001")
    assert decode_qr(guide.qr) == guide_url(kiosk.config, uid) == f"http://127.0.0.1:8700/g/{uid}"
    # back goes to the category, home to the start
    tap(qtbot, kiosk.back_button)
    assert kiosk.current() is category
    tap(qtbot, kiosk.home_button)
    assert kiosk.current() is kiosk.screens["home"]


def test_qr_stays_scannable_large_and_small(qtbot, kiosk):
    kiosk.go("guide", uid=guide_uid(kiosk.hall, "MZ-002"))
    qr = kiosk.screens["guide"].qr
    for side in (140, 300, 520):
        qr.set_side(side)
        assert decode_qr(qr).endswith("/g/" + guide_uid(kiosk.hall, "MZ-002"))


def test_a_guide_with_empty_fields_reads_none_given(kiosk):
    kiosk.go("guide", uid=guide_uid(kiosk.hall, "WT-999"))
    shown = texts(kiosk.screens["guide"])
    assert "空白测试事项" in shown
    assert shown.count("暂无") >= 8  # conditions, materials, steps, limits, place, hours, phones, ...
    assert "不收费" in shown
    assert "此事项无需取号" in shown
    assert not kiosk.screens["guide"].ticket_button.isVisible()


def test_a_withdrawn_guide_says_so(kiosk):
    kiosk.go("guide", uid="no-such-guide")
    assert "已更新或下线" in texts(kiosk.screens["guide"])


def test_a_notice_opens_in_full(qtbot, kiosk):
    tap(qtbot, kiosk.screens["home"].notice_rows[0])
    shown = texts(kiosk.screens["notice"])
    assert "第四季度低保对象公示" in shown and "公示期为11月20日至11月30日。" in shown and "公示期" in shown


def test_opened_guides_count_as_views(qtbot, kiosk):
    uid = guide_uid(kiosk.hall, "LD-001")
    for _ in range(3):
        kiosk.go("guide", uid=uid)
    assert kiosk.catalog.flush_views() == 3
    with kiosk.hall.cache.sessions() as s:
        assert s.scalar(select(ServiceGuide.views).where(ServiceGuide.uid == uid)) == 3


def test_the_idle_return_stores_the_views_off_the_gui_thread(qtbot, kiosk):
    import threading

    uid = guide_uid(kiosk.hall, "LD-001")
    kiosk.go("guide", uid=uid)
    kiosk.go("guide", uid=uid)
    flushed = []
    flush = kiosk.catalog.flush_views
    kiosk.catalog.flush_views = lambda: flushed.append(threading.current_thread()) or flush()
    kiosk.reset_session()  # the resident left

    def stored() -> int:
        with kiosk.hall.cache.reading() as s:
            return s.scalar(select(ServiceGuide.views).where(ServiceGuide.uid == uid))

    qtbot.waitUntil(lambda: stored() == 2, timeout=5000)
    assert flushed and threading.main_thread() not in flushed


# --- search -----------------------------------------------------------------------------------


def test_search_db_on_the_on_screen_keyboard(qtbot, kiosk):
    tap(qtbot, kiosk.screens["home"].search_button)
    search = kiosk.screens["search"]
    assert kiosk.current() is search
    assert "常用办事指南" in search.status.text()  # before typing: popular guides
    tap(qtbot, search.keyboard.keys["d"])
    assert search.field.text() == "d"
    tap(qtbot, search.keyboard.keys["b"])
    assert search.field.text() == "db"
    first = search.rows[0]
    assert first.accessibleName() == "最低生活保障申请"
    assert "低保" in first.detail_label.text() and "background" in first.detail_label.text()  # highlighted
    assert "找到" in search.status.text()
    tap(qtbot, first)
    assert kiosk.current() is kiosk.screens["guide"]
    assert kiosk.screens["guide"].detail.code == "MZ-001"
    tap(qtbot, kiosk.back_button)
    assert kiosk.current() is search and search.field.text() == "db"
    tap(qtbot, search.keyboard.back_key)
    assert search.field.text() == "d"
    tap(qtbot, search.keyboard.clear_key)
    assert search.field.text() == ""


def test_search_full_pinyin_and_name_highlight(qtbot, kiosk):
    kiosk.go("search")
    search = kiosk.screens["search"]
    for ch in "shiye":
        tap(qtbot, search.keyboard.keys[ch])
    assert search.rows[0].accessibleName() == "失业登记"
    html = search.rows[0].title_label.text()
    assert "失业</span>" in html  # the two characters that matched are marked


def test_search_with_no_match_suggests_popular_and_the_counter(qtbot, kiosk):
    kiosk.go("search")
    search = kiosk.screens["search"]
    for ch in "qqqqq":
        tap(qtbot, search.keyboard.keys[ch])
    assert "没有找到" in search.status.text() and "服务窗口" in search.status.text()
    assert len(search.rows) >= 3  # popular guides to try instead


def test_search_survives_bad_input(kiosk):
    kiosk.go("search")
    search = kiosk.screens["search"]
    for text in ("x" * 500, "😀🏠🚀", "低保" * 250, "'\"<b>&", "\x00\t"):
        search.field.setText(text)
        assert len(search.field.text()) <= 60
    search.field.setText("<b>db</b>")
    assert search.rows and "&lt;" not in search.rows[0].title_label.text()


def test_search_typo_is_tolerated(kiosk):
    kiosk.go("search")
    search = kiosk.screens["search"]
    search.field.setText("dibso")
    assert search.rows[0].accessibleName() == "最低生活保障申请"
    assert "相近" in search.rows[0].detail_label.text()


# --- tickets ----------------------------------------------------------------------------------


def test_take_a_ticket_from_a_guide_and_from_the_chooser(qtbot, kiosk):
    kiosk.go("guide", uid=guide_uid(kiosk.hall, "MZ-001"))
    tap(qtbot, kiosk.screens["guide"].ticket_button)
    screen = kiosk.screens["ticket"]
    assert kiosk.current() is screen
    shown = answered(qtbot, screen)
    assert "B001" in shown and "民政事务业务" in shown and "您是下一位" in shown
    with kiosk.hall.cache.sessions() as s:
        ticket = s.scalar(select(Ticket).where(Ticket.label == "B001"))
        assert ticket.state == "waiting"
    assert decode_qr(screen.qr) == ticket_url(kiosk.config, ticket.uid)

    tap(qtbot, screen.done_button)
    assert kiosk.current() is kiosk.screens["home"]
    tap(qtbot, kiosk.screens["home"].ticket_button)
    assert "现在等候 1 人" in texts(screen.business_buttons["civil"])  # the real queue, not a made-up number
    tap(qtbot, screen.business_buttons["civil"])
    shown = answered(qtbot, screen)
    assert "B002" in shown and "前面还有 1 人" in shown and "预计等候约" in shown


def test_the_ticket_and_the_waiting_counts_follow_calls_without_reopening(qtbot, kiosk):
    queue = kiosk.queue
    queue.issue_ticket("civil")  # B001, someone before us
    kiosk.go("ticket", business="civil")
    screen = kiosk.screens["ticket"]
    assert "前面还有 1 人" in answered(qtbot, screen)
    queue.call_next(2)  # window 2 calls B001: one second later the screen says so
    qtbot.waitUntil(lambda: "您是下一位" in texts(screen), timeout=1000)
    assert "前面还有 1 人" not in texts(screen)
    kiosk.go("ticket")  # the chooser: B002 waits
    assert "现在等候 1 人" in texts(screen.business_buttons["civil"])
    queue.issue_ticket("civil")
    qtbot.waitUntil(lambda: "现在等候 2 人" in texts(screen.business_buttons["civil"]), timeout=1000)


def test_the_english_ticket_names_the_business_in_english(qtbot, kiosk):
    kiosk.set_language("en")
    kiosk.go("ticket", business="civil")
    shown = answered(qtbot, kiosk.screens["ticket"])
    assert "Civil affairs" in shown and "民政事务业务" not in shown


def test_a_refused_ticket_is_explained_in_the_screens_language(qtbot, kiosk, kiosk_hall):
    """The queue refuses with a code and parameters; the kiosk words it (not "民政事务业务暂停取号"
    on an English screen)."""
    from sqlalchemy import update

    from sync.cache.models import BusinessType

    with kiosk_hall.cache.transaction() as s:
        s.execute(update(BusinessType).where(BusinessType.code == "civil").values(active=False))
    kiosk.set_language("en")
    kiosk.go("ticket", business="civil")
    shown = answered(qtbot, kiosk.screens["ticket"])
    assert "Civil affairs: no tickets are being issued now" in shown and "暂停" not in shown
    kiosk.set_language("zh_CN")
    kiosk.go("ticket", business="civil")
    assert "民政事务业务暂停取号，请咨询工作人员" in answered(qtbot, kiosk.screens["ticket"])


def test_going_home_by_hand_clears_the_search(qtbot, kiosk):
    kiosk.go("search")
    kiosk.screens["search"].field.setText("qqxx")
    tap(qtbot, kiosk.home_button)
    kiosk.go("search")
    assert kiosk.screens["search"].field.text() == ""


def test_a_ticket_the_queue_refuses_shows_no_number(qtbot, kiosk):
    kiosk.go("ticket", business="no-such-business")
    screen = kiosk.screens["ticket"]
    answered(qtbot, screen)
    error = screen.findChild(QLabel, "ticket-error")
    assert error is not None and error.text()
    assert screen.findChild(QLabel, "ticket-number") is None


def test_without_a_queue_service_the_kiosk_says_so(make_kiosk):
    window = make_kiosk(queue=None)
    window.go("ticket")
    assert "暂时不可用" in texts(window.screens["ticket"])
    window.go("ticket", business="civil")
    assert "暂时不可用" in texts(window.screens["ticket"])


# --- for everyone -----------------------------------------------------------------------------


def test_large_text_and_high_contrast_one_tap_away_everywhere(qtbot, kiosk):
    kiosk.go("guide", uid=guide_uid(kiosk.hall, "MZ-001"))
    body = next(lab for lab in kiosk.screens["guide"].findChildren(QLabel) if lab.property("role") == "body")
    normal = body.fontInfo().pixelSize()
    tap(qtbot, kiosk.large_button)
    assert kiosk.large and kiosk.theme.background == "#000000"
    body = next(lab for lab in kiosk.screens["guide"].findChildren(QLabel) if lab.property("role") == "body")
    assert body.fontInfo().pixelSize() >= 1.5 * normal - 1
    assert kiosk.current() is kiosk.screens["guide"]  # still on the same guide
    for name in ("home", "search", "ticket", "category"):
        kiosk.go(name, code="civil") if name == "category" else kiosk.go(name)
        assert kiosk.large_button.isVisible()
        assert kiosk.language_button.isVisible()
    tap(qtbot, kiosk.large_button)
    assert not kiosk.large


def test_english_one_tap_away(qtbot, kiosk):
    tap(qtbot, kiosk.language_button)
    assert kiosk.language == "en"
    shown = texts(kiosk)
    assert "Civil affairs" in shown and "Take a ticket" in shown and "Public notices" in shown
    assert kiosk.language_button.text() == "中文"
    kiosk.go("guide", uid=guide_uid(kiosk.hall, "MZ-001"))
    shown = texts(kiosk.screens["guide"])
    assert "Documents to bring" in shown and "Free of charge" in shown and "Minimum living allowance" in shown
    tap(qtbot, kiosk.language_button)
    assert "申请材料" in texts(kiosk.screens["guide"])


def test_every_button_is_a_real_touch_target(qtbot, kiosk):
    from kiosk.ui.theme import TOUCH_TARGET_PX

    def check():
        QApplication.processEvents()
        for b in kiosk.findChildren(QPushButton):
            if b.isVisibleTo(kiosk):
                assert b.height() >= TOUCH_TARGET_PX and b.width() >= TOUCH_TARGET_PX, (b.objectName(), b.size())

    for large in (False, True):
        kiosk.set_large_text(large)
        for name, params in [("home", {}), ("search", {}), ("ticket", {}), ("category", {"code": "civil"}),
                             ("guide", {"uid": guide_uid(kiosk.hall, "MZ-001")})]:
            kiosk.go(name, **params)
            qtbot.wait(10)
            check()


def test_idle_returns_home_with_a_countdown_and_clears_the_search(qtbot, kiosk):
    kiosk.idle.set_seconds(1.6, warn_seconds=1.2)
    kiosk.go("search")
    kiosk.screens["search"].field.setText("db")
    kiosk.set_language("en")
    kiosk.idle.poke()
    qtbot.waitUntil(lambda: kiosk.countdown.isVisible(), timeout=3000)
    assert "Back to the start in" in kiosk.countdown.text()
    qtbot.waitUntil(lambda: kiosk.current() is kiosk.screens["home"], timeout=4000)
    assert kiosk.screens["search"].field.text() == ""
    assert kiosk.language == "zh_CN"
    assert not kiosk.countdown.isVisible()
    assert kiosk.is_pristine()


def test_a_touch_during_the_countdown_keeps_the_screen(qtbot, kiosk):
    kiosk.idle.set_seconds(1.6, warn_seconds=1.2)
    kiosk.go("category", code="labor")
    kiosk.idle.poke()
    qtbot.waitUntil(lambda: kiosk.countdown.isVisible(), timeout=3000)
    tap(qtbot, kiosk.screens["category"].rows[0])  # the resident is still there
    assert not kiosk.countdown.isVisible()
    assert kiosk.current() is kiosk.screens["guide"]


def test_portrait_layout(make_kiosk):
    window = make_kiosk("portrait")
    tiles = window.screens["home"].tiles
    assert tiles["civil"].y() == tiles["labor"].y() and tiles["health"].y() > tiles["civil"].y()  # 2 columns
    window.go("search")
    search = window.screens["search"]
    assert search.keyboard_card.y() > search.results_area.y()  # keyboard under the results
    assert search.keyboard_card.width() > 900


def test_content_change_redraws_without_restart(qtbot, kiosk):
    kiosk.go("category", code="civil")
    with kiosk.hall.cache.transaction() as s:
        g = s.scalar(select(ServiceGuide).where(ServiceGuide.code == "MZ-004"))
        g.name = "养老服务补贴申请"
        uid = g.uid
    kiosk.hall.events.publish("content.changed", kind="guide", uid=uid)
    qtbot.waitUntil(lambda: "养老服务补贴申请" in texts(kiosk.screens["category"]), timeout=3000)
    assert kiosk.catalog.search("ylfw").hits[0].guide.uid == uid


def test_online_indicator_reads_sync_status(qtbot, kiosk):
    class Status:
        def __init__(self, online):
            self.online = online

    class Sync:
        online = True

        def status(self):
            if self.online is None:
                raise OSError("cache busy")
            return Status(self.online)

    sync = Sync()
    kiosk.hall.sync = sync
    kiosk._update_online()
    assert "已联网" in kiosk.online_label.text()
    sync.online = False
    kiosk._update_online()
    assert "离线运行" in kiosk.online_label.text()
    sync.online = None
    kiosk._update_online()
    assert "离线运行" in kiosk.online_label.text()


# --- lockdown and staff exit ------------------------------------------------------------------


def test_lockdown_swallows_escape_keys_menus_and_close(qtbot, kiosk):
    flags = kiosk.windowFlags()
    assert flags & Qt.WindowType.FramelessWindowHint and flags & Qt.WindowType.WindowStaysOnTopHint
    lock = kiosk.lockdown
    assert lock.active
    target = kiosk.screens["home"].search_button
    combos = [(Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier), (Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier),
              (Qt.Key.Key_Tab, Qt.KeyboardModifier.AltModifier), (Qt.Key.Key_Meta, Qt.KeyboardModifier.MetaModifier),
              (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier), (Qt.Key.Key_F11, Qt.KeyboardModifier.NoModifier)]
    for key, mods in combos:
        event = QKeyEvent(QEvent.Type.KeyPress, key, mods)
        assert lock.eventFilter(target, event), key
    before = lock.blocked
    qtbot.keyClick(target, Qt.Key.Key_Escape)
    qtbot.keyClick(target, Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier)
    assert lock.blocked == before + 2
    menu = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(5, 5), QPoint(5, 5))
    assert lock.eventFilter(target, menu)
    # ordinary typing still works, and other windows (a counter console) keep their keys
    assert not lock.eventFilter(target, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_D, Qt.KeyboardModifier.NoModifier))
    other = QLineEdit()
    qtbot.addWidget(other)
    assert not lock.eventFilter(other, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Escape,
                                                 Qt.KeyboardModifier.NoModifier))
    assert not kiosk.close()  # Alt+F4 through the window manager ends here
    assert kiosk.isVisible()


def staff_number(kiosk, name: str) -> str:
    return str(next(s.number for s in kiosk.auth().list_staff() if s.name == name))


def sign_in(qtbot, kiosk, name: str, pin: str) -> None:
    """Five taps on the hall name, then staff number and PIN on the overlay's keypad."""
    staff = kiosk.staff
    for _ in range(5):
        tap(qtbot, kiosk.hall_label)
    assert staff.isVisible()
    tap(qtbot, staff.buttons["number"])
    for d in staff_number(kiosk, name):
        tap(qtbot, staff.buttons[f"digit-{d}"])
    tap(qtbot, staff.buttons["pin"])
    for d in pin:
        tap(qtbot, staff.buttons[f"digit-{d}"])
    tap(qtbot, staff.buttons["ok"])
    # the sign-in is checked off the GUI thread: 确认 waits for the answer (the menu replaces it)
    qtbot.waitUntil(lambda: "ok" not in staff.buttons or staff.buttons["ok"].isEnabled(), timeout=5000)


def test_staff_leave_with_gesture_and_pin(qtbot, kiosk):
    staff = kiosk.staff
    for _ in range(4):
        tap(qtbot, kiosk.hall_label)
    assert not staff.isVisible()
    tap(qtbot, kiosk.hall_label)
    assert staff.isVisible()
    assert not kiosk.is_pristine()  # the idle reset would close a forgotten dialog
    shown = texts(staff)
    for s in kiosk.auth().list_staff():  # whoever stands at the kiosk learns no staff names
        assert s.name not in shown
    # the field the keypad types into shows that it is selected
    assert staff.buttons["number"].isChecked() and not staff.buttons["pin"].isChecked()
    tap(qtbot, staff.buttons["pin"])
    assert staff.buttons["pin"].isChecked() and not staff.buttons["number"].isChecked()
    staff.close_overlay()

    sign_in(qtbot, kiosk, "王站长", "1111")
    assert staff.findChild(QLabel, "staff-error").text() == "工号或 PIN 不正确"
    assert staff.session is None
    staff.close_overlay()
    sign_in(qtbot, kiosk, "王站长", "2468")
    assert staff.session is not None and staff.session.name == "王站长"
    tap(qtbot, staff.buttons["exit"])
    assert not staff.isVisible()
    assert not kiosk.lockdown.active
    assert not kiosk.windowFlags() & Qt.WindowType.FramelessWindowHint


def test_wrong_pins_at_the_kiosk_slow_the_kiosk_but_never_lock_the_account(qtbot, kiosk):
    from sync.cache.models import AuditLog

    now = [0.0]
    kiosk.staff.backoff.clock = lambda: now[0]
    for _ in range(8):
        sign_in(qtbot, kiosk, "王站长", "0000")
        kiosk.staff.close_overlay()
        now[0] += 1.0
    error = kiosk.staff
    # after three free tries this kiosk waits, doubling; the account is untouched
    sign_in(qtbot, kiosk, "王站长", "2468")
    assert error.session is None and "秒后再试" in error.findChild(QLabel, "staff-error").text()
    info = next(s for s in kiosk.auth().list_staff() if s.name == "王站长")
    assert info.locked_until is None and info.failed_attempts == 0
    assert kiosk.auth().login("王站长", "2468").name == "王站长"  # at a counter: signs in at once
    with kiosk.hall.cache.reading() as s:
        failed = s.scalars(select(AuditLog).where(AuditLog.action == "login_failed")).all()
    assert len(failed) >= 4 and all(row.detail.get("device") == "kiosk" for row in failed)
    kiosk.staff.close_overlay()
    now[0] += 10_000
    sign_in(qtbot, kiosk, "王站长", "2468")
    assert kiosk.staff.session is not None


def test_staff_return_the_kiosk_to_kiosk_mode(qtbot, kiosk):
    sign_in(qtbot, kiosk, "王站长", "2468")
    tap(qtbot, kiosk.staff.buttons["exit"])
    assert kiosk.unlocked() and kiosk.relock_button.isVisible()
    for _ in range(5):  # the staff dialog offers the way back, without a PIN
        tap(qtbot, kiosk.hall_label)
    tap(qtbot, kiosk.staff.buttons["relock"])
    assert kiosk.lockdown.active and not kiosk.unlocked() and not kiosk.relock_button.isVisible()
    assert kiosk.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert not kiosk.close()
    # the top bar's button does the same; and so does the idle time with nobody there
    sign_in(qtbot, kiosk, "王站长", "2468")
    tap(qtbot, kiosk.staff.buttons["exit"])
    tap(qtbot, kiosk.relock_button)
    assert kiosk.lockdown.active
    sign_in(qtbot, kiosk, "王站长", "2468")
    tap(qtbot, kiosk.staff.buttons["exit"])
    assert not kiosk.is_pristine()  # unlocked: the idle watcher counts down
    kiosk.idle.expired.emit()
    assert kiosk.lockdown.active and kiosk.current().name == "home"


def test_tap_gesture_needs_five_taps_within_three_seconds():
    from kiosk.ui.resident.tap_gesture import TapGesture

    now = [0.0]
    gesture = TapGesture(clock=lambda: now[0])
    fired = []
    gesture.triggered.connect(lambda: fired.append(True))
    for _ in range(4):
        gesture.tap()
        now[0] += 1.0  # too slow: the first tap falls out of the window
    gesture.tap()
    assert not fired
    for _ in range(5):
        gesture.tap()
        now[0] += 0.5
    assert fired == [True]


def test_usable_while_the_office_is_unreachable(qtbot, kiosk):
    """A real sync worker pointed at a closed port: searching, reading and taking a ticket go on."""
    import socket

    from kiosk.services.content import apply_content
    from sync.client import sync_worker_for

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    office = kiosk.config.office
    worker = sync_worker_for(kiosk.hall.cache, office, url=f"http://127.0.0.1:{port}", token="t",
                             apply_content=apply_content, publish=kiosk.hall.events.publish)
    kiosk.hall.sync = worker
    worker.start()
    try:
        worker.wake()
        kiosk.go("search")
        kiosk.screens["search"].field.setText("db")
        assert kiosk.screens["search"].rows[0].accessibleName() == "最低生活保障申请"
        kiosk.go("ticket", business="labor")
        assert "A001" in answered(qtbot, kiosk.screens["ticket"])
        kiosk._update_online()
        assert "离线运行" in kiosk.online_label.text()
    finally:
        worker.stop()
        kiosk.hall.sync = None


def test_the_ticket_prints_off_the_ui_thread(qtbot, kiosk):
    """With a printer configured (python-escpos's in-memory Dummy), the kiosk prints the issued
    ticket in a background thread and shows the printer's answer; the number shows either way."""
    from kiosk.services.printer import TicketPrinter

    kiosk.config.printer.connection = "dummy"
    kiosk.hall.printer = TicketPrinter(kiosk.config, tz=kiosk.hall.tz)
    try:
        kiosk.go("ticket", business="health")
        screen = kiosk.screens["ticket"]
        assert "C001" in answered(qtbot, screen)
        qtbot.waitUntil(lambda: "请取走您的号票" in screen.print_label.text(), timeout=5000)
        assert b"C001" in kiosk.hall.printer.last_bytes  # the bytes the printer got
    finally:
        kiosk.hall.printer = None


def test_staff_with_content_rights_open_the_editor_from_the_kiosk(qtbot, kiosk):
    staff = kiosk.staff
    sign_in(qtbot, kiosk, "王站长", "2468")
    assert "editor" in staff.buttons
    tap(qtbot, staff.buttons["editor"])
    editor = kiosk.editor_window
    qtbot.addWidget(editor)
    assert editor.isVisible()
    assert not kiosk.lockdown.active  # the editor is not hidden behind a locked kiosk
    editor.close()  # done editing: the kiosk locks itself again
    assert kiosk.lockdown.active and kiosk.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert not kiosk.close()


def test_scroll_bars_are_touch_sized(qtbot, kiosk):
    """Dragging with a mouse-emulating touch frame is tried on a real X server
    (tests/kiosk/test_hall_on_screen.py); here the bar a finger may use instead."""
    from PySide6.QtWidgets import QScrollArea

    from kiosk.ui.theme import TOUCH_TARGET_PX

    for large in (False, True):
        kiosk.set_large_text(large)
        kiosk.go("guide", uid=guide_uid(kiosk.hall, "MZ-001"))
        QApplication.processEvents()
        area = next(a for a in kiosk.screens["guide"].findChildren(QScrollArea, "guide-scroll") if a.isVisible())
        assert area.verticalScrollBar().width() >= TOUCH_TARGET_PX
