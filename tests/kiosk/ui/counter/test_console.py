"""The counter console with pytest-qt, in-process against the queue (over real HTTP and through
outages: test_console_outage.py)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QPushButton

from kiosk.config import HallConfig  # noqa: E402
from kiosk.lan.client import LocalCounterClient  # noqa: E402
from kiosk.services.auth import AuthService  # noqa: E402
from kiosk.services.printer import TicketPrinter  # noqa: E402
from kiosk.ui.counter.console import CounterConsole, TransferDialog  # noqa: E402
from tests.kiosk.services.queue_world import TZ, Recorder, add_clerks, make_queue, seed_hall  # noqa: E402


@pytest.fixture
def world(cache, tmp_path):
    seed_hall(cache)
    add_clerks(cache)
    q, bus = make_queue(cache)
    config = HallConfig()
    config.hall.data_dir = tmp_path
    config.printer.connection = "serial"
    config.printer.device = str(tmp_path / "no-printer")
    printer = TicketPrinter(config)
    return q, bus, LocalCounterClient(q, AuthService(cache), printer)


def make_console(qtbot, client, window=1, *, poll=False, **kw):
    console = CounterConsole(client, window, tz=TZ, poll=poll, **kw)
    qtbot.addWidget(console)
    console.resize(1280, 800)
    console.show()
    qtbot.waitExposed(console)
    console.activateWindow()  # F-key shortcuts work in the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is console, timeout=2000)
    return console


def answered(console, timeout_s: float = 5.0) -> None:
    """Until every call the console sent has its answer on screen: even in process, calls go
    through the console's lane on the task runner (the kiosk shares this GUI thread)."""
    deadline = time.monotonic() + timeout_s
    while not console.calls.idle:
        assert time.monotonic() < deadline, "the console's call never got its answer"
        QApplication.processEvents()
        time.sleep(0.002)


def login(console, name="王芳", pin="2468"):
    answered(console)  # the staff names are in
    console.login_page.name.setCurrentText(name)
    console.login_page.pin.setText(pin)
    console.login_page.button.click()
    answered(console)


def press(qtbot, console, key) -> None:
    qtbot.keyClick(console, key)
    answered(console)


def test_pin_login(qtbot, world):
    q, _, client = world
    console = make_console(qtbot, client)
    answered(console)  # the staff names
    assert console.stack.currentWidget() is console.login_page
    assert [console.login_page.name.itemText(i) for i in range(console.login_page.name.count())] == \
        ["李强", "王芳", "陈静"]
    login(console, pin="1111")
    assert "PIN 错误" in console.login_page.message.text()
    assert console.stack.currentWidget() is console.login_page
    login(console)
    assert console.stack.currentWidget() is console.work
    assert "1号窗口" in console.work.title.text() and "王芳" in console.work.title.text()
    console.work.logout.click()
    assert console.stack.currentWidget() is console.login_page and console.staff is None


def test_keys_drive_the_queue_and_events(qtbot, world):
    q, bus, client = world
    rec = Recorder(bus)
    for _ in range(3):
        q.issue_ticket("labor")
    q.issue_ticket("labor", priority=True)
    console = make_console(qtbot, client)
    login(console)
    assert console.work.tabs.tabText(0) == "等候 4"
    press(qtbot, console, Qt.Key.Key_F1)
    assert console.work.ticket.text() == "A004"  # priority first
    assert "（优先）" in console.work.ticket_info.text()
    press(qtbot, console, Qt.Key.Key_F2)
    assert "已叫 2 次" in console.work.ticket_info.text()
    press(qtbot, console, Qt.Key.Key_F3)
    assert console.work.ticket.text() == "—" and console.work.tabs.tabText(1) == "过号 1"
    press(qtbot, console, Qt.Key.Key_F1)
    assert console.work.ticket.text() == "A001"
    press(qtbot, console, Qt.Key.Key_F5)
    assert q.ticket("A001").state == "served"
    assert "今日办结 1 人" in console.work.stats.text() and "过号 1" in console.work.stats.text()
    press(qtbot, console, Qt.Key.Key_F8)
    assert "暂停服务" in console.work.title.text() and console.work.buttons["pause"].text().startswith("恢复")
    assert not console.work.buttons["next"].isEnabled()  # a paused window calls nobody
    press(qtbot, console, Qt.Key.Key_F1)
    assert "暂停服务" in console.work.message.text()
    press(qtbot, console, Qt.Key.Key_F8)
    assert "暂停服务" not in console.work.title.text()
    assert console.work.buttons["next"].isEnabled()
    # a banner coming and going does not move the buttons under the clerk's finger
    QApplication.processEvents()
    before = console.work.buttons["next"].mapTo(console, console.work.buttons["next"].rect().topLeft())
    console.banner("已重新连接大厅主机", ok=True)
    QApplication.processEvents()
    after = console.work.buttons["next"].mapTo(console, console.work.buttons["next"].rect().topLeft())
    assert before == after
    assert rec.topics()[4:7] == ["ticket.called", "ticket.recalled", "ticket.skipped"]
    assert "window.paused" in rec.topics() and "window.resumed" in rec.topics()


