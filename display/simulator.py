"""The virtual board: a controller that decodes the real protocol bytes and shows the result.

`VirtualBoard` is the controller itself (no I/O): it decodes the byte stream with the
protocol's decoder, keeps the controller's memory (Alpha files / BX dynamic areas), answers
exactly as the protocol says (Alpha: read replies with the serial error status register,
which records bad checksums; BX: ACK/NACK, NACK ERR_CHECKSUM on a bad CRC) and draws its
face as a `Bitmap` from what it decoded — never from the PC's own rendering.

Transports put it on a line: `TcpTransport` (the link connects with ``socket://host:port``)
and `PtyTransport` (a pseudo-terminal; the link opens the slave path, kept stable through a
symlink across disconnects). With ``baud`` set, incoming bytes are delivered at the physical
rate of an 8N1 line (10 bits per byte), so timing measurements see real line time.

Several boards on one bus: the window strips of `BoardConfig.strips` are controllers of
their own behind the same line, each acting on and answering only its own address
(`strip_face(window)`; PNGs ``window-N.png``).

Fault injection (`Faults`): drop or delay answers, garble incoming bytes, and `disconnect()`
(drop the line, refuse it for a while). PNG frames go to ``png_dir`` on every change.
The Qt window lives in `display.simulator_window`.
"""

from __future__ import annotations

import logging
import os
import random
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from display.bitmap import Bitmap
from display.config import BoardConfig
from display.protocols import ChecksumError, ProtocolError, get_protocol
from display.protocols import alpha as A
from display.protocols import bx as B
from display.protocols import bx_picture as P

log = logging.getLogger(__name__)


# -- controllers -------------------------------------------------------------------------

class AlphaSign:
    """An Alpha sign's memory: allocated files, their contents, the error status register."""

    def __init__(self, width: int, height: int, address: int = 1) -> None:
        self.width, self.height = width, height
        self.address = f"{address:02X}"
        self.files: dict[str, A.FileSpec] = {}
        self.texts: dict[str, bytes] = {}
        self.strings: dict[str, str] = {}
        self.dots: dict[str, Bitmap] = {}
        self.status = A.STATUS_OK

    def _for_me(self, packet: A.Packet) -> bool:
        addr = packet.address.upper()
        mine = all(a in ("?", b) for a, b in zip(addr, self.address, strict=True))
        return addr == "00" or mine

    def handle(self, packet: A.Packet) -> list[bytes]:
        if packet.type_code == "0" or not self._for_me(packet):
            return []  # another sign's answer or another sign's address
        answers: list[bytes] = []
        for cmd in packet.commands:
            try:
                answers += self._command(cmd)
            except ProtocolError as exc:
                log.info("alpha sign rejected %s%s: %s", cmd.code, cmd.label, exc)
                self.status |= 0x20
        return [A.packet(answers, "0", "00")] if answers else []

    def _command(self, cmd: A.Command) -> list[bytes]:
        spec = self.files.get(cmd.label)
        if cmd.code == "E":
            if cmd.label == "$":
                files = A.parse_memory_config(cmd.data)
                self.files = {f.label: f for f in files}
                self.texts, self.strings, self.dots = {}, {}, {}
            return []
        if cmd.code == "A":
            if spec is None or spec.kind != "A" or len(cmd.data) > spec.size:
                raise ProtocolError(f"TEXT file {cmd.label!r} not allocated or too small")
            self.texts[cmd.label] = cmd.data
            return []
        if cmd.code == "G":
            if spec is None or spec.kind != "B":
                raise ProtocolError(f"STRING file {cmd.label!r} not allocated")
            self.strings[cmd.label] = cmd.data[:spec.size].decode("ascii", "replace")
            return []
        if cmd.code == "I":
            if spec is None or spec.kind != "D":
                raise ProtocolError(f"DOTS file {cmd.label!r} not allocated")
            picture = A.parse_small_dots(cmd.data)
            if picture.width > spec.width or picture.height > spec.height:
                raise ProtocolError(f"DOTS {cmd.label!r} is {picture.width}x{picture.height}, "
                                    f"allocated {spec.width}x{spec.height}")
            self.dots[cmd.label] = picture
            return []
        if cmd.code == "F" and cmd.label == "*":
            status, self.status = self.status, A.STATUS_OK  # reading clears the register
            return [b"E*" + f"{status:02X}".encode()]
        if cmd.code == "H":
            if spec is None or spec.kind != "B":
                raise ProtocolError(f"STRING file {cmd.label!r} not allocated")
            return [b"G" + cmd.label.encode() + self.strings.get(cmd.label, "").encode("ascii", "replace")]
        if cmd.code == "B":
            return [b"A" + cmd.label.encode() + self.texts.get(cmd.label, b"")]
        raise ProtocolError(f"command {cmd.code!r} not supported")

    def error(self, exc: ProtocolError) -> list[bytes]:
        self.status |= 0x10 if isinstance(exc, ChecksumError) else 0x02
        return []

    def face(self) -> Bitmap:
        """Lay out TEXT file A: DOTS pictures and STRING/ASCII text left to right, CR = next line."""
        from display.fonts import get_font

        board = Bitmap(self.width, self.height)
        data = self.texts.get(A.TEXT_LABEL, b"")
        if data[:1] == bytes([A.ESC]):
            data = data[3:]  # ESC, display position, mode
        font = get_font(A.SIGN_FONT_PX)
        x = y = line_h = 0
        i = 0

        def draw_chars(text: str, cells: int | None = None) -> None:
            nonlocal x, line_h
            chars = text if cells is None else text[:cells].ljust(cells)
            for ch in chars:
                glyph = font.glyph(ch)
                w = 8 if cells is not None else glyph.width
                for gy in range(glyph.height):
                    for gx in range(min(glyph.width, w)):
                        if glyph.pixel(gx, gy):
                            board.set(x + gx, y + gy, 1)
                x += w
            line_h = max(line_h, font.px)

        while i < len(data):
            b = data[i]
            if b in (A.CALL_DOTS, A.CALL_STRING) and i + 1 < len(data):
                label = chr(data[i + 1])
                i += 2
                spec = self.files.get(label)
                if b == A.CALL_DOTS and spec is not None and spec.kind == "D":
                    pic = self.dots.get(label, Bitmap(spec.width, spec.height))
                    board.blit(pic, x, y)
                    x += spec.width
                    line_h = max(line_h, spec.height)
                elif b == A.CALL_STRING and spec is not None and spec.kind == "B":
                    draw_chars(self.strings.get(label, ""), spec.size)
                continue
            if b == A.CR:
                y += line_h
                x = line_h = 0
            elif 0x20 <= b < 0x7F:
                draw_chars(chr(b))
            i += 1
        return board


