"""A remote counter console while the hall PC is away: over real HTTP on loopback to the hall's
LAN API, then the hall app stopped (closed port), silent (accepts, never answers) or losing its
answers (a relay, tests/kiosk/lan/lanproxy.py). The window must keep running its event loop,
say what is going on, never send an action twice, and come back by itself."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer

TESTS = Path(__file__).resolve().parents[2]

from test_console import make_console  # noqa: E402

from kiosk.lan.api import HallApiServer, create_app  # noqa: E402
from kiosk.lan.client import LocalCounterClient, RemoteCounterClient  # noqa: E402
from kiosk.services.auth import AuthService  # noqa: E402
from kiosk.ui.counter.console import LOST, POLL_MS, CounterConsole, TransferDialog  # noqa: E402
from tests.kiosk.lan.lanproxy import LanProxy  # noqa: E402
from tests.kiosk.services.queue_world import add_clerks, make_queue, seed_hall  # noqa: E402

WAIT = 15_000  # ms; generous, for a busy test machine


@pytest.fixture
def hall(cache):
    seed_hall(cache)
    add_clerks(cache)
    q, _ = make_queue(cache)
    local = LocalCounterClient(q, AuthService(cache))
    servers = [HallApiServer(create_app(local, "tok")).start()]

    def restart():
        port = servers[-1].port
        servers[-1].stop()
        servers.append(HallApiServer(create_app(local, "tok"), port=port).start())
        return servers[-1]

    yield q, servers[0], restart
    for s in servers:
        s.stop()


@pytest.fixture
def proxies():
    made = []
    yield lambda port: made.append(LanProxy(port)) or made[-1]
    for p in made:
        p.close()


class Ticks:
    """A 20 ms timer on the GUI thread: the longest gap between ticks is the longest freeze."""

    def __init__(self):
        self.count, self.max_gap, self.last = 0, 0.0, time.monotonic()
        self.timer = QTimer()
        self.timer.timeout.connect(self.tick)
        self.timer.start(20)

    def tick(self):
        now = time.monotonic()
        self.count += 1
        self.max_gap = max(self.max_gap, now - self.last)
        self.last = now


def console_for(qtbot, url, window=2, **kw):
    """A remote console over HTTP, polling the hall as in the hall (test_console.py's are local)."""
    return make_console(qtbot, RemoteCounterClient(url, "tok", timeout=1.0), window, poll=True, **kw)


def log_in(qtbot, console, name="李强", pin="1357"):
    qtbot.waitUntil(lambda: console.login_page.button.isEnabled() and console.login_page.name.count() > 0,
                    timeout=WAIT)
    console.login_page.name.setCurrentText(name)
    console.login_page.pin.setText(pin)
    console.login_page.button.click()
    qtbot.waitUntil(lambda: console.staff is not None and console.state is not None, timeout=WAIT)


def press(qtbot, console, key):
    """Press an F-key; returns how long the GUI thread was held by it."""
    t0 = time.monotonic()
    qtbot.keyClick(console, key)
    return time.monotonic() - t0


def through_relay(qtbot, hall, proxies):
    """Three civil tickets waiting and a console logged in through a relay the test controls."""
    q, server, _ = hall
    for _ in range(3):
        q.issue_ticket("civil")
    proxy = proxies(server.port)
    console = console_for(qtbot, proxy.url)
    log_in(qtbot, console)
    return q, proxy, console


def action_buttons(console):
    w = console.work
    return [*w.buttons.values(), w.reprint, w.pick, w.back, w.resume_held]


def test_silent_hall_keeps_the_window_running_and_the_press_is_not_lost(qtbot, hall, proxies):
    q, proxy, console = through_relay(qtbot, hall, proxies)
    press(qtbot, console, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: console.work.ticket.text() == "B001", timeout=WAIT)

    proxy.mode = "silent"  # the hall app hangs: connections open, no answer ever
    ticks = Ticks()
    held = press(qtbot, console, Qt.Key.Key_F1)
    assert held < 1.0  # the old console sat in the HTTP call right here, for the timeout and more
    assert "正在叫下一位" in console.work.message.text()
    assert not console.work.buttons["next"].isEnabled()
    press(qtbot, console, Qt.Key.Key_F1)  # pressed again while the first is on its way
    assert "请稍候" in console.work.message.text()
    qtbot.waitUntil(lambda: console.work.banner.isVisible() and LOST in console.work.banner.text(), timeout=WAIT)
    qtbot.waitUntil(lambda: "结果未确认" in console.work.message.text(), timeout=WAIT)
    qtbot.wait(1500)  # more polls time out meanwhile
    ticks.timer.stop()
    assert ticks.count > 20 and ticks.max_gap < 1.0, (ticks.count, ticks.max_gap)  # it never stood still
    assert not any(b.isEnabled() for b in action_buttons(console))
    assert console.work.connection.text() == "大厅主机：未连接"
    # the hall's last answer is not shown as if it were still true
    assert console.work.sync.text() == "同步：未知" and console.work.board.text() == "LED屏：未知"
    assert console.work.voice.text() == "语音：未知"
    press(qtbot, console, Qt.Key.Key_F5)
    assert console.work.message.text() == f"「办结」未执行：{LOST}"

    proxy.mode = "pass"  # back: the console asks what became of the press, and the hall never got it
    qtbot.waitUntil(lambda: console.connected and console.unconfirmed is None, timeout=WAIT)
    qtbot.waitUntil(lambda: "「叫下一位」未执行" in console.work.message.text(), timeout=WAIT)
    assert "请重新操作" in console.work.message.text()
    assert console.work.banner.text() == "已重新连接大厅主机"
    qtbot.waitUntil(lambda: console.work.buttons["next"].isEnabled(), timeout=WAIT)
    qtbot.waitUntil(lambda: console.work.sync.text() != "同步：未知", timeout=WAIT)
    assert q.ticket("B001").state == "called" and q.ticket("B002").state == "waiting"
    press(qtbot, console, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: console.work.ticket.text() == "B002", timeout=WAIT)
    assert q.ticket("B003").state == "waiting"


def test_a_lost_answer_is_confirmed_after_reconnecting_never_sent_twice(qtbot, hall, proxies):
    q, proxy, console = through_relay(qtbot, hall, proxies)
    proxy.mode = "lose_answer"  # the hall acts, the answer never arrives
    press(qtbot, console, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: "结果未确认" in console.work.message.text(), timeout=WAIT)
    assert q.ticket("B001").state == "called"
    assert LOST in console.work.banner.text()
    proxy.mode = "pass"
    qtbot.waitUntil(lambda: console.unconfirmed is None and console.connected, timeout=WAIT)
    qtbot.waitUntil(lambda: console.work.ticket.text() == "B001", timeout=WAIT)
    assert console.work.message.text() == "已叫 B001（连接恢复后确认）"
    assert q.ticket("B001").call_count == 1 and q.ticket("B002").state == "waiting"  # nobody skipped
    assert proxy.requests_in("lose_answer", "call_next") == 2  # asked once more, with the same id


def test_hall_app_stopped_and_restarted_keeps_the_clerk_signed_in(qtbot, hall):
    q, server, restart = hall
    q.issue_ticket("civil")
    console = console_for(qtbot, server.url)
    assert server.url in console.windowTitle()
    log_in(qtbot, console)
    press(qtbot, console, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: console.work.ticket.text() == "B001", timeout=WAIT)

    server.stop()  # closed port: nothing can have reached the hall
    ticks = Ticks()
    assert press(qtbot, console, Qt.Key.Key_F5) < 1.0
    qtbot.waitUntil(lambda: console.work.message.text().startswith("「办结」未执行：连接不上大厅主机"), timeout=WAIT)
    assert console.unconfirmed is None and LOST in console.work.banner.text()
    assert not console.work.buttons["next"].isEnabled()
    qtbot.wait(1500)
    ticks.timer.stop()
    assert ticks.count > 20 and ticks.max_gap < 1.0
    assert q.ticket("B001").state == "called"

    restart()  # a new hall app on the same cache: the clerk's sign-in is still valid, no new PIN
    qtbot.waitUntil(lambda: console.work.buttons["next"].isEnabled(), timeout=WAIT)
    assert console.stack.currentWidget() is console.work and console.staff is not None
    assert LOST not in console.work.banner.text()
    qtbot.waitUntil(lambda: console.work.ticket.text() == "B001", timeout=WAIT)
    press(qtbot, console, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: q.ticket("B001").state == "served", timeout=WAIT)
    qtbot.waitUntil(lambda: console.work.message.text() == "B001 已办结", timeout=WAIT)


def test_console_started_while_the_hall_is_down_connects_when_it_comes(qtbot, hall):
    q, server, restart = hall
    server.stop()
    console = CounterConsole(RemoteCounterClient(server.url, "tok", timeout=1.0), 2, tz=None)
    qtbot.addWidget(console)
    console.show()
    qtbot.waitUntil(lambda: console.connected is False, timeout=WAIT)
    assert console.login_page.message.text() == LOST
    assert not console.login_page.button.isEnabled()
    console.login("李强", "1357")
    assert console.login_page.message.text() == LOST + "暂时无法登录"
    restart()
    qtbot.waitUntil(lambda: console.connected and console.login_page.name.count() == 3, timeout=WAIT)
    assert console.login_page.button.isEnabled() and console.login_page.message.text() == ""
    assert str(console.tz) == "Asia/Shanghai"  # learnt from the hall: times show in the hall's zone
    log_in(qtbot, console)
    assert console.work.title.text().startswith("2号窗口")


def test_transfer_over_the_lan(qtbot, hall):
    q, server, _ = hall
    q.issue_ticket("civil")
    console = console_for(qtbot, server.url)
    log_in(qtbot, console)
    press(qtbot, console, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: console.work.ticket.text() == "B001", timeout=WAIT)
    chosen = []

    def choose():  # the dialog opens when the hall sent its lists: answer it from inside its loop
        dialog = getattr(console, "_open_dialog", None)
        if isinstance(dialog, TransferDialog) and dialog.isVisible() and not chosen:
            chosen.append(dialog)
            dialog.window.setCurrentIndex(dialog.window.findData(3))
            dialog.accept()

    chooser = QTimer()
    chooser.timeout.connect(choose)
    chooser.start(20)
    press(qtbot, console, Qt.Key.Key_F4)
    qtbot.waitUntil(lambda: q.ticket("B001").window_number == 3, timeout=WAIT)
    chooser.stop()
    qtbot.waitUntil(lambda: console.work.message.text() == "B001 已转移", timeout=WAIT)
    assert q.ticket("B001").state == "waiting"


def test_console_opened_against_a_silent_hall_fills_in_the_window_when_it_answers(qtbot, hall, proxies):
    q, server, _ = hall
    proxy = proxies(server.port)
    proxy.mode = "silent"
    console = CounterConsole(RemoteCounterClient(proxy.url, "tok", timeout=1.0), 2, tz=None)
    qtbot.addWidget(console)
    checked = []
    console.hall_checked.connect(lambda kind, message: checked.append((kind, message)))
    console.show()
    qtbot.waitUntil(lambda: console.connected is False, timeout=WAIT)
    assert console.problem is None and checked == []  # nothing known yet, and nothing made up
    assert console.login_page.heading.text() == "2号窗口 登录"
    assert console.login_page.message.text() == LOST
    proxy.mode = "pass"
    qtbot.waitUntil(lambda: checked == [("", "")], timeout=WAIT)
    assert console.login_page.heading.text() == "2号窗口 民政事务窗口 登录"
    assert "民政事务窗口" in console.windowTitle() and proxy.url in console.windowTitle()
    assert str(console.tz) == "Asia/Shanghai"
    log_in(qtbot, console)
    qtbot.wait(POLL_MS * 2)
    assert proxy.requests_in("pass", "GET /api/v1/windows ") == 1  # asked once, not at every poll


def test_a_window_the_hall_does_not_have_says_so_and_keeps_login_off(qtbot, hall):
    q, server, _ = hall
    console = CounterConsole(RemoteCounterClient(server.url, "tok", timeout=1.0), 9, tz=None)
    qtbot.addWidget(console)
    checked = []
    console.hall_checked.connect(lambda kind, message: checked.append((kind, message)))
    console.show()
    qtbot.waitUntil(lambda: checked != [], timeout=WAIT)
    kind, message = checked[0]
    assert kind == "window" and message == "大厅主机没有 9 号窗口（现有窗口：1、2、3、4），请检查 counter 的 --window"
    assert console.login_page.message.text() == message
    assert not console.login_page.button.isEnabled()
    assert console.login("李强", "1357") is False and console.login_page.message.text() == message
    qtbot.wait(POLL_MS * 2)
    assert checked == [(kind, message)] and console.staff is None  # said once, and it stays


def test_a_refused_token_says_so_on_the_login_page(qtbot, hall):
    q, server, _ = hall
    console = CounterConsole(RemoteCounterClient(server.url, "wrong", timeout=1.0), 2, tz=None)
    qtbot.addWidget(console)
    console.show()
    qtbot.waitUntil(lambda: console.problem_kind == "token", timeout=WAIT)
    assert "令牌" in console.login_page.message.text() and not console.login_page.button.isEnabled()
