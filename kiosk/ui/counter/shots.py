"""Screenshots of the counter console: window 3 mid-morning, a ticket at the counter, a queue,
a skipped and a held ticket, and the printer out of paper; and the same console on a clerk's PC
when the hall PC stopped answering just as the clerk pressed F1 (counter-offline).

Works on a copy of the hall's cache in a temporary folder: screenshots never change the hall.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

from kiosk.ui.screenshots import ShotContext, settle, settle_until, shot

if TYPE_CHECKING:
    from kiosk.hall import Hall

SIZE = (1440, 860)


class _Clock:
    def __init__(self, start: datetime):
        self.t = start

    def __call__(self) -> datetime:
        return self.t


class _OutOfPaper:
    """Stands in for the kiosk printer's last status in the picture."""

    def status(self) -> Any:
        from kiosk.services.printer import MESSAGES, PrinterStatus

        return PrinterStatus("paper_out", MESSAGES["paper_out"], datetime.now(UTC))

    def reprint(self, queue: Any, label: str) -> Any:  # pragma: no cover - not pressed in the shot
        raise RuntimeError("demo printer")


def demo_console(hall: Hall, window: int = 3) -> QWidget:
    """A console on a throw-away copy of the hall cache with a realistic morning queue."""
    from kiosk.lan.client import LocalCounterClient
    from kiosk.services.auth import AuthService
    from kiosk.services.events import EventBus
    from kiosk.services.queue import QueueService
    from kiosk.ui.counter.console import CounterConsole
    from sync.cache.db import backup_database, open_cache

    folder = Path(tempfile.mkdtemp(prefix="yizhan-counter-shots-"))
    target = folder / "hall.sqlite3"
    backup_database(hall.cache.path, target)
    cache = open_cache(target)
    today = datetime.now(hall.tz).date()
    clock = _Clock(datetime(today.year, today.month, today.day, 9, 5, tzinfo=hall.tz).astimezone(UTC))
    q = QueueService(cache, EventBus(), tz=hall.tz, config=hall.config, clock=clock)
    codes = {w.number: w.business_codes for w in q.windows()}[window]
    others = [b.code for b in q.businesses() if b.code not in codes]

    def step(minutes: float) -> None:
        clock.t += timedelta(minutes=minutes)

    for i in range(14):
        q.issue_ticket(codes[i % len(codes)], priority=(i == 9))
        if others:
            q.issue_ticket(others[i % len(others)])
        step(2)
    for minutes in (6, 7, 4):
        q.call_next(window)
        step(minutes)
    q.call_next(window)
    q.skip(window)  # did not come
    q.call_next(window)
    q.hold(window)  # went to copy a document
    step(3)
    q.call_next(window)
    step(1)
    q.recall(window)
    auth = AuthService(cache)
    if "王芳" not in auth.staff_names():
        auth.add_staff("王芳", "clerk", "2468")
    client = LocalCounterClient(q, auth, _OutOfPaper(), hall)
    console = CounterConsole(client, window, tz=hall.tz, poll=False, now=clock)
    console.resize(*SIZE)
    console.login("王芳", "2468")
    settle_until(lambda: console.calls.idle)  # the answers come through the task runner
    console.say("已重呼 " + (q.window_state(window).current.label if q.window_state(window).current else ""))
    return console


@shot("counter")
def counter_console(ctx: ShotContext) -> QWidget:
    console = demo_console(ctx.hall)
    console.show()
    settle(100)
    ctx.windows.setdefault("counter-demo", console)
    return console


class _Unplugged:
    """The hall PC as a remote console sees it with the cable pulled: nothing answers; the
    call-next just sent went out and its answer never came back."""

    description = "http://192.168.1.10:8731"

    def __getattr__(self, name: str) -> Any:
        from kiosk.lan.client import ActionUnconfirmed, HallUnreachable

        def unreachable(*_a: Any, **_k: Any) -> Any:
            if name == "call_next":
                raise ActionUnconfirmed(f"连接不上大厅主机 {self.description}", "demo", lambda d: d)
            raise HallUnreachable(f"连接不上大厅主机 {self.description}")

        return unreachable


@shot("counter-offline")
def counter_offline(ctx: ShotContext) -> QWidget:
    console = demo_console(ctx.hall)
    console.client = _Unplugged()
    console.call_next()  # F1 as the link dies
    console.refresh()  # and the polls after it
    settle_until(lambda: console.calls.idle)
    console.show()
    settle(100)
    return console
