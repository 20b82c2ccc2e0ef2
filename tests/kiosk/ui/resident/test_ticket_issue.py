"""A ticket is issued off the GUI thread (kiosk/ui/tasks.py): while the queue waits for the
cache's write lock (a counter's action in progress), the kiosk keeps painting and ticking, the
business pressed stays disabled (a second tap takes no second ticket), and after a moment the
screen says 正在取号……; the ticket shows once the lock is free."""

from __future__ import annotations

import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel
from sqlalchemy import func, select
from test_kiosk import answered, tap, texts

from sync.cache.models import Ticket
from tests.sync.writelock import write_lock_held


def test_a_ticket_waiting_on_the_write_lock_does_not_freeze_the_kiosk(qtbot, make_kiosk, kiosk_hall):
    kiosk = make_kiosk()
    kiosk.go("ticket")
    screen = kiosk.screens["ticket"]
    tile = screen.business_buttons["civil"]
    ticks: list[threading.Thread] = []
    ticker = QTimer(kiosk)  # stands for every timer and paint of the GUI thread
    ticker.timeout.connect(lambda: ticks.append(threading.current_thread()))
    ticker.start(20)
    # the usual 10 s wait for the lock, halved: long enough to outlast the hold below
    with write_lock_held(kiosk_hall.cache, busy_ms=5000):
        tap(qtbot, tile)
        assert not tile.isEnabled()  # until the answer
        tap(qtbot, tile)  # a double tap
        qtbot.waitUntil(lambda: len(ticks) >= 20, timeout=3000)  # the GUI thread goes on meanwhile
        qtbot.waitUntil(lambda: "正在取号……" in texts(screen), timeout=2000)
        assert screen.ticket is None and screen.findChild(QLabel, "ticket-number") is None  # still waiting
        kiosk.repaint()  # a paint, too
    assert set(ticks) == {threading.main_thread()}
    assert "B001" in answered(qtbot, screen)  # the lock is free: the ticket is on screen
    with kiosk_hall.cache.reading() as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == 1  # one ticket for the double tap
