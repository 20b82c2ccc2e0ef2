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

One bus, several boards: the window strips (`BoardConfig.strips`, 窗口屏) hang on the same
RS-485 line, each with its own address. The link owns the line and serialises it: one
board's frames and answer at a time, the main board first, then the strips, each with its own
state (`update_board(name, content)`, `boards()`). A strip that stops answering is marked and
retried later; it never takes the line down for the main board. `last_ack_at` is set only by a
real answer, so a board that never answers is "unconfirmed", never "ok".
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

from display.errors import DisplayError
from display.protocols import Ack, BoardProtocol, ProtocolError, get_protocol

if TYPE_CHECKING:
    from display.board import AreaContent
    from display.config import BoardConfig

log = logging.getLogger(__name__)


class LinkDown(DisplayError):
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


MAIN = "main"


def strip_name(window: int) -> str:
    """The link's name for the strip over window `window`."""
    return f"window-{window}"


@dataclass
class BoardState:
    """One board on the bus, as the console shows it: what it last acknowledged."""

    name: str
    label: str  # 主屏, 3号窗口屏
    address: int
    last_ack_at: float | None = None  # time.time() of its last real answer
    in_sync: bool = False  # it acknowledged the newest content
    failing: bool = False  # its last exchange got no answer or a refusal
    last_error: str = ""
    shown_text: str = ""  # the text of the content it last acknowledged


@dataclass
class _Target:
    """A board on the bus: protocol (with its address), the content wanted and shown."""

    state: BoardState
    protocol: BoardProtocol
    desired: dict[str, AreaContent] | None = None
    version: int = 0
    shown_version: int = -1
    possible: list[Mapping[str, AreaContent]] | None = None  # None: what it shows is unknown
    retry_at: float = 0.0
    setup_done: bool = False