def test_hold_bring_back_return_and_call_selected(qtbot, world):
    q, _, client = world
    for _ in range(3):
        q.issue_ticket("labor")
    console = make_console(qtbot, client)
    login(console)
    console.call_next()
    answered(console)
    press(qtbot, console, Qt.Key.Key_F6)  # hold A001
    assert console.work.tabs.tabText(2) == "挂起 1"
    console.call_next()  # A002
    answered(console)
    console.skip()
    answered(console)
    console.work.tabs.setCurrentIndex(1)
    console.work.skipped.selectRow(0)
    console.return_selected()
    answered(console)
    assert q.ticket("A002").state == "waiting"
    console.work.tabs.setCurrentIndex(2)
    console.work.held.selectRow(0)
    console.bring_back_selected()
    answered(console)
    assert console.work.ticket.text() == "A001"
    # call a specific waiting ticket through the dialog, reason typed in
    console.work.tabs.setCurrentIndex(0)
    row = [console.work.waiting.item(r, 0).text() for r in range(console.work.waiting.rowCount())].index("A003")
    console.work.waiting.selectRow(row)

    def fill():
        dialog = console._open_dialog
        dialog.reason.setCurrentText("材料补齐后回来")
        dialog.accept()

    QTimer.singleShot(50, fill)
    console.call_selected()
    answered(console)
    assert console.work.ticket.text() == "A003"
    assert q.ticket("A001").state == "served"


def test_transfer_dialog(qtbot, world):
    q, _, client = world
    q.issue_ticket("labor")
    console = make_console(qtbot, client)
    login(console)
    console.call_next()
    answered(console)

    def choose():
        dialog = console._open_dialog
        assert isinstance(dialog, TransferDialog)
        dialog.business.setCurrentIndex(dialog.business.findData("civil"))
        dialog.window.setCurrentIndex(dialog.window.findData(3))
        accept, cancel = (dialog.findChild(QPushButton, name) for name in ("dialog-accept", "dialog-cancel"))
        assert (accept.text(), cancel.text()) == ("转移", "取消")  # not Qt's English OK / Cancel
        accept.click()

    QTimer.singleShot(50, choose)
    press(qtbot, console, Qt.Key.Key_F4)
    t = q.ticket("A001")
    assert (t.state, t.business_code, t.window_number) == ("waiting", "civil", 3)
    assert "A001 已转移" in console.work.message.text()


def test_errors_and_printer_alarm(qtbot, world):
    q, _, client = world
    console = make_console(qtbot, client)
    login(console)
    press(qtbot, console, Qt.Key.Key_F2)
    assert console.work.message.text() == "1号窗口当前没有正在办理的号"
    q.issue_ticket("labor")
    console.client.printer.print_ticket(q.issued_ticket("A001"))  # the kiosk's print failed
    console._polls = 0
    console.refresh()
    answered(console)
    assert "找不到打印机" in console.work.printer.text()
    assert "#c62828" in console.work.printer.styleSheet()
    console.work.waiting.selectRow(0)
    console.reprint_current()
    answered(console)
    assert "找不到打印机" in console.work.message.text()
    assert console.work.sync.text() == "同步：未启用" and console.work.board.text() == "LED屏：未接入"


