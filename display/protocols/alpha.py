"""The Alpha Sign Communications Protocol (Adaptive Micro Systems / Adaptive Displays).

Reference: "Alpha® Sign Communications Protocol", document 9708-8061 (Revision F, 2006),
section 5.1 "Standard transmission packet" and 6 "Command codes" (TEXT, SPECIAL FUNCTION,
STRING and SMALL DOTS PICTURE files). Cross-checked against the open-source python-alphasign
packet builder (prototux/python-alphasign, alphasign/packet.py: checksum = 16-bit sum from
STX through ETX, four upper-case hex digits) and its memory-configuration builder.

Packet (one or more nested commands)::

    NUL x5+  SOH  type  addr(2 hex)  { STX  cmd  label  data  ETX  checksum(4 hex) }+  EOT

- type ``Z`` = all sign types; ``0`` = a response from a sign; address ``00`` = broadcast.
- ``A`` write TEXT, ``G`` write STRING, ``I`` write SMALL DOTS PICTURE (label, height and
  width as 2 hex digits each, then one character per pixel '0' off '1' red '2' green
  '3' amber, each row ended by CR), ``E`` write special function (``E$`` memory
  configuration: per file label, type A/B/D, U/L, size(4 hex; DOTS: rows+cols), QQQQ),
  ``F`` read special function (``F*`` serial error status register), ``H`` read STRING.
  A sign answers a read with a type ``0`` packet carrying the matching write command
  (``E*`` + register, ``G`` + label + contents).
- In a TEXT file, ``0x10 label`` shows a STRING file and ``0x14 label`` a SMALL DOTS picture.

How the board is mapped (why a call is cheap): the whole board is one TEXT file ``A`` that
references a grid of small DOTS pictures ("tiles", 32 x 16 px by default) line by line, and
STRING files for areas configured to use the sign's own font. The PC renders every pixel
(Chinese included) with `display.render`; a call rewrites only the tiles whose pixels
changed, typically one or two ~540-byte DOTS files instead of the whole board.

Acknowledgement: Alpha signs send no positive ack for writes. Every batch therefore ends
with a write of the sequence STRING ``#`` (an incrementing number), and the link follows the
batch with a read of the serial error status register (``F*``) and of ``#`` in one packet.
The batch counts as delivered when the register is 0x40 (no error bits: bit 5 illegal
command/label, 4 checksum, 3 overflow, 2 timeout, 1 framing, 0 parity) and ``#`` holds the
number just sent; otherwise (NACK) or without an answer in time the link resends. A packet
with a bad checksum is ignored whole by the sign (and flagged in the register).

Pauses (section 5.1 and the SMALL DOTS command): the sign needs time after the DOTS height
and width field (it allocates the picture) and after the STX of each command nested in one
packet; `pause_points(frame)` says where, and the link and ``led-send`` stop writing there
for ``pause_ms`` (``[board]``, 100 ms). Each command therefore goes in a packet of its own (ten
bytes cost less line time than a pause), the read-back too. The answers to ``F*`` and ``H#`` may come in one packet or in two; `parse_ack`
decides once it has both. Serial: 8N1 or 7E1 (every byte is 7-bit ASCII); the default
address ``00`` reaches every sign on the line. Not modelled: the sign's memory size. Effects: the sign has no per-region scrolling or flashing, so scrolling and
flashing areas show their first frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from display.bitmap import Bitmap
from display.protocols import (
    Ack,
    BoardContentLike,
    BoardProtocol,
    ChecksumError,
    FrameDecoder,
    ProtocolError,
    ShownState,
    possible_states,
)

if TYPE_CHECKING:
    from display.config import BoardConfig

NUL, SOH, STX, ETX, EOT = 0x00, 0x01, 0x02, 0x03, 0x04
ESC, CR = 0x1B, 0x0D
CALL_STRING, CALL_DOTS = 0x10, 0x14
SYNC_NULS = 5

TEXT_LABEL = "A"
SEQ_LABEL = "#"
STATUS_OK = 0x40  # serial error status register with no error bit set (bit 6 is always 1)
STATUS_BITS = {
    0x20: "illegal command code or file label",
    0x10: "checksum error",
    0x08: "serial buffer overflow",
    0x04: "serial timeout",
    0x02: "bit framing error",
    0x01: "parity error",
}
# File labels 0x20-0x75 are valid; '0' is the priority TEXT file. Tiles/strings use the rest.
_RESERVED_LABELS = {"0", TEXT_LABEL, SEQ_LABEL, " "}
FREE_LABELS = [chr(c) for c in range(0x21, 0x76) if chr(c) not in _RESERVED_LABELS]
MAX_PACKET = 256 * 1024  # a whole 384x96 board is ~40 KB; anything far larger is garbage
SIGN_FONT_PX = 16  # STRING areas are drawn with the sign's 8x16 font


def pause_points(frame: bytes) -> list[int]:
    """Byte offsets of `frame` (one or more packets) after which the writer must pause (see
    the module docstring): after each STX of a packet that nests several commands, and after
    the height and width digits of every SMALL DOTS write."""
    points = []
    packet_start = 0
    while packet_start < len(frame):
        end = frame.find(bytes([EOT]), packet_start)
        end = len(frame) if end < 0 else end + 1
        starts = [i for i in range(packet_start, end) if frame[i] == STX]
        for i in starts:
            if len(starts) > 1:
                points.append(i + 1)
            if frame[i + 1:i + 2] == b"I" and end > i + 7:
                points.append(i + 7)  # STX 'I' label HH WW
        packet_start = end
    return sorted(p for p in set(points) if 0 < p < len(frame))


def checksum(block: bytes) -> bytes:
    """Four upper-case hex digits of the 16-bit sum of `block` (STX through ETX)."""
    return f"{sum(block) & 0xFFFF:04X}".encode()


def packet(commands: list[bytes], type_code: str = "Z", address: str = "00", sync: int = SYNC_NULS) -> bytes:
    """A standard transmission packet with one or more nested commands, each checksummed."""
    if len(type_code) != 1 or len(address) != 2:
        raise ValueError(f"type code must be 1 character and address 2, got {type_code!r} {address!r}")
    out = bytearray(b"\x00" * sync)
    out.append(SOH)
    out += type_code.encode("ascii") + address.encode("ascii")
    for cmd in commands:
        block = bytes([STX]) + cmd + bytes([ETX])
        out += block + checksum(block)
    out.append(EOT)
    return bytes(out)


def _label(label: str) -> bytes:
    if len(label) != 1 or not 0x20 <= ord(label) <= 0x7E:
        raise ValueError(f"file label must be one printable character, got {label!r}")
    return label.encode("ascii")


def write_text(label: str, data: bytes) -> bytes:
    return b"A" + _label(label) + data


def write_string(label: str, text: str) -> bytes:
    return b"G" + _label(label) + text.encode("ascii", "replace")


def write_small_dots(label: str, bitmap: Bitmap) -> bytes:
    """``I`` command: the picture as one digit per pixel ('0'..'3'), rows ended by CR."""
    if not (0 < bitmap.height <= 255 and 0 < bitmap.width <= 255):
        raise ValueError(f"a SMALL DOTS picture is 1..255 x 1..255 px, got {bitmap.width}x{bitmap.height}")
    out = bytearray(b"I" + _label(label) + f"{bitmap.height:02X}{bitmap.width:02X}".encode())
    table = bytes(range(0x30, 0x38))  # pixel value v -> ASCII digit
    w = bitmap.width
    for y in range(bitmap.height):
        row = bitmap.pixels[y * w:(y + 1) * w]
        out += bytes(table[min(v, 7)] for v in row)
        out.append(CR)
    return bytes(out)


@dataclass(frozen=True)
class FileSpec:
    """One entry of the ``E$`` memory configuration."""

    label: str
    kind: str  # "A" TEXT, "B" STRING, "D" DOTS
    size: int = 0  # TEXT/STRING: bytes
    height: int = 0  # DOTS
    width: int = 0  # DOTS
    colours: int = 1  # DOTS: 1 monochrome, 3 tri-colour

    def encode(self) -> bytes:
        if self.kind == "D":
            size = f"{self.height:02X}{self.width:02X}"
            qqqq = "1000" if self.colours == 1 else "2000"
        else:
            size = f"{self.size:04X}"
            qqqq = "FF00" if self.kind == "A" else "0000"  # TEXT: start FF = always
        lock = "L" if self.kind == "B" else "U"
        return f"{self.label}{self.kind}{lock}{size}{qqqq}".encode("ascii")


def memory_config(files: list[FileSpec]) -> bytes:
    return b"E$" + b"".join(f.encode() for f in files)


def read_special(label: str) -> bytes:
    return b"F" + _label(label)


def read_string(label: str) -> bytes:
    return b"H" + _label(label)


# -- decoding ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Command:
    """One command of a packet: code letter, file/function label and the rest."""

    code: str
    label: str
    data: bytes

    @classmethod
    def parse(cls, raw: bytes) -> Command:
        if not raw:
            raise ProtocolError("empty command between STX and ETX")
        code = chr(raw[0])
        label = chr(raw[1]) if len(raw) > 1 else ""
        return cls(code, label, raw[2:])


@dataclass(frozen=True)
class Packet:
    type_code: str
    address: str
    commands: tuple[Command, ...]
    checked: bool = True  # every command carried a checksum
    raw: bytes = field(default=b"", repr=False, compare=False)


class AlphaDecoder(FrameDecoder):
    """Byte stream -> `Packet`s and `ProtocolError`s (resync at the next SOH)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._state = "idle"
        self._garbage = 0
        self._buf = bytearray()  # current command (from STX) or header
        self._commands: list[Command] = []
        self._checked = True
        self._header = ""
        self._raw = bytearray()
        self._error: ProtocolError | None = None

    def _restart(self, out: list, error: ProtocolError | None) -> None:
        if error is not None:
            out.append(error)
        self._state = "idle"
        self._buf.clear()
        self._commands = []
        self._checked = True
        self._raw.clear()

    def feed(self, data: bytes) -> list:
        out: list = []
        for b in data:
            self._step(b, out)
        return out

    def _step(self, b: int, out: list) -> None:
        st = self._state
        if st != "idle":
            self._raw.append(b)
            if len(self._raw) > MAX_PACKET:
                self._restart(out, ProtocolError(f"packet longer than {MAX_PACKET} bytes without EOT"))
                return
        if b == SOH:
            if st != "idle":
                self._restart(out, ProtocolError(f"packet cut short in {st} (a new SOH arrived)"))
            elif self._garbage:
                out.append(ProtocolError(f"skipped {self._garbage} stray byte(s) before SOH"))
            self._garbage = 0
            self._state = "header"
            self._buf.clear()
            self._raw = bytearray([SOH])
            return
        if st == "idle":
            if b != NUL:
                self._garbage += 1
            return
        if st == "header":
            self._buf.append(b)
            if len(self._buf) < 4:
                return
            if self._buf[3] != STX:
                self._restart(out, ProtocolError(f"expected STX after type and address, got 0x{self._buf[3]:02X}"))
                return
            type_code, addr = chr(self._buf[0]), bytes(self._buf[1:3])
            if not 0x20 <= self._buf[0] <= 0x7E or not all(c in b"0123456789ABCDEFabcdef?" for c in addr):
                self._restart(out, ProtocolError(f"bad type code {type_code!r} or address {addr!r}"))
                return
            self._header = type_code + addr.decode("ascii")
            self._buf = bytearray([STX])
            self._state = "command"
            return
        if st == "command":
            if b == ETX:
                self._buf.append(ETX)
                self._state = "checksum"
                self._sum = bytearray()
            elif b == EOT:  # a command without ETX/checksum ends the packet
                self._checked = False
                try:
                    self._commands.append(Command.parse(bytes(self._buf[1:])))
                except ProtocolError as exc:
                    self._restart(out, exc)
                    return
                self._finish(out)
            elif b in (NUL, STX):
                self._restart(out, ProtocolError(f"unexpected 0x{b:02X} inside a command"))
            else:
                self._buf.append(b)
            return
        if st == "checksum":
            self._sum.append(b)
            if len(self._sum) < 4:
                return
            got = bytes(self._sum)
            want = checksum(bytes(self._buf))
            if got.upper() != want:
                what = "not hex" if not all(c in b"0123456789ABCDEFabcdef" for c in got) else "mismatch"
                self._restart(out, ChecksumError(
                    f"checksum {got!r} {what}, computed {want.decode()} for command "
                    f"{bytes(self._buf[1:3])!r} ({len(self._buf)} bytes)"))
                return
            try:
                self._commands.append(Command.parse(bytes(self._buf[1:-1])))
            except ProtocolError as exc:
                self._restart(out, exc)
                return
            self._state = "after"
            return
        if st == "after":
            if b == STX:
                self._buf = bytearray([STX])
                self._state = "command"
            elif b == EOT:
                self._finish(out)
            else:
                self._restart(out, ProtocolError(f"expected STX or EOT after a checksum, got 0x{b:02X}"))

    def _finish(self, out: list) -> None:
        out.append(Packet(self._header[0], self._header[1:], tuple(self._commands), self._checked, bytes(self._raw)))
        self._restart(out, None)