class BoardLink:
    """Keeps the boards of one line showing the newest content over an unreliable serial line."""

    def __init__(
        self,
        config: BoardConfig,
        url: str | None = None,
        protocol: BoardProtocol | None = None,
        *,
        reconnect_min_s: float = 0.05,
        reconnect_max_s: float = 1.0,
        strip_retry_s: float = 5.0,
        on_written: Callable[[bytes, float], None] | None = None,
    ) -> None:
        self.config = config
        self.url = url if url is not None else config.port
        if not self.url:
            raise ValueError("board link needs a port: a device name or a pyserial URL (socket://host:port)")
        self.protocol = protocol or get_protocol(config.protocol, config)
        self.reconnect_min_s = reconnect_min_s
        self.reconnect_max_s = reconnect_max_s
        self.strip_retry_s = strip_retry_s  # a silent strip is tried again this much later
        self.on_written = on_written  # called with (frame, time.monotonic()) after each write
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._targets: dict[str, _Target] = {
            MAIN: _Target(BoardState(MAIN, "主屏", config.address), self.protocol)}
        for strip in config.strips:
            strip_config = config.strip_board(strip)
            name = strip_name(strip.window)
            self._targets[name] = _Target(BoardState(name, f"{strip.window}号窗口屏", strip.address),
                                          get_protocol(config.protocol, strip_config))
        self._status = LinkStatus(url=self.url, protocol=self.protocol.name)
        self._port: serial.SerialBase | None = None
        self._decoder = self.protocol.decoder()
        self._thread = threading.Thread(target=self._run, name="board-link", daemon=True)

    # -- public API (any thread) ---------------------------------------------------------
    def start(self) -> BoardLink:
        self._thread.start()
        return self

    def update(self, content: Mapping[str, AreaContent]) -> None:
        """Show `content` (every area) on the main board. Returns at once; the newest wins."""
        self.update_board(MAIN, content)

    def update_board(self, name: str, content: Mapping[str, AreaContent]) -> None:
        """Show `content` on board `name` (`MAIN` or `strip_name(window)`); KeyError if unknown."""
        with self._lock:
            target = self._targets[name]
            target.desired = dict(content)
            target.version += 1
            target.state.in_sync = False
            if name == MAIN:
                self._status.in_sync = False
        self._wake.set()

    def status(self) -> LinkStatus:
        with self._lock:
            return LinkStatus(**asdict(self._status))

    def boards(self) -> list[BoardState]:
        """Every board on the line (main first), as last acknowledged."""
        with self._lock:
            return [BoardState(**asdict(t.state)) for t in self._targets.values()]

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
        main = self._targets[MAIN]
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
                for target in self._targets.values():
                    target.possible, target.setup_done, target.retry_at = None, False, 0.0
                try:
                    self._transact(main, main.protocol.memory_setup())
                    main.setup_done = True
                except (LinkDown, serial.SerialException, OSError) as exc:
                    self._drop(f"memory setup failed: {exc}")
                    continue
            worked = False
            try:
                for name, target in self._targets.items():
                    with self._lock:
                        desired, version = target.desired, target.version
                    if desired is None or version == target.shown_version:
                        continue
                    if name != MAIN and time.monotonic() < target.retry_at:
                        continue
                    worked = True
                    # A strip already silent gets one try: it must not hold the bus for long.
                    attempts = 1 if name != MAIN and target.state.failing else None
                    try:
                        if not target.setup_done:
                            self._transact(target, target.protocol.memory_setup(), attempts)
                            target.setup_done = True
                        self._transact(target, target.protocol.encode_update(desired, target.possible), attempts)
                    except LinkDown:
                        if name == MAIN:
                            raise
                        # A strip that does not answer: mark it, try again later; the line and
                        # the main board go on.
                        target.possible, target.setup_done = None, False
                        target.retry_at = time.monotonic() + self.strip_retry_s
                        continue
                    target.possible = [desired]
                    with self._lock:
                        target.shown_version = version
                        target.state.in_sync = version == target.version
                        target.state.shown_text = "\n".join(c.text for c in desired.values() if c.text)
                        if name == MAIN:
                            self._status.in_sync = target.state.in_sync
                if not worked:
                    self._idle()
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
            for target in self._targets.values():
                target.shown_version = -1
                target.state.in_sync = False
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
            for target in self._targets.values():
                target.shown_version = -1
                target.state.in_sync = False

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
        start = 0
        for point in self.protocol.pause_points(frame):  # pauses the protocol requires (Alpha)
            port.write(frame[start:point])
            port.flush()
            self._stop.wait(self.protocol.pause_s)
            start = point
        port.write(frame[start:])
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

    def _wait_ack(self, target: _Target, sent_bytes: int) -> Ack | None:
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
                if getattr(item, "src", target.state.address) not in (target.state.address, 0xFFFF, 0xFFFE):
                    continue  # a late answer of another board on the bus
                ack = target.protocol.parse_ack(item)
                if ack is not None:
                    return ack
        return None

    def _transact(self, target: _Target, frames: list[bytes], attempts: int | None = None) -> None:
        """Send `frames` to one board until it confirms them; LinkDown after the retries."""
        if not frames:
            return
        protocol = target.protocol
        last = ""
        attempts = attempts or self.config.retries + 1
        for attempt in range(attempts):
            if attempt:
                self._stop.wait(min(0.05 * attempt, 0.5))
                if self._stop.is_set():
                    raise LinkDown("closing")
            self._read_available()  # drop stale answers before a new attempt
            ack: Ack | None = Ack(True)
            if protocol.ack_per_frame:
                for frame in frames:
                    self._write(frame)
                    ack = self._wait_ack(target, len(frame)) if protocol.expects_ack else Ack(True)
                    if ack is None or not ack.ok:
                        break
            else:
                for frame in frames:
                    self._write(frame)
                query = protocol.ack_query() if protocol.expects_ack else None
                if query is not None:
                    self._write(query)
                    ack = self._wait_ack(target, sum(map(len, frames)) + len(query))
            if ack is not None and ack.ok:
                with self._lock:
                    if protocol.expects_ack:  # a real answer; a broadcast never confirms anything
                        target.state.last_ack_at = time.time()
                        if target.state.name == MAIN:
                            self._status.last_ack_at = target.state.last_ack_at
                    target.state.failing, target.state.last_error = False, ""
                return
            with self._lock:
                if ack is None:
                    self._status.timeouts += 1
                    last = "no answer from the board"
                else:
                    self._status.naks += 1
                    last = f"board refused: {ack.detail}"
                if target.state.name != MAIN:
                    last = f"{target.state.label}: {last}"
                self._status.last_error = last
                target.state.failing, target.state.last_error = True, last
            log.info("board link: %s attempt %d: %s", target.state.name, attempt + 1, last)
        raise LinkDown(f"{last} after {attempts} attempt(s)")