def test_reconnect_banner_timer_dies_with_the_console(qtbot, world, monkeypatch):
    """A console closed right after reconnecting must not leave a timer poking a dead widget."""
    from PySide6.QtCore import QCoreApplication, QEvent

    _, _, client = world
    monkeypatch.setattr(CounterConsole, "reconnected_banner_ms", 100)
    console = CounterConsole(client, 1, tz=TZ, poll=False)  # not owned by qtbot: deleted here
    console.show()
    login(console)
    console._set_connected(False, "test")
    console._set_connected(True)
    assert console.work.banner.text() == "已重新连接大厅主机"
    console.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qtbot.wait(300)  # past the banner's timer: no "already deleted" error may surface


def test_reconnect_banner_goes_away(qtbot, world, monkeypatch):
    _, _, client = world
    monkeypatch.setattr(CounterConsole, "reconnected_banner_ms", 100)
    console = make_console(qtbot, client)
    login(console)
    console._set_connected(False, "test")
    assert console.work.banner.isVisible()
    console._set_connected(True)
    qtbot.waitUntil(lambda: not console.work.banner.isVisible(), timeout=3000)


def status_hall(config: HallConfig, voice=None) -> SimpleNamespace:
    """What the status line reads of a Hall (kiosk/hall.py), with no sync, board or printer."""
    return SimpleNamespace(config=config, tz=TZ, sync=None, sync_starting=False, board=None, voice=voice,
                           cache_note="")


def test_a_filling_disk_is_on_the_status_line_before_the_cache_cannot_write(qtbot, world, tmp_path, monkeypatch):
    import kiosk.services.disk as disk

    q, _, client = world
    config = HallConfig()
    config.hall.data_dir = tmp_path
    client.hall = status_hall(config)
    console = make_console(qtbot, client)
    login(console)
    console._polls = 0
    console.refresh()
    answered(console)
    assert console.work.sync.text() == "同步：未启用"  # room on the disk: nothing to say
    monkeypatch.setattr(disk, "WARN_MB", disk.free_mb(tmp_path) + 1)  # as if the disk had filled up
    console._polls = 0
    console.refresh()
    answered(console)
    assert "磁盘空间不足：仅剩" in console.work.sync.text()
    assert "#c62828" in console.work.sync.styleSheet()


def test_voice_failure_shows_on_the_console(qtbot, world, tmp_path):
    from kiosk.config import VoiceSection
    from kiosk.services.voice import VoiceCaller

    q, _, client = world
    voice = VoiceCaller(VoiceSection(), player=[])  # no audio player on this PC
    config = HallConfig()
    config.hall.data_dir = tmp_path
    config.office.public_url = "http://192.168.1.20:8700"  # phones in the hall can reach it
    client.hall = status_hall(config, voice)
    try:
        console = make_console(qtbot, client)
        login(console)
        console.refresh()
        answered(console)
        assert console.work.voice.text().startswith("语音：故障") and "找不到播放器" in console.work.voice.text()
        assert "#c62828" in console.work.voice.styleSheet()
        assert not console.work.qr_warning.isVisible()  # QR links phones can open: nothing to warn about
        config.office.public_url = ""  # the embedded office on loopback
        client.hall = status_hall(config, voice)
        console._polls = 0  # the status is asked for on the next poll
        console.refresh()
        answered(console)
        assert console.work.qr_warning.isVisible() and "手机打不开" in console.work.qr_warning.text()
    finally:
        voice.close()


def test_a_call_waiting_on_the_write_lock_does_not_hold_the_gui_thread(qtbot, world, cache):
    """In the hall app the consoles share the kiosk's GUI thread: a call that waits for the
    cache's write lock (another console's action, a sync round) must not freeze the screens."""
    from tests.sync.writelock import write_lock_held

    q, _, client = world
    q.issue_ticket("labor")
    console = make_console(qtbot, client)
    login(console)
    ticks: list[float] = []
    ticker = QTimer(console)  # stands for every timer and paint of the GUI thread
    ticker.timeout.connect(lambda: ticks.append(time.monotonic()))
    ticker.start(20)
    with write_lock_held(cache, busy_ms=5000):
        qtbot.keyClick(console, Qt.Key.Key_F1)
        qtbot.wait(400)  # the call is waiting for the lock meanwhile
        assert console.busy and not console.calls.idle  # on its way, not refused or done
        assert len(ticks) >= 5 and console.work.ticket.text() != "A001"
    answered(console)
    assert console.work.ticket.text() == "A001" and q.ticket("A001").state == "called"
