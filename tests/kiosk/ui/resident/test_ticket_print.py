"""The paper ticket prints off the GUI thread (kiosk/ui/tasks.py): the screen says 正在打印 at
once and the printer's own answer as soon as it comes back."""

from __future__ import annotations

import threading

from kiosk.services.printer import TicketPrinter


class SlowPrinter(TicketPrinter):
    """The real ticket printer (ESC/POS bytes kept in memory) that waits for the test to let it
    print, as a real one takes its time."""

    def __init__(self, config, release: threading.Event):
        super().__init__(config)
        self.release = release
        self.thread = None

    def print_ticket(self, ticket, *a, **kw):
        self.thread = threading.current_thread()
        assert self.release.wait(10)
        return super().print_ticket(ticket, *a, **kw)


def test_the_ticket_prints_off_the_gui_thread_and_the_screen_follows(qtbot, kiosk_hall, make_kiosk):
    kiosk_hall.config.printer.connection = "dummy"
    release = threading.Event()
    kiosk_hall.printer = printer = SlowPrinter(kiosk_hall.config, release)
    kiosk = make_kiosk()
    kiosk.go("ticket", business="civil")
    screen = kiosk.screens["ticket"]
    qtbot.waitUntil(lambda: screen.ticket is not None)
    assert screen.ticket.label == "B001"  # on screen before it prints
    assert screen.print_label.text() == "正在打印号票……"
    release.set()
    qtbot.waitUntil(lambda: screen.print_label.text() == "请取走您的号票")
    assert printer.thread is not threading.main_thread() and b"B001" in printer.last_bytes