class BxController:
    """A BX-5K/6K controller's dynamic areas (at most `max_areas`)."""

    def __init__(self, width: int, height: int, address: int = 1, max_areas: int = 10,
                 card_fonts: list[int] | tuple[int, ...] = (16, 24, 32)) -> None:
        self.width, self.height = width, height
        self.address = address
        self.max_areas = max_areas
        self.card_fonts = tuple(card_fonts)  # the font files on the card: font n is card_fonts[n] dots
        self.areas: dict[int, B.DynamicArea] = {}

    def handle(self, frame: B.Frame) -> list[bytes]:
        if frame.dst not in (self.address, 0xFFFE, 0xFFFF):
            return []
        reply = frame.dst != 0xFFFF
        if frame.command != (0xA3, 0x06):
            return [B.answer(frame, False, B.ERR_OUTOFGROUP if frame.command[0] != 0xA3 else B.ERR_NOCMD)] if reply else []
        try:
            update = B.parse_dynamic_update(frame.data)
        except ProtocolError as exc:
            log.info("bx controller rejected a dynamic area command: %s", exc)
            return [B.answer(frame, False, B.ERR_NOCMD)] if reply else []
        if update.delete_all:
            self.areas.clear()
        for area_id in update.delete:
            self.areas.pop(area_id, None)
        if any(B.font_of(a) >= len(self.card_fonts) for a in update.areas):
            return [B.answer(frame, False, B.ERR_FONT_NOT_EXIST)] if reply else []
        new_ids = {a.area_id for a in update.areas} - set(self.areas)
        if len(self.areas) + len(new_ids) > self.max_areas:
            return [B.answer(frame, False, 4)] if reply else []  # ERR_MEMORYVOLUME
        for area in update.areas:
            self.areas[area.area_id] = area
        return [B.answer(frame, True)] if reply and update.response == 0x01 else []

    def error(self, exc: ProtocolError) -> list[bytes]:
        if isinstance(exc, ChecksumError):
            return [B.nack_for_garbage(B.ERR_CHECKSUM, src=self.address)]
        return []

    def face(self) -> Bitmap:
        board = Bitmap(self.width, self.height)
        for _, area in sorted(self.areas.items()):
            board.blit(B.render_area(area, self.card_fonts), area.x, area.y)
        return board