def parse_small_dots(data: bytes) -> Bitmap:
    """The picture of an ``I`` command's data (after the label): HH WW then rows ended by CR."""
    try:
        height, width = int(data[0:2], 16), int(data[2:4], 16)
    except ValueError:
        raise ProtocolError(f"DOTS size {data[:4]!r} is not 4 hex digits") from None
    rows = data[4:].split(bytes([CR]))
    if rows and rows[-1] == b"":
        rows.pop()
    if len(rows) != height:
        raise ProtocolError(f"DOTS picture says {height} rows, got {len(rows)}")
    bmp = Bitmap(width, height)
    for y, row in enumerate(rows):
        if len(row) != width:
            raise ProtocolError(f"DOTS row {y} has {len(row)} pixels, expected {width}")
        for x, ch in enumerate(row):
            if not 0x30 <= ch <= 0x37:
                raise ProtocolError(f"DOTS pixel ({x},{y}) is {chr(ch)!r}, expected '0'..'7'")
            bmp.pixels[y * width + x] = ch - 0x30
    return bmp


def parse_memory_config(data: bytes) -> list[FileSpec]:
    """The file table of an ``E$`` command (its data after the '$')."""
    if len(data) % 11:
        raise ProtocolError(f"memory configuration of {len(data)} bytes is not a multiple of 11")
    files = []
    for i in range(0, len(data), 11):
        entry = data[i:i + 11].decode("ascii", "replace")
        label, kind, size, qqqq = entry[0], entry[1], entry[3:7], entry[7:11]
        if kind not in "ABD":
            raise ProtocolError(f"memory configuration entry {i // 11}: file type {kind!r} is not A, B or D")
        try:
            value = int(size, 16)
        except ValueError:
            raise ProtocolError(f"memory configuration entry {i // 11}: size {size!r} is not hex") from None
        if kind == "D":
            files.append(FileSpec(label, "D", height=value >> 8, width=value & 0xFF,
                                  colours=1 if qqqq == "1000" else 3))
        else:
            files.append(FileSpec(label, kind, size=value))
    return files


