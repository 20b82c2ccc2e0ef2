"""Garbage that holds Qt objects is freed on the GUI thread, never in a worker thread that
happens to allocate (the LAN API server, sync, the board link): PySide6 crashes when a widget is
destroyed off the GUI thread."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest
from PySide6.QtCore import QObject

from kiosk.ui.gui_gc import GuiThreadCollector, collect_on_gui_thread


@pytest.fixture
def automatic_gc():
    """A process as it starts, before the hall app pins collection (conftest.py pins it for tests)."""
    gc.collect()
    gc.enable()
    yield
    gc.disable()


class Holder:
    """A Python object that owns a Qt object and is caught in a reference cycle."""

    def __init__(self):
        self.me = self
        self.timer = QObject()


def widget_garbage():
    """An unreachable cycle holding a QObject; returns the threads its wrapper was freed on (a
    weak reference outside the cycle, so its callback runs) and that weak reference."""
    freed_on = []
    holder = Holder()
    watch = weakref.ref(holder.timer, lambda _: freed_on.append(threading.current_thread()))
    return freed_on, watch


def busy_worker():
    """A worker thread that allocates cyclic garbage, as a request handler does."""

    def work():
        for _ in range(20_000):
            cycle = []
            cycle.append(cycle)

    t = threading.Thread(target=work)
    t.start()
    t.join()


def test_without_the_collector_a_worker_frees_the_widget(qapp, automatic_gc):
    freed_on, _watch = widget_garbage()
    busy_worker()
    assert freed_on and freed_on[0] is not threading.main_thread()  # the hazard this guards against


def test_with_the_collector_only_the_gui_thread_frees_it(qtbot, qapp, automatic_gc):
    collector = GuiThreadCollector(qapp, interval_ms=20)
    try:
        assert not gc.isenabled()
        freed_on, _watch = widget_garbage()
        busy_worker()
        assert freed_on == []
        qtbot.waitUntil(lambda: freed_on != [], timeout=5000)  # the timer's collection
        assert freed_on == [threading.main_thread()]
    finally:
        collector.setParent(None)
        collector.deleteLater()


def test_installing_twice_keeps_one_timer(qapp):
    first = collect_on_gui_thread(qapp)
    assert collect_on_gui_thread(qapp) is first
    assert len(qapp.findChildren(GuiThreadCollector)) == 1
