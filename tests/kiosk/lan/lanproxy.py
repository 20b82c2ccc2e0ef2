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

from tests.sync.faultproxy import read_request  # the same request reading as the sync fault proxy


class LanProxy:
    def __init__(self, upstream_port: int):
        self.upstream = ("127.0.0.1", upstream_port)
        self.mode = "pass"
        self.seen: Counter[str] = Counter()  # mode -> requests handled in it
        self.paths: list[tuple[str, str]] = []  # (mode, request line)
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closed = True
        self.sock.close()
        with self._lock:
            for conn in self._held:
                conn.close()
            self._held.clear()

    def requests_in(self, mode: str, part: str = "") -> int:
        with self._lock:
            return sum(1 for m, line in self.paths if m == mode and part in line)

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

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
            with socket.create_connection(self.upstream, timeout=30) as up:
                up.sendall(request)
                chunks = []
                while chunk := up.recv(65536):
                    chunks.append(chunk)
            if mode != "lose_answer":
                conn.sendall(b"".join(chunks))
            conn.close()
        except OSError:
            conn.close()
