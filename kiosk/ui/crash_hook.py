"""An error nobody caught, in a Qt slot or in a worker thread, must not leave the resident facing
a frozen or vanished kiosk: `CrashHook` logs it with its traceback and puts the calm 暂停服务
screen (kiosk/ui/paused.py) over the kiosk, then, after RESTART_AFTER_S, leaves with exit code
75 so the service manager starts the hall again (kiosk/runs.py counts it as a crash: repeated
ones keep the screen up at the next start).

A worker thread's error reaches the GUI thread through a queued signal: the screen is built on
the GUI thread only. Ctrl+C (KeyboardInterrupt) keeps Python's own handling.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import TracebackType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from kiosk.runs import Paused

if TYPE_CHECKING:
    from kiosk.ui.app_parts import AppParts

log = logging.getLogger(__name__)

RESTART_AFTER_S = 60.0  # long enough to read the screen; short enough that the kiosk comes back
EXIT_RESTART = 75  # temporary failure: systemd's Restart=on-failure starts the hall again


class CrashHook(QObject):
    """Installs sys.excepthook and threading.excepthook for the hall app; `uninstall()` undoes it."""

    crashed = Signal(str)  # "Type: message", emitted on the thread that failed, shown on the GUI's

    def __init__(self, app: Any, parts: AppParts, *, offscreen: bool = False,
                 restart_after_s: float = RESTART_AFTER_S):
        super().__init__()
        self.app = app
        self.parts = parts  # the app's: its crash (the reason run_hall records) and paused (the screen)
        self.offscreen = offscreen
        self.restart_after_s = restart_after_s
        self.config: Any = None  # the hall config, once loaded: the hall's name, orientation, fullscreen
        self.kiosk: Any = None  # the kiosk window, hidden behind the screen
        self.screen: Any = None
        self._previous: tuple[Any, Any] | None = None
        self.crashed.connect(self._pause, Qt.ConnectionType.QueuedConnection)

    def install(self) -> CrashHook:
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._on_error
        threading.excepthook = self._on_thread_error
        return self

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None

    def _on_error(self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        log.error("unexpected error, 暂停服务 service paused:\n%s",
                  "".join(traceback.format_exception(kind, exc, tb)).rstrip())
        self.crashed.emit(f"{kind.__name__}: {exc}")

    def _on_thread_error(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:  # a thread that ends itself is not an error (as Python's own hook)
            return
        name = args.thread.name if args.thread is not None else "?"
        log.error("unexpected error in thread %s", name)
        self._on_error(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)

    def _pause(self, reason: str) -> None:
        """On the GUI thread: the 暂停服务 screen over the kiosk, then a restart."""
        if self.parts.crash is None:  # the first error is the one that matters
            self.parts.crash = reason
        if self.screen is not None:
            return
        from kiosk.ui.paused import PausedScreen

        config = self.config
        hall_name = config.hall.name if config is not None else ""
        minutes = max(1, round(self.restart_after_s / 60))
        staff = (f"工作人员 staff: the hall app met an unexpected error and restarts in about {minutes} min. "
                 f"Reason: {reason}\nCheck with: yizhan doctor · journalctl -u yizhan-hall")
        screen = self.screen = self.parts.paused = PausedScreen(
            Paused(1, reason, self.restart_after_s), hall_name, staff_text=staff)
        landscape = config is None or config.kiosk.orientation == "landscape"
        screen.resize(1920 if landscape else 1080, 1080 if landscape else 1920)
        if config is not None and config.kiosk.fullscreen and not self.offscreen:
            screen.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
            screen.showFullScreen()
        else:
            screen.show()
        if self.kiosk is not None:
            self.kiosk.hide()
        screen.raise_()
        QTimer.singleShot(int(self.restart_after_s * 1000), lambda: self.app.exit(EXIT_RESTART))
