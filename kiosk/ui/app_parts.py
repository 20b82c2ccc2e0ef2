"""What the running hall app owns, in one place: built by kiosk/app.py in order, closed in reverse.

The order of building is the resident's: the kiosk's home is painted first (from the start-up
snapshot), then the Hall and its services start (kiosk/hall.py), then the consoles and the
virtual LED board's window. `close()` undoes it backwards: windows first, so nothing on screen
calls a service that has stopped, then the hall (its workers, the shutdown backup, the cache),
then the run log learns whether the app ended cleanly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.hall import Hall
    from kiosk.runs import RunLog
    from kiosk.ui.counter import CounterSide
    from kiosk.ui.crash_hook import CrashHook
    from kiosk.ui.paused import PausedScreen
    from kiosk.ui.resident.window import KioskWindow

log = logging.getLogger(__name__)


@dataclass
class AppParts:
    crash_hook: CrashHook | None = None
    watchdog: Any = None  # the systemd watchdog's timer (kiosk/ui/service_watch.py)
    runs: RunLog | None = None  # this start in the run log; marked clean or not at close()
    paused: PausedScreen | None = None  # 暂停服务, when shown
    crash: str | None = None  # the first uncaught error ("Type: message"), for the run log
    kiosk: KioskWindow | None = None
    hall: Hall | None = None
    counters: CounterSide | None = None
    board_window: Any = None  # display.simulator_window.BoardWidget, on the embedded default

    def close(self, code: int) -> None:
        """After the event loop has ended with exit `code`."""
        if self.crash_hook is not None:
            self.crash_hook.uninstall()
        if self.counters is not None:
            self.counters.close()
        if self.board_window is not None:
            self.board_window.close()
        if self.hall is not None:
            self.hall.close()
        if self.runs is not None:
            self.runs.ended(clean=code == 0, reason=self.crash or f"exit code {code}")