class PictureController:
    """A BX-5E/6E/6Q picture card: dynamic areas that are pictures; shows each area's first page."""

    def __init__(self, width: int, height: int, address: int = 1) -> None:
        self.width, self.height = width, height
        self.address = address
        self.areas: dict[int, P.PictureArea] = {}

    def handle(self, frame: P.Frame) -> list[bytes]:
        if frame.dst not in (self.address, 0xFFFE, 0xFFFF):
            return []
        if frame.command == P.DELETE_AREAS:
            ids = frame.payload[2:]
            if ids[:1] == b"\xff":
                self.areas.clear()
            else:
                for area_id in ids[1:1 + ids[0]] if ids else b"":
                    self.areas.pop(area_id, None)
        elif frame.command == P.SEND_AREA:
            try:
                area = P.parse_area(frame.payload)
            except ProtocolError as exc:
                log.info("picture card rejected a dynamic area: %s", exc)
                return [P.answer(frame, False, B.ERR_NOCMD)]
            self.areas[area.area_id] = area
        else:
            return [P.answer(frame, False, B.ERR_NOCMD)]
        return [P.answer(frame, True)] if frame.response else []

    def error(self, exc: ProtocolError) -> list[bytes]:
        return []  # a frame with a bad CRC is ignored; the PC times out and resends

    def face(self) -> Bitmap:
        board = Bitmap(self.width, self.height)
        for _, area in sorted(self.areas.items()):
            if area.pages:
                board.blit(area.bitmap(0), area.x, area.y)
        return board


# -- the board ---------------------------------------------------------------------------

@dataclass
class Faults:
    """What can go wrong; probabilities are per answer / per received chunk."""

    drop_acks: float = 0.0
    delay_acks_s: float = 0.0
    garble: float = 0.0
    drop_next: int = 0  # drop exactly this many answers first (deterministic tests)
    seed: int = 1
    dropped: int = 0
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)


@dataclass(frozen=True)
class FrameRecord:
    """A frame the board finished receiving: when its last byte arrived, how long it was."""

    at: float
    length: int
    ok: bool
    summary: str


