"""A tiny publish/subscribe bus: the queue announces calls once, the board, the voice and the
screens each listen. Handlers run on the publishing thread; Qt code hops to the UI thread
itself (see kiosk/ui), so this module stays Qt-free."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._lock = threading.Lock()

    def subscribe(self, topic: str, handler: Handler) -> None:
        """Listen to one topic, or to every topic with "*"."""
        with self._lock:
            self._handlers[topic].append(handler)

    def unsubscribe(self, topic: str, handler: Handler) -> None:
        with self._lock:
            if handler in self._handlers.get(topic, []):
                self._handlers[topic].remove(handler)

    def publish(self, topic: str, **data: Any) -> None:
        with self._lock:
            handlers = [*self._handlers.get(topic, []), *self._handlers.get("*", [])]
        for handler in handlers:
            try:
                handler(topic, data)
            except Exception:  # one broken listener must not stop the call reaching the others
                log.exception("event handler %r failed on %s", handler, topic)
