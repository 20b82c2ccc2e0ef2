"""The serial link to the LED board: its own thread, pyserial by URL, ack/retry/reconnect.

`BoardLink(config).start()`; then `update(content)` from any thread whenever the board
content changes (non-blocking: it only stores the newest state and wakes the link thread).

What the link thread does:

- opens `config.port` with `serial.serial_for_url` (a device such as ``/dev/ttyUSB0`` or
  ``COM3``, ``socket://host:port``, ``rfc2217://host:port``, ``loop://``) with the
  configured baud rate, byte size, parity, stop bits and RS-485 direction control;
- after every (re)open sends the protocol's memory setup and then the whole current state;
- otherwise sends only what differs from the state the board last acknowledged
  (`BoardProtocol.encode_update`); a burst of updates coalesces because only the newest
  state is kept — the board ends on the latest content and the bytes sent stay bounded;
- waits for the controller's answer (BX ACK/NACK per frame; Alpha read-back after each
  batch, see `display.protocols.alpha`) with timeout = ack_timeout_s + line time of what was
  sent, retries `config.retries` times, then treats the line as dead: closes the port and
  reopens it with exponential backoff (up to `reconnect_max_s`), which again resends the
  memory setup and the full state;
- after a failed batch the board may show the old state, the new one or a mix; the next
  update therefore covers every area that differs from any of them.

`status()` is a snapshot for the counter console: connected, last ack time, error counts
and the last error, bytes and frames sent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import serial
import serial.rs485

from display.protocols import Ack, BoardProtocol, ProtocolError, get_protocol

if TYPE_CHECKING:
    from display.board import AreaContent
    from display.config import BoardConfig

log = logging.getLogger(__name__)


class LinkDown(Exception):
    """The line stopped answering: reopen the port."""


@dataclass
class LinkStatus:
    """What the counter console shows about the board link."""

    connected: bool = False
    url: str = ""
    protocol: str = ""
    last_ack_at: float | None = None  # time.time() of the last ACK
    last_error: str = ""
    errors: int = 0
    naks: int = 0
    timeouts: int = 0
    reconnects: int = 0
    bytes_sent: int = 0
    frames_sent: int = 0
    in_sync: bool = False  # the board acknowledged the newest content

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class BoardLink:
    """Keeps the board showing the newest content over an unreliable serial line."""

    def __init__(
        self,
        config: BoardConfig,
        url: str | None = None,
        protocol: BoardProtocol | None = None,
        *,
        reconnect_min_s: float = 0.05,
        reconnect_max_s: float = 1.0,
        on_written: Callable[[bytes, float], None] | None = None,
    ) -> None:
        self.config = config
        self.url = url if url is not None else config.port
        if not self.url:
            raise ValueError("board link needs a port: a device name or a pyserial URL (socket://host:port)")
        self.protocol = protocol or get_protocol(config.protocol, config)
        self.reconnect_min_s = reconnect_min_s
        self.reconnect_max_s = reconnect_max_s
        self.on_written = on_written  # called with (frame, time.monotonic()) after each write
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._desired: dict[str, AreaContent] | None = None
        self._version = 0
        self._shown_version = -1
        self._status = LinkStatus(url=self.url, protocol=self.protocol.name)
        self._port: serial.SerialBase | None = None
        self._decoder = self.protocol.decoder()
        self._thread = threading.Thread(target=self._run, name="board-link", daemon=True)

    # -- public API (any thread) ---------------------------------------------------------
    def start(self) -> BoardLink:
        self._thread.start()
        return self

    def update(self, content: Mapping[str, AreaContent]) -> None:
        """Show `content` (every area). Returns at once; the newest content wins."""
        with self._lock:
            self._desired = dict(content)
            self._version += 1
            self._status.in_sync = False
        self._wake.set()

    def status(self) -> LinkStatus:
        with self._lock:
            return LinkStatus(**asdict(self._status))

    def wait_in_sync(self, timeout: float) -> bool:
        """Block until the board acknowledged the newest content (for tests and tools)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._status.in_sync:
                    return True
            time.sleep(0.005)
        return False

    def close(self, timeout: float = 3.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._close_port()

    # -- the link thread -----------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._loop()
            except Exception as exc:  # never let the board thread die: log, reopen, go on
                log.exception("board link: unexpected error")
                self._drop(f"unexpected error: {exc!r}")
                self._stop.wait(self.reconnect_max_s)

    def _loop(self) -> None:
        backoff = self.reconnect_min_s
        possible: list[Mapping[str, AreaContent]] | None = None  # None: board state unknown
        while not self._stop.is_set():
            if self._port is None:
                try:
                    self._open()
                except (serial.SerialException, OSError, ValueError) as exc:
                    self._error(f"cannot open {self.url}: {exc}")
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, self.reconnect_max_s)
                    continue
                backoff = self.reconnect_min_s
                try:
                    self._transact(self.protocol.memory_setup())
                except (LinkDown, serial.SerialException, OSError) as exc:
                    self._drop(f"memory setup failed: {exc}")
                    continue
                possible = None
            with self._lock:
                desired, version = self._desired, self._version
            try:
                if desired is None or version == self._shown_version:
                    self._idle()
                    continue
                frames = self.protocol.encode_update(desired, possible)
                self._transact(frames)  # LinkDown after the retries: reopen, full refresh
                possible = [desired]
                with self._lock:
                    self._shown_version = version
                    self._status.in_sync = version == self._version
            except (LinkDown, serial.SerialException, OSError) as exc:
                self._drop(str(exc))

    def _open(self) -> None:
        cfg = self.config
        port = serial.serial_for_url(self.url, do_not_open=True)
        port.baudrate = cfg.baudrate
        port.bytesize = cfg.bytesize
        port.parity = cfg.parity
        port.stopbits = cfg.stopbits
        port.timeout = 0
        if cfg.rs485:
            try:
                port.rs485_mode = serial.rs485.RS485Settings()
            except (AttributeError, ValueError, serial.SerialException) as exc:
                log.warning("RS-485 direction control not available on %s: %s", self.url, exc)
        port.open()
        self._port = port
        self._decoder.reset()
        with self._lock:
            self._status.connected = True
            self._status.in_sync = False
            self._shown_version = -1
        log.info("board link open: %s (%s)", self.url, self.protocol.name)

    def _close_port(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except (serial.SerialException, OSError):
                pass

    def _drop(self, reason: str) -> None:
        """The line failed: close it; the loop reopens it and resends everything."""
        self._error(reason)
        self._close_port()
        with self._lock:
            self._status.connected = False
            self._status.reconnects += 1
            self._status.in_sync = False
            self._shown_version = -1

    def _error(self, message: str) -> None:
        log.info("board link: %s", message)
        with self._lock:
            self._status.errors += 1
            self._status.last_error = message

    def _idle(self) -> None:
        """Nothing to send: notice a dead line (socket closed, pty gone) and wait for work."""
        self._read_available()
        self._wake.wait(0.05)
        self._wake.clear()

    def _read_available(self) -> list:
        port = self._port
        if port is None:
            raise LinkDown("port closed")
        port.timeout = 0
        data = port.read(max(1, port.in_waiting))
        return self._decoder.feed(data) if data else []

    def _write(self, frame: bytes) -> None:
        port = self._port
        if port is None:
            raise LinkDown("port closed")
        needed = self._line_time(len(frame)) + 2.0  # a stalled adapter must not hang us forever
        if port.write_timeout is None or port.write_timeout < needed:
            port.write_timeout = needed
        port.write(frame)
        port.flush()
        now = time.monotonic()
        with self._lock:
            self._status.bytes_sent += len(frame)
            self._status.frames_sent += 1
        if self.on_written is not None:
            self.on_written(frame, now)

    def _line_time(self, nbytes: int) -> float:
        bits = 1 + self.config.bytesize + (0 if self.config.parity == "N" else 1) + self.config.stopbits
        return nbytes * bits / self.config.baudrate

    def _wait_ack(self, sent_bytes: int) -> Ack | None:
        deadline = time.monotonic() + self.config.ack_timeout_s + self._line_time(sent_bytes)
        port = self._port
        while port is not None and time.monotonic() < deadline and not self._stop.is_set():
            port.timeout = min(0.05, max(0.0, deadline - time.monotonic()))
            first = port.read(1)
            if not first:
                continue
            data = first + port.read(port.in_waiting) if port.in_waiting else first
            for item in self._decoder.feed(data):
                if isinstance(item, ProtocolError):
                    log.debug("board link: garbage from the board: %s", item)
                    continue
                ack = self.protocol.parse_ack(item)
                if ack is not None:
                    return ack
        return None

    def _transact(self, frames: list[bytes]) -> None:
        """Send `frames` until the controller confirms them; LinkDown after the retries."""
        if not frames:
            return
        last = ""
        for attempt in range(self.config.retries + 1):
            if attempt:
                self._stop.wait(min(0.05 * attempt, 0.5))
                if self._stop.is_set():
                    raise LinkDown("closing")
            self._read_available()  # drop stale answers before a new attempt
            ack: Ack | None = Ack(True)
            if self.protocol.ack_per_frame:
                for frame in frames:
                    self._write(frame)
                    ack = self._wait_ack(len(frame)) if self.protocol.expects_ack else Ack(True)
                    if ack is None or not ack.ok:
                        break
            else:
                for frame in frames:
                    self._write(frame)
                query = self.protocol.ack_query() if self.protocol.expects_ack else None
                if query is not None:
                    self._write(query)
                    ack = self._wait_ack(sum(map(len, frames)) + len(query))
            if ack is not None and ack.ok:
                with self._lock:
                    self._status.last_ack_at = time.time()
                return
            with self._lock:
                if ack is None:
                    self._status.timeouts += 1
                    last = "no answer from the board"
                else:
                    self._status.naks += 1
                    last = f"board refused: {ack.detail}"
                self._status.last_error = last
            log.info("board link: attempt %d: %s", attempt + 1, last)
        raise LinkDown(f"{last} after {self.config.retries + 1} attempts")
