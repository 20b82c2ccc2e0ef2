"""A fault-injecting HTTP proxy for the sync tests: drops, resets mid-body, delays, 500/503
replies, truncated and garbled bodies — chosen at random per request, reproducibly."""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from collections import Counter

FAULTS = ["pass", "drop", "reset_request", "delay", "503_before", "500_after", "truncate", "reset_response",
          "garble"]


def read_request(conn: socket.socket) -> bytes | None:
    """One HTTP request from `conn`, rewritten to close the connection after its answer."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body


class Relay:
    """A listening socket on loopback in front of `upstream_port`: each connection goes to
    `_handle` on a thread of its own. Subclasses set their own state before calling __init__,
    which starts accepting at once."""

    def __init__(self, upstream_port: int):
        self.upstream = ("127.0.0.1", upstream_port)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closed = True
        try:  # wakes the accepting thread: on Linux, close() alone leaves it blocked for good
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def _forward(self, request: bytes) -> bytes:
        """The upstream's whole answer to `request` (read_request made it close the connection)."""
        with socket.create_connection(self.upstream, timeout=30) as up:
            up.sendall(request)
            chunks = []
            while chunk := up.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


def _reset(conn: socket.socket) -> None:
    # SO_LINGER 0: close() sends RST instead of FIN, like a connection torn down mid-transfer.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


class FaultProxy(Relay):
    def __init__(self, upstream_port: int, *, fault_rate: float = 0.5, seed: int = 1, max_delay_s: float = 1.5):
        self.fault_rate = fault_rate
        self.max_delay_s = max_delay_s
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        super().__init__(upstream_port)

    def _choose(self) -> tuple[str, float]:
        with self.lock:
            fault = self.rng.choice(FAULTS[1:]) if self.rng.random() < self.fault_rate else "pass"
            self.counts[fault] += 1
            return fault, self.rng.random()

    def _handle(self, conn: socket.socket) -> None:
        try:
            fault, r = self._choose()
            if fault == "reset_request":
                conn.recv(int(50 + r * 200))  # part of the request arrived, then the line died
                _reset(conn)
                return
            request = read_request(conn)
            if request is None:
                conn.close()
                return
            if fault == "drop":
                conn.close()
                return
            if fault == "503_before":
                conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 11\r\nConnection: close\r\n\r\n"
                             b"maintenance")
                conn.close()
                return
            if fault == "delay":
                time.sleep(r * self.max_delay_s)
            response = self._forward(request)
            if fault == "500_after":  # the office did the work, the hall never hears of it
                conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            elif fault == "truncate":
                conn.sendall(response[: max(1, int(len(response) * r * 0.9))])
            elif fault == "reset_response":
                conn.sendall(response[: max(1, int(len(response) * r * 0.9))])
                _reset(conn)
                return
            elif fault == "garble":
                head, sep, body = response.partition(b"\r\n\r\n")
                noise = bytes(self.rng.randrange(256) for _ in range(min(len(body), 16)))
                cut = int(len(body) * r)
                conn.sendall(head + sep + body[:cut] + noise[: len(body) - cut] + body[cut + len(noise):])
            else:
                conn.sendall(response)
            conn.close()
        except OSError:
            try:
                conn.close()
            except OSError:
                pass
