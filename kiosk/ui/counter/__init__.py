"""The counter side of the hall app: one counter console per window in this process. The queue,
the printer, the voice call and the LAN API for consoles on other PCs are the Hall's
(kiosk/hall.py); the consoles only reach them through `hall.counter`. See console.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.hall import Hall
    from kiosk.ui.counter.console import CounterConsole


class CounterSide:
    """Built by kiosk/app.py after `hall.start()`; `close()` on exit, before the hall's."""

    def __init__(self, hall: Hall, *, windows: list[int] | None = None):
        """`windows`: the window numbers that get a console here (None: every window)."""
        from kiosk.ui.counter.console import CounterConsole

        if hall.counter is None:
            raise RuntimeError("the hall's services are not started: call hall.start() first")
        self.hall = hall
        self.consoles: dict[str, CounterConsole] = {}
        for w in hall.queue.windows():
            if windows is not None and w.number not in windows:
                continue
            console = CounterConsole(hall.counter, w.number, tz=hall.tz)
            console.resize(1280, 800)
            self.consoles[f"counter-{w.number}"] = console

    def show(self) -> None:
        for console in self.consoles.values():
            console.show()

    def close(self) -> None:
        for console in self.consoles.values():
            console.timer.stop()
            console.close()
