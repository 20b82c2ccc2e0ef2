"""PySide6 6.12.0 drops a reference to None on every void Qt call; on Python 3.11 a kiosk that
types search queries for a while then aborts ("deallocating None"). pyproject pins PySide6
below 6.12; this test fails if an upgrade brings the leak back."""

import sys

from PySide6.QtCore import QObject


def test_void_qt_calls_keep_none_alive():
    obj = QObject()
    before = sys.getrefcount(None)
    for i in range(20_000):
        obj.setObjectName(f"n{i % 7}")
    assert sys.getrefcount(None) >= before - 100
