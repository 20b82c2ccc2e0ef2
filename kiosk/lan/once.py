"""Counter actions over the LAN happen at most once per request id, and a console can find out
afterwards whether an action whose answer it never got was done.

A console sends each action with its own id (`X-Request-Id`). The hall remembers the answer per
(session, id): a retry of the same id gets the first answer again instead of acting twice (two
"call next" would skip a resident). `settle` answers "was it done?" for an id: the stored answer
if it was; if the hall never saw it, the id is marked abandoned so the original request, should
it still arrive late, is refused — after `settle` the console's answer is final either way.

Kept in memory: a hall restart also forgets the PIN sessions, so the console logs in again and
is told it cannot know (see kiosk/ui/counter/console.py). Plain Python, no FastAPI.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ABANDONED = "此操作因网络中断已作废，未执行"
Answer = tuple[int, Any]  # HTTP status, JSON body


class StillRunning(Exception):
    """The first attempt with this id has not finished yet: ask again shortly."""


@dataclass
class _Entry:
    done: threading.Event = field(default_factory=threading.Event)
    answer: Answer | None = None  # None and done set: abandoned


class RequestLog:
    def __init__(self, keep: int = 5000, wait_s: float = 30.0):
        self.keep = keep  # answers remembered (a busy hall makes a few thousand actions a day)
        self.wait_s = wait_s  # a retry waits this long for the first attempt still running
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()

    def _claim(self, key: tuple[str, str]) -> tuple[_Entry, bool]:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                return entry, False
            entry = self._entries[key] = _Entry()
            while len(self._entries) > self.keep:
                self._entries.popitem(last=False)
            return entry, True

    def run(self, session: str, request_id: str, action: Callable[[], Answer]) -> Answer:
        """`action()` once per (session, id); later calls with the same id get its answer."""
        entry, mine = self._claim((session, request_id))
        if mine:
            try:
                entry.answer = action()
            except BaseException:
                entry.answer = (500, {"error": "大厅主机处理该操作时出错"})
                raise
            finally:
                entry.done.set()
            return entry.answer
        if not entry.done.wait(self.wait_s):
            raise StillRunning(request_id)
        return entry.answer if entry.answer is not None else (409, {"error": ABANDONED})

    def settle(self, session: str, request_id: str) -> Answer | None:
        """The answer of a finished request, or None after marking an unseen one abandoned."""
        entry, mine = self._claim((session, request_id))
        if mine:
            entry.done.set()  # abandoned: the original, if it comes now, is refused
            return None
        if not entry.done.wait(self.wait_s):
            raise StillRunning(request_id)
        return entry.answer
