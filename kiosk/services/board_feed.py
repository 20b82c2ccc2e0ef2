"""Keeps the LED board showing the queue: recompute the board on every queue event and hand
the newest content to the link, which sends only what changed.

Qt-free: the queue publishes on the hall's EventBus, this listens, `display` does the rest.
Besides events, the board changes by time alone (the clock's minute, a fresh call's flash
ending), so a small timer thread refreshes at `display.board.next_refresh`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from display.board import BoardContent, QueueView, compose, compose_strip, next_refresh
from display.config import BoardConfig
from kiosk.services.catalog import valid_notices
from kiosk.services.events import ContentEvent, Event, TicketEvent, WindowEvent

if TYPE_CHECKING:
    from kiosk.hall import Hall

log = logging.getLogger(__name__)


class Board(Protocol):
    def update(self, content: BoardContent) -> None: ...


def strip_name(window: int) -> str:
    from display.link import strip_name as name

    return name(window)


def notice_texts(cache: Any, today: date) -> list[str]:
    """Titles of the notices (公示) valid today, newest first: what the board scrolls.

    Read without the write lock: a board refresh never makes a counter action wait."""
    with cache.reading() as session:
        return [f"【公示】{n.title}" for n in valid_notices(session, today)]


class BoardFeed:
    def __init__(
        self,
        board: Board,
        config: BoardConfig,
        queue_view: Callable[[], QueueView],
        notices: Callable[[datetime], Sequence[str]],
        now: Callable[[], datetime],
    ):
        self.board = board
        self.config = config
        self.queue_view = queue_view
        self.notices = notices
        self.now = now
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="board-feed", daemon=True)
        self.last: BoardContent | None = None
        # The window strips (窗口屏) on the same bus: window -> its board config, last content.
        self.strips = {s.window: config.strip_board(s) for s in config.strips}
        self.last_strips: dict[int, BoardContent] = {}

    @classmethod
    def for_hall(cls, hall: Hall, board: Board) -> BoardFeed:
        """Wire to a Hall: its queue's board view, its notices, its local clock and events."""
        feed = cls(
            board,
            hall.config.board,
            hall.queue.board_view,
            lambda now: notice_texts(hall.cache, now.date()),
            lambda: datetime.now(hall.tz),
        )
        for kind in (TicketEvent, WindowEvent, ContentEvent):  # after these the board may look different
            hall.events.subscribe(kind, feed.poke)
        return feed

    def start(self) -> BoardFeed:
        self._thread.start()
        return self

    def poke(self, _event: Event | None = None) -> None:
        """Something changed: refresh soon (on the feed's thread, never the caller's)."""
        self._wake.set()

    def refresh(self) -> datetime | None:
        """Compute the board now and send it; returns when it next changes by time alone."""
        now = self.now()
        view = self.queue_view()
        content = compose(view, self.notices(now), now, self.config)
        if content != self.last:
            self.board.update(content)
            self.last = content
        for window, strip_config in self.strips.items():  # after the main board: it matters most
            strip = compose_strip(view, window, now, strip_config)
            if strip != self.last_strips.get(window):
                self.board.update_board(strip_name(window), strip)  # type: ignore[attr-defined]
                self.last_strips[window] = strip
        return next_refresh(view, now, self.config)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(3)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                due = self.refresh()
            except Exception:  # the board must keep going whatever one refresh hit
                log.exception("board refresh failed")
                due = None
            wait = 60.0 if due is None else max(0.05, (due - self.now()).total_seconds())
            self._wake.wait(wait)
            self._wake.clear()


class HallBoard:
    """The running board of a hall: link, feed and, on the embedded default, the virtual board."""

    def __init__(self, hall: Hall):
        from display.link import BoardLink

        config = hall.config.board
        self.virtual = None
        self._transport = None
        url = config.port
        if not url:
            # Embedded default: a virtual controller on loopback that decodes the real protocol.
            from display.simulator import serve_virtual_board

            self.virtual, self._transport = serve_virtual_board(config)
            url = self._transport.url
        self.link = BoardLink(config, url=url).start()
        self.feed = BoardFeed.for_hall(hall, self.link).start()

    def status(self) -> Any:
        return self.link.status()

    def boards(self) -> Any:
        """Every board on the line (main board, then the window strips), as last acknowledged."""
        return self.link.boards()

    def close(self) -> None:
        self.feed.stop()
        self.link.close()
        if self._transport is not None:
            self._transport.close()


def board_state_text(link_status: Any, boards: list[Any]) -> tuple[str, bool]:
    """The console's LED屏 line: each board as it last acknowledged (ok = nothing to worry about).

    正常: it acknowledged the newest content; 发送中: an update is on its way; 未确认: it has
    never answered (a board that is not there, a broadcast address); 无应答: it answered once
    and has stopped; 断开: the line is down.
    """
    import time as _time

    if not link_status.connected:
        return "LED屏：断开" + (f"（{link_status.last_error}）" if link_status.last_error else ""), False
    parts, ok = [], True
    for i, b in enumerate(boards):
        when = f" {_time.strftime('%H:%M', _time.localtime(b.last_ack_at))}" if b.last_ack_at else ""
        if b.last_ack_at is None:
            state, good = "未确认", False
        elif b.failing:
            state, good = f"无应答（上次确认{when}）", False
        elif b.in_sync:
            state, good = "正常", True
        else:
            state, good = "发送中", True
        ok = ok and good
        if i == 0 or state != "正常":  # the main board always; a strip only when not 正常
            parts.append(state if len(boards) == 1 else f"{b.label} {state}")
    if len(boards) > 1 and len(parts) == 1:
        parts.append(f"{len(boards) - 1} 块窗口屏 正常")
    return "LED屏：" + "，".join(parts), ok
