"""An error nobody caught, in a Qt slot or a worker thread, is logged and puts the calm 暂停服务
screen over the kiosk (then the app leaves to be restarted), instead of the kiosk vanishing."""

from __future__ import annotations

import logging
import threading

import pytest
from PySide6.QtWidgets import QLabel, QPushButton

from kiosk.config import HallConfig
from kiosk.ui.app_parts import AppParts
from kiosk.ui.crash_hook import EXIT_RESTART, CrashHook


class AppExit:
    """Stands in for QApplication.exit only: the test's own application must keep running."""

    def __init__(self) -> None:
        self.codes: list[int] = []

    def exit(self, code: int) -> None:
        self.codes.append(code)


@pytest.fixture
def hooked(qapp):
    app, parts = AppExit(), AppParts()
    hook = CrashHook(app, parts, offscreen=True, restart_after_s=0.2).install()
    config = HallConfig()
    config.hall.name = "幸福社区工作站"
    hook.config = config
    kiosk = QPushButton("取号")  # the kiosk window the screen covers
    kiosk.show()
    hook.kiosk = kiosk
    yield hook, app, parts, kiosk
    hook.uninstall()
    kiosk.close()
    if hook.screen is not None:
        hook.screen.close()


def texts(screen) -> dict[str, str]:
    return {label.objectName(): label.text() for label in screen.findChildren(QLabel)}


@pytest.mark.qt_no_exception_capture  # the hall's hook, not pytest-qt's, must see the error
def test_an_error_in_a_slot_shows_the_paused_screen_and_restarts(qtbot, hooked, caplog):
    hook, app, parts, kiosk = hooked

    def broken_slot() -> None:
        raise RuntimeError("printer driver returned nonsense")

    kiosk.clicked.connect(broken_slot)
    with caplog.at_level(logging.ERROR, logger="kiosk.ui.crash_hook"):
        kiosk.click()
        qtbot.waitUntil(lambda: hook.screen is not None and hook.screen.isVisible())
    shown = texts(hook.screen)
    assert shown["title"] == "暂停服务" and "幸福社区工作站" in shown["advice"]
    assert "RuntimeError: printer driver returned nonsense" in shown["staff"]
    assert not kiosk.isVisible()
    assert "broken_slot" in caplog.text and "Traceback" in caplog.text  # logged with where it happened
    assert parts.crash == "RuntimeError: printer driver returned nonsense"  # run_hall records it as a crash
    qtbot.waitUntil(lambda: app.codes == [EXIT_RESTART])


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_worker_thread_shows_the_paused_screen_on_the_gui_thread(qtbot, hooked, caplog):
    hook, app, parts, _kiosk = hooked
    built_on = []
    hook.crashed.connect(lambda _reason: built_on.append(threading.current_thread()))

    def worker() -> None:
        raise OSError(28, "No space left on device")

    with caplog.at_level(logging.ERROR, logger="kiosk.ui.crash_hook"):
        thread = threading.Thread(target=worker, name="board-link")
        thread.start()
        thread.join()
        qtbot.waitUntil(lambda: hook.screen is not None and hook.screen.isVisible())
    assert "No space left on device" in texts(hook.screen)["staff"]
    assert "board-link" in caplog.text
    assert built_on == [threading.main_thread()]  # the screen was built on the GUI thread
    qtbot.waitUntil(lambda: app.codes == [EXIT_RESTART])


def test_uninstall_gives_back_the_previous_hooks(qapp):
    import sys

    before = (sys.excepthook, threading.excepthook)
    hook = CrashHook(AppExit(), {}).install()
    assert sys.excepthook != before[0] and threading.excepthook != before[1]
    hook.uninstall()
    assert (sys.excepthook, threading.excepthook) == before
