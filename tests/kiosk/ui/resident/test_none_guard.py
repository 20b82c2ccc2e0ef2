"""PySide6 6.12.0 on Python 3.11 loses a reference to None per void call; the kiosk must survive."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject

import kiosk.ui.resident  # noqa: F401 - importing the kiosk applies the guard


def test_many_void_qt_calls_do_not_exhaust_none():
    obj = QObject()
    for i in range(50_000):  # more than None's natural refcount (~5,000 at start)
        obj.setObjectName(f"n{i % 7}")
    assert sys.getrefcount(None) > 100_000