def describe_status(status: int) -> str:
    bits = [text for bit, text in STATUS_BITS.items() if status & bit]
    return ", ".join(bits) if bits else "no error"


# -- the board mapping -------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """One element of a line of the TEXT file: a DOTS tile or a STRING area."""

    kind: str  # "dots" or "string"
    label: str
    x: int
    y: int
    width: int
    height: int
    area: str = ""  # STRING items: the area whose text they show


class AlphaProtocol(BoardProtocol):
    """Alpha signs: the board as a grid of DOTS tiles referenced from TEXT file ``A``."""

    name = "alpha"
    title = "Alpha Sign Communications Protocol (Adaptive Micro Systems 9708-8061)"
    expects_ack = True
    ack_per_frame = False

    def __init__(
        self,
        config: BoardConfig,
        tile_width: int = 32,
        tile_height: int = 16,
        string_areas: tuple[str, ...] | list[str] = (),
        type_code: str = "Z",
    ) -> None:
        super().__init__(config)
        if not 0 <= config.address <= 0xFF:
            raise ValueError(f"Alpha sign addresses are 0..255 (two hex digits), got {config.address}")
        self.address = f"{config.address:02X}"
        self.type_code = type_code
        self.string_areas = tuple(string_areas)
        for name in self.string_areas:
            area = config.area(name)
            if area.height != SIGN_FONT_PX:
                raise ValueError(f"STRING area {name!r} must be {SIGN_FONT_PX} px high (the sign font), got {area.height}")
        while True:
            lines = self._layout(tile_width, tile_height)
            if sum(len(line) for line in lines) <= len(FREE_LABELS) or tile_width >= 255:
                break
            tile_width = min(255, tile_width * 2)  # too many files for the label space: wider tiles
        if sum(len(line) for line in lines) > len(FREE_LABELS):
            raise ValueError(f"board {config.width}x{config.height} needs more than {len(FREE_LABELS)} Alpha files")
        self.tile_width = tile_width
        self.lines = lines
        self.items = [item for line in lines for item in line]
        self._seq = 0
        self.expected_seq: str | None = None
        self.pause_s = config.pause_ms / 1000

    def _layout(self, tile_w: int, tile_h: int) -> list[list[Item]]:
        cfg = self.config
        # Lines break at area and grid-row edges (a change then stays inside one line of
        # tiles), and lines taller than tile_h are split.
        cuts = {0, cfg.height}
        for a in cfg.areas:
            cuts |= {a.y, a.y + a.height}
            if a.kind in ("calls", "waiting") and a.rows > 1:
                cuts |= {a.y + r * a.cell_size[1] for r in range(a.rows)}
        ys = []
        edges = sorted(cuts)
        for y0, y1 in zip(edges, edges[1:], strict=False):
            ys += list(range(y0, y1, tile_h))
        ys.append(cfg.height)
        labels = iter(FREE_LABELS + ["?"] * 10000)
        lines: list[list[Item]] = []
        for y0, y1 in zip(ys, ys[1:], strict=False):
            spans: list[tuple[int, int, str]] = []  # (x0, x1, string area or "")
            for name in self.string_areas:
                a = cfg.area(name)
                if a.y == y0 and a.y + a.height == y1:
                    spans.append((a.x, a.x + a.width, name))
            spans.sort()
            line: list[Item] = []
            x = 0
            for sx0, sx1, name in spans + [(cfg.width, cfg.width, "")]:
                while x < sx0:
                    w = min(tile_w, sx0 - x)
                    line.append(Item("dots", next(labels), x, y0, w, y1 - y0))
                    x += w
                if name:
                    line.append(Item("string", next(labels), sx0, y0, sx1 - sx0, y1 - y0, name))
                    x = sx1
            lines.append(line)
        return lines

    # -- frames ------------------------------------------------------------------------
    def _packet(self, commands: list[bytes]) -> bytes:
        return packet(commands, self.type_code, self.address)

    def text_file(self) -> bytes:
        """TEXT file ``A``: hold mode, then each line's tiles/strings, lines separated by CR."""
        out = bytearray([ESC]) + b"0b"  # position: fill; mode: hold
        for i, line in enumerate(self.lines):
            if i:
                out.append(CR)
            for item in line:
                out += bytes([CALL_DOTS if item.kind == "dots" else CALL_STRING]) + item.label.encode()
        return bytes(out)

    def files(self) -> list[FileSpec]:
        text = self.text_file()
        specs = [FileSpec(TEXT_LABEL, "A", size=len(text)), FileSpec(SEQ_LABEL, "B", size=4)]
        for item in self.items:
            if item.kind == "dots":
                specs.append(FileSpec(item.label, "D", height=item.height, width=item.width,
                                      colours=self.config.colours if self.config.colours == 1 else 3))
            else:
                specs.append(FileSpec(item.label, "B", size=item.width // 8))
        return specs

    def memory_setup(self) -> list[bytes]:
        """Allocate the files (``E$`` clears the sign), then write TEXT file A (and the sequence)."""
        return [self._packet([memory_config(self.files())])] + self._batches([write_text(TEXT_LABEL, self.text_file())])

    def face(self, content: BoardContentLike | None) -> Bitmap:
        from display.render import render_board

        if content is None:
            return Bitmap(self.config.width, self.config.height)
        return render_board(dict(content), self.config)

    def string_text(self, item: Item, content: BoardContentLike | None) -> str:
        area = content.get(item.area) if content else None
        text = "" if area is None else area.text
        chars = item.width // 8
        text = "".join(c if 0x20 <= ord(c) < 0x7F else "?" for c in text.replace("\n", " "))
        return text[:chars].ljust(chars)

    def encode_update(self, new: BoardContentLike, shown: ShownState) -> list[bytes]:
        """DOTS tiles / STRING files that differ from what the sign may show (`shown`: one
        content, a list of possible contents after a failed batch, or None = unknown)."""
        states = possible_states(shown)
        new_face = self.face(new)
        old_faces = [None if s is None else self.face(s) for s in states]
        commands: list[bytes] = []
        for item in self.items:
            if item.kind == "string":
                text = self.string_text(item, new)
                if any(s is None or text != self.string_text(item, s) for s in states):
                    commands.append(write_string(item.label, text))
                continue
            tile = new_face.crop(item.x, item.y, item.width, item.height)
            if any(f is None or tile != f.crop(item.x, item.y, item.width, item.height) for f in old_faces):
                commands.append(write_small_dots(item.label, tile))
        if not commands:
            return []
        return self._batches(commands)

    def _batches(self, commands: list[bytes]) -> list[bytes]:
        """One packet per command (a nested packet would cost a pause after every STX, longer
        than the ten bytes a packet of its own costs); the last writes the new sequence number
        that the ack query reads back."""
        self._seq = (self._seq + 1) % 0x10000
        self.expected_seq = f"{self._seq:04X}"
        return [self._packet([cmd]) for cmd in commands + [write_string(SEQ_LABEL, self.expected_seq)]]

    def decoder(self) -> AlphaDecoder:
        return AlphaDecoder()

    def ack_query(self) -> bytes:
        self._answer: dict[str, object] = {}  # the F* and H# answers, together or apart
        # Two packets, not one nested packet: no pauses, and each gets its own answer.
        return self._packet([read_special("*")]) + self._packet([read_string(SEQ_LABEL)])

    def pause_points(self, frame: bytes) -> list[int]:
        return pause_points(frame)

    def parse_ack(self, frame: object) -> Ack | None:
        if not isinstance(frame, Packet) or frame.type_code != "0":
            return None
        answer = getattr(self, "_answer", None)
        if answer is None:
            answer = self._answer = {}
        for cmd in frame.commands:
            if cmd.code == "E" and cmd.label == "*":
                try:
                    answer["status"] = int(cmd.data[:2], 16)
                except ValueError:
                    return Ack(False, f"status register {cmd.data!r} is not hex")
            elif cmd.code == "G" and cmd.label == SEQ_LABEL:
                answer["seq"] = cmd.data.decode("ascii", "replace")
        status, seq = answer.get("status"), answer.get("seq")
        if status is None or (seq is None and status == STATUS_OK and self.expected_seq is not None):
            return None  # half of the answer: wait for the other packet
        self._answer = {}
        if status != STATUS_OK:
            return Ack(False, f"sign reports 0x{status:02X}: {describe_status(status)}")
        if self.expected_seq is not None and seq != self.expected_seq:
            return Ack(False, f"sign holds sequence {seq!r}, expected {self.expected_seq!r} (a packet was lost)")
        return Ack(True, "status 0x40, sequence confirmed")

    def describe(self, frame: object) -> str:
        if isinstance(frame, ProtocolError):
            return f"error: {frame}"
        if not isinstance(frame, Packet):
            return repr(frame)
        parts = []
        for c in frame.commands:
            parts.append(f"{c.code}{c.label} ({len(c.data)} bytes)")
        return f"type {frame.type_code!r} address {frame.address}: " + ", ".join(parts)


# -- the sign side (used by the virtual board) -------------------------------------------

def status_response(status: int, seq: str | None) -> bytes:
    """What a sign sends for ``F*`` (+ ``H#``): a type '0' packet with ``E*`` (+ ``G#``)."""
    cmds = [b"E*" + f"{status:02X}".encode()]
    if seq is not None:
        cmds.append(b"G" + SEQ_LABEL.encode() + seq.encode("ascii", "replace"))
    return packet(cmds, "0", "00")

