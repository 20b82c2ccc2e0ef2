"""A TCP relay in front of the hall LAN API for outage tests, one request per connection.

Modes (set `proxy.mode` at any time; each new request follows the mode of the moment):
- "pass": forward the request, return the answer.
- "silent": read the request and never answer or forward it (a hung hall, a dead link).
- "lose_answer": forward it, so the hall acts, then drop the connection without the answer.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter

from tests.sync.faultproxy import Relay, read_request  # the sync fault proxy's relay and request reading


class LanProxy(Relay):
    def __init__(self, upstream_port: int):
        self.mode = "pass"
        self.seen: Counter[str] = Counter()  # mode -> requests handled in it
        self.paths: list[tuple[str, str]] = []  # (mode, request line)
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        super().__init__(upstream_port)

    def close(self) -> None:
        super().close()
        with self._lock:
            for conn in self._held:
                conn.close()
            self._held.clear()

    def requests_in(self, mode: str, part: str = "") -> int:
        with self._lock:
            return sum(1 for m, line in self.paths if m == mode and part in line)

    def _handle(self, conn: socket.socket) -> None:
        try:
            request = read_request(conn)
            mode = self.mode
            if request is None:
                conn.close()
                return
            with self._lock:
                self.seen[mode] += 1
                self.paths.append((mode, request.split(b"\r\n", 1)[0].decode("latin-1")))
                if mode == "silent":
                    self._held.append(conn)  # kept open, never answered, closed with the proxy
                    return
            answer = self._forward(request)
            if mode != "lose_answer":
                conn.sendall(answer)
            conn.close()
        except OSError:
            conn.close()