class VirtualBoard:
    """A controller speaking `protocol` for the board in `config` (thread-safe)."""

    def __init__(self, config: BoardConfig, protocol: str | None = None, faults: Faults | None = None,
                 png_dir: str | Path | None = None, baud: int | None = None) -> None:
        self.config = config
        self.protocol_name = protocol or config.protocol
        self.protocol = get_protocol(self.protocol_name, config)
        self.decoder = self.protocol.decoder()
        self.controller = self._controller(config)
        # The window strips on the same bus: each a controller of its own with its own address;
        # every frame reaches all of them, only the addressed one acts and answers.
        self.strips: dict[str, AlphaSign | BxController | PictureController] = {}
        for strip in config.strips:
            sc = config.strip_board(strip)
            self.strips[f"window-{strip.window}"] = self._controller(sc)
        self._strip_faces = {name: Bitmap(c.width, c.height) for name, c in self.strips.items()}
        self.faults = faults or Faults()
        self.png_dir = Path(png_dir) if png_dir else None
        self.baud = baud
        self.lock = threading.RLock()
        self.frames: list[FrameRecord] = []
        self.errors: list[str] = []
        self.bytes_received = 0
        self.listeners: list[Callable[[Bitmap], None]] = []
        self._face = Bitmap(config.width, config.height)
        self._png_count = 0
        self._line_free_at = 0.0
        self._frame_bytes = 0

    def _controller(self, config: BoardConfig) -> AlphaSign | BxController | PictureController:
        if self.protocol_name == "alpha":
            return AlphaSign(config.width, config.height, config.address)
        if self.protocol_name == "bx-picture":
            return PictureController(config.width, config.height, config.address)
        return BxController(config.width, config.height, config.address, config.max_areas, config.card_fonts)

    # -- bytes in, answers out ----------------------------------------------------------
    def receive(self, data: bytes, send: Callable[[bytes], None]) -> None:
        """Bytes from the line; answers go to `send` (possibly later, or never, per faults)."""
        if self.faults.garble and data and self.faults.rng.random() < self.faults.garble:
            data = bytearray(data)
            data[self.faults.rng.randrange(len(data))] ^= 1 << self.faults.rng.randrange(8)
            data = bytes(data)
        char_time = 10.0 / self.baud if self.baud else 0.0
        start = max(time.monotonic(), self._line_free_at)
        self._line_free_at = start + len(data) * char_time
        for i in range(len(data)):
            with self.lock:
                self.bytes_received += 1
                self._frame_bytes += 1
                items = self.decoder.feed(data[i:i + 1])
            if not items:
                continue
            if char_time:
                done = start + (i + 1) * char_time
                delay = done - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            for item in items:
                self._handle(item, send)

    def _handle(self, item: object, send: Callable[[bytes], None]) -> None:
        now = time.monotonic()
        with self.lock:
            length, self._frame_bytes = self._frame_bytes, 0
            if isinstance(item, ProtocolError):
                self.errors.append(str(item))
                self.frames.append(FrameRecord(now, length, False, str(item)))
                answers = self.controller.error(item)
            else:
                self.frames.append(FrameRecord(now, length, True, self.protocol.describe(item)))
                answers = self.controller.handle(item)  # type: ignore[arg-type]
                for strip in self.strips.values():
                    answers += strip.handle(item)  # type: ignore[arg-type]
            changed = self._refresh()
        if changed:
            for listener in list(self.listeners):
                listener(self._face)
        for answer in answers:
            self._answer(answer, send)

    def _answer(self, answer: bytes, send: Callable[[bytes], None]) -> None:
        f = self.faults
        if f.drop_next > 0 or (f.drop_acks and f.rng.random() < f.drop_acks):
            f.drop_next = max(0, f.drop_next - 1)
            f.dropped += 1
            return
        if self.faults.delay_acks_s:
            threading.Timer(self.faults.delay_acks_s, self._safe_send, (send, answer)).start()
        else:
            self._safe_send(send, answer)

    @staticmethod
    def _safe_send(send: Callable[[bytes], None], data: bytes) -> None:
        try:
            send(data)
        except OSError:
            pass  # the line went away; the PC will resend

    def _refresh(self) -> bool:
        for name, strip in self.strips.items():
            strip_face = strip.face()
            if strip_face != self._strip_faces[name]:
                self._strip_faces[name] = strip_face
                if self.png_dir is not None:
                    from display.png import bitmap_to_png

                    self.png_dir.mkdir(parents=True, exist_ok=True)
                    bitmap_to_png(strip_face, self.png_dir / f"{name}.png")
        face = self.controller.face()
        if face == self._face:
            return False
        self._face = face
        if self.png_dir is not None:
            from display.png import bitmap_to_png

            self.png_dir.mkdir(parents=True, exist_ok=True)
            self._png_count += 1
            bitmap_to_png(face, self.png_dir / f"frame_{self._png_count:05d}.png")
            bitmap_to_png(face, self.png_dir / "latest.png")
        return True

    def face(self) -> Bitmap:
        with self.lock:
            return Bitmap(self._face.width, self._face.height, bytearray(self._face.pixels))

    def strip_face(self, window: int) -> Bitmap:
        """What the strip over window `window` shows (KeyError if the bus has none)."""
        with self.lock:
            face = self._strip_faces[f"window-{window}"]
            return Bitmap(face.width, face.height, bytearray(face.pixels))

    def strip_faces(self) -> dict[str, Bitmap]:
        with self.lock:
            return {name: Bitmap(f.width, f.height, bytearray(f.pixels)) for name, f in self._strip_faces.items()}

    def line_reset(self) -> None:
        """The line dropped: a half-received frame is lost."""
        with self.lock:
            self.decoder.reset()
            self._frame_bytes = 0

    def wait_for(self, predicate: Callable[[Bitmap], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.face()):
                return True
            time.sleep(0.01)
        return predicate(self.face())


# -- transports --------------------------------------------------------------------------

class TcpTransport:
    """Serve the board on a TCP port (one PC at a time, like a serial line)."""

    def __init__(self, board: VirtualBoard, host: str = "127.0.0.1", port: int = 0) -> None:
        self.board = board
        self.host = host
        self._listener: socket.socket | None = None
        self._conn: socket.socket | None = None
        self._down_until = 0.0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.connections = 0
        self._open_listener(port)
        self.port = self._listener.getsockname()[1]  # type: ignore[union-attr]
        self._thread = threading.Thread(target=self._run, name="led-sim-tcp", daemon=True)

    @property
    def url(self) -> str:
        return f"socket://{self.host}:{self.port}"

    def _open_listener(self, port: int) -> None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, port))
        s.listen(1)
        self._listener = s

    def start(self) -> TcpTransport:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._listener is None:
                if time.monotonic() >= self._down_until:
                    try:
                        self._open_listener(self.port)
                    except OSError:
                        time.sleep(0.05)
                        continue
                else:
                    time.sleep(0.01)
                    continue
            listener = self._listener
            try:
                ready, _, _ = select.select([listener], [], [], 0.05)
                if not ready:
                    continue
                conn, _ = listener.accept()
            except (OSError, ValueError):
                continue  # the listener was closed by disconnect()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._conn = conn
                self.connections += 1
            self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        def send(data: bytes) -> None:
            conn.sendall(data)

        self.board.line_reset()
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([conn], [], [], 0.05)
                if not ready:
                    continue
                data = conn.recv(65536)
                if not data:
                    break
                self.board.receive(data, send)
        except (OSError, ValueError):
            pass
        finally:
            with self._lock:
                if self._conn is conn:
                    self._conn = None
            try:
                conn.close()
            except OSError:
                pass
            self.board.line_reset()

    def disconnect(self, down_s: float = 0.0) -> None:
        """Drop the PC's connection and refuse new ones for `down_s` seconds."""
        with self._lock:
            conn, self._conn = self._conn, None
            self._down_until = time.monotonic() + down_s
            if down_s > 0 and self._listener is not None:
                self._listener.close()
                self._listener = None
        if conn is not None:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self.disconnect()
        if self._thread.is_alive():
            self._thread.join(2)
        if self._listener is not None:
            self._listener.close()
            self._listener = None


class PtyTransport:
    """Serve the board on a pseudo-terminal; `path` is a symlink to the current slave device."""

    def __init__(self, board: VirtualBoard, path: str | Path | None = None) -> None:
        self.board = board
        self._dir = None
        if path is None:
            import tempfile

            self._dir = tempfile.mkdtemp(prefix="led-sim-")
            path = Path(self._dir) / "board"
        self.path = str(path)
        self._master: int | None = None
        self._slave: int | None = None
        self._stop = threading.Event()
        self._down_until = 0.0
        self._lock = threading.Lock()
        self.slave_name = ""
        self._open()
        self._thread = threading.Thread(target=self._run, name="led-sim-pty", daemon=True)

    def _open(self) -> None:
        if not hasattr(os, "openpty"):
            raise OSError("pseudo-terminals need Linux or macOS; use the TCP transport (socket://) here")
        import tty  # POSIX only: keep the module importable on Windows hall PCs

        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no CR/LF translation before the PC configures the port
        self.slave_name = os.ttyname(slave)
        tmp = self.path + ".new"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(self.slave_name, tmp)
        os.replace(tmp, self.path)
        self._master, self._slave = master, slave

    def start(self) -> PtyTransport:
        self._thread.start()
        return self

    def _send(self, data: bytes) -> None:
        fd = self._master
        if fd is None:
            raise OSError("pty closed")
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]

    def _run(self) -> None:
        while not self._stop.is_set():
            fd = self._master
            if fd is None:
                if time.monotonic() >= self._down_until:
                    with self._lock:
                        self._open()
                    self.board.line_reset()
                else:
                    time.sleep(0.01)
                continue
            try:
                ready, _, _ = select.select([fd], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(fd, 65536)
            except OSError:
                time.sleep(0.01)  # EIO: nobody has the slave open right now
                continue
            if data:
                self.board.receive(data, self._send)

    def disconnect(self, down_s: float = 0.0) -> None:
        """Unplug: close the pty (the PC's port fails) and plug a new one in after `down_s`."""
        with self._lock:
            for fd in (self._master, self._slave):
                if fd is not None:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            self._master = self._slave = None
            if os.path.lexists(self.path):
                os.unlink(self.path)
            self._down_until = time.monotonic() + down_s
        self.board.line_reset()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)
        self.disconnect()
        if self._dir:
            try:
                os.rmdir(self._dir)
            except OSError:
                pass


def serve_virtual_board(config: BoardConfig, png_dir: str | Path | None = None,
                        baud: int | None = None) -> tuple[VirtualBoard, TcpTransport]:
    """A virtual board on a free loopback port (the hall's embedded default):
    ``board, transport = serve_virtual_board(cfg); BoardLink(cfg, transport.url)``."""
    board = VirtualBoard(config, png_dir=png_dir, baud=baud)
    return board, TcpTransport(board).start()
