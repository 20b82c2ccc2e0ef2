"""Onbon (仰邦) BX-5K/BX-6K controller protocol: real-time dynamic areas (动态区).

Reference: Onbon "BX-5K/6K 通讯协议 (用户版本)" — chapter 3 标准通讯格式 (frame and escaping),
4 包头数据格式 (packet header), 5 数据域定义 (request/answer, 5.1.2 答复信息), 7 ACK/NACK,
8.2.1 发送实时显示区域数据 (command 0xA3 0x06), 9.1 区域数据格式 (area data), 附录 CRC
校验算法, as published at github.com/tataba/gitbook; the tests replay the document's byte
examples (frame with CRC 0x493C, ACK 0xAC14). Field order cross-checked against Onbon's own
protocol analyser (github.com/strongercjd/Onbon-Protocol-Analysis) and a captured 0xA3 0x06
frame with CRC 0xDA82.

Frame (PHY0)::

    A5 x8 | escaped( header(14) | data(N) | CRC16(2, little-endian) ) | 5A

- escaping: A5 -> A6 02, A6 -> A6 01, 5A -> 5B 02, 5B -> 5B 01 (CRC and lengths are over
  the unescaped bytes). A receiver takes any run of A5 as the start.
- header: DstAddr(2) SrcAddr(2, PC = 0x8000) Reserved(3) BarCodeOption(1) CheckMode(1,
  0 = CRC16) DisplayMode(1) DeviceType(1, 0xFE = any) ProtocolVersion(1, 0x02) DataLen(2);
  multi-byte numbers little-endian.
- CRC16: polynomial x^16+x^15+x^2+1, reflected (0xA001), initial value 0 (CRC-16/ARC).
- data of a request: CmdGroup Cmd Response(0x01 = answer) ... ; the answer is
  CmdGroup 0xA0, Cmd 0x00 (ACK) or 0x01 (NACK), CmdError, Reserved(2).
- 0xA3 0x06: Response ProcessMode Reserved DeleteAreaNum(0xFF = all) [ids] AreaNum, then
  per area AreaDataLen(2) AreaType X Y W H(2 each; X and W with bit 15 set are in pixels)
  DynamicAreaLoc LineSpacing RunMode Timeout(2) SoundMode ExtendParaLen Align SingleLine
  NewLine DisplayMode(1 static, 2 quick, 3 left, 4 right, 5 up, 6 down) ExitMode Speed
  StayTime DataLen(4) Data (GB2312 text with escapes such as \\FO000 font, \\C1 colour).

How the board is mapped: the BX-5K/6K "字库卡" controllers draw text with their own
GB2312 fonts, so each board area (each cell of a calls/waiting grid) is one dynamic area
holding its text; the card's fonts are 16, 24 and 32 dots (\\FO000, \\FO001, \\FO002; the
``card_fonts`` setting for cards with other font files) and each area takes the one that fits
its height (`display.config.card_font_index`); a card has no 12-dot Chinese font. A call
resends only the dynamic areas whose text changed (usually one cell and the waiting line), in
one frame. Flashing is shown static (the dynamic area has no blink mode); scrolling text uses
display mode 3 (move left). At most ``max_areas`` dynamic areas (``[board]``, default 8; a
BX-6K takes 5) and 480 bytes of text per area. The header's DisplayMode is ``display_mode``
(1: dynamic areas take priority over a program stored on the card), DeviceType
``device_type`` (0xFE: any card); a backslash in the text is doubled and a character outside
GB2312 is sent as ``unknown_char``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from display.bitmap import Bitmap
from display.config import card_font_index
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
    from display.board import AreaContent
    from display.config import BoardConfig

START, END, ESC_A, ESC_B = 0xA5, 0x5A, 0xA6, 0x5B
START_RUN = 8
PC_ADDRESS = 0x8000
DEVICE_ANY = 0xFE
PROTOCOL_VERSION = 0x02
HEADER_LEN = 14
MAX_FRAME = 4096  # controllers buffer 1024 bytes of data; a longer frame is garbage
MAX_DATA = 1000
MAX_AREA_TEXT = 480

ERRORS = {
    0: "ERR_NO", 1: "ERR_OUTOFGROUP", 2: "ERR_NOCMD", 3: "ERR_BUSY", 4: "ERR_MEMORYVOLUME",
    5: "ERR_CHECKSUM", 6: "ERR_FILENOTEXIST", 7: "ERR_FLASH", 8: "ERR_FILE_DOWNLOAD",
    9: "ERR_FILE_NAME", 10: "ERR_FILE_TYPE", 11: "ERR_FILE_CRC16", 12: "ERR_FONT_NOT_EXIST",
    13: "ERR_FIRMWARE_TYPE", 14: "ERR_DATE_TIME_FORMAT", 15: "ERR_FILE_EXIST", 16: "ERR_FILE_BLOCK_NUM",
}
ERR_OUTOFGROUP, ERR_NOCMD, ERR_CHECKSUM, ERR_FONT_NOT_EXIST = 1, 2, 5, 12
MODE_STATIC, MODE_LEFT = 0x01, 0x03
ALIGN_CODES = {"left": 0, "right": 1, "center": 2}
ALIGN_NAMES = {v: k for k, v in ALIGN_CODES.items()}


def crc16(data: bytes) -> int:
    """CRC-16/ARC as in the protocol's appendix (poly 0xA001 reflected, init 0)."""
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def escape(data: bytes) -> bytes:
    out = bytearray()
    for b in data:
        if b == START:
            out += b"\xa6\x02"
        elif b == ESC_A:
            out += b"\xa6\x01"
        elif b == END:
            out += b"\x5b\x02"
        elif b == ESC_B:
            out += b"\x5b\x01"
        else:
            out.append(b)
    return bytes(out)


def frame(data: bytes, dst: int = 1, src: int = PC_ADDRESS, device_type: int = DEVICE_ANY,
          version: int = PROTOCOL_VERSION, display_mode: int = 0, start_run: int = START_RUN) -> bytes:
    """A whole PHY0 frame around the data field `data`."""
    header = (dst.to_bytes(2, "little") + src.to_bytes(2, "little") + bytes(3) + b"\x00\x00"
              + bytes([display_mode, device_type, version]) + len(data).to_bytes(2, "little"))
    body = header + data
    return bytes([START] * start_run) + escape(body + crc16(body).to_bytes(2, "little")) + bytes([END])


@dataclass(frozen=True)
class Frame:
    """One decoded frame (PHY1 level: header fields and the data field)."""

    dst: int
    src: int
    check_mode: int
    display_mode: int
    device_type: int
    version: int
    data: bytes
    raw: bytes = field(default=b"", repr=False, compare=False)

    @property
    def command(self) -> tuple[int, int]:
        return (self.data[0], self.data[1]) if len(self.data) >= 2 else (-1, -1)


class BxDecoder(FrameDecoder):
    """Byte stream -> `Frame`s and `ProtocolError`s; any 0xA5 starts a new frame."""

    max_frame = MAX_FRAME

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._state = "idle"
        self._body = bytearray()
        self._garbage = 0
        self._pending_escape = 0

    def feed(self, data: bytes) -> list:
        out: list = []
        for b in data:
            self._step(b, out)
        return out

    def _step(self, b: int, out: list) -> None:
        if b == START:
            if self._state == "body" and self._body:
                out.append(ProtocolError(f"frame cut short after {len(self._body)} bytes (a new 0xA5 arrived)"))
            elif self._state == "idle" and self._garbage:
                out.append(ProtocolError(f"skipped {self._garbage} stray byte(s) before 0xA5"))
            self._garbage = 0
            self._state = "body"
            self._body.clear()
            self._pending_escape = 0
            return
        if self._state == "idle":
            self._garbage += 1
            return
        if self._pending_escape:
            esc, self._pending_escape = self._pending_escape, 0
            table = {ESC_A: {1: ESC_A, 2: START}, ESC_B: {1: ESC_B, 2: END}}[esc]
            if b not in table:
                self._fail(out, ProtocolError(f"invalid escape 0x{esc:02X} 0x{b:02X} at byte {len(self._body)}"))
                return
            self._body.append(table[b])
        elif b in (ESC_A, ESC_B):
            self._pending_escape = b
        elif b == END:
            self._finish(out)
        else:
            self._body.append(b)
        if len(self._body) > self.max_frame:
            self._fail(out, ProtocolError(f"frame longer than {self.max_frame} bytes without 0x5A"))

    @staticmethod
    def parse(body: bytes) -> object:
        return parse_body(body)

    def _fail(self, out: list, error: ProtocolError) -> None:
        out.append(error)
        self._state = "idle"
        self._body.clear()
        self._pending_escape = 0

    def _finish(self, out: list) -> None:
        body = bytes(self._body)
        self._state = "idle"
        self._body.clear()
        try:
            out.append(self.parse(body))
        except ProtocolError as exc:
            out.append(exc)


def parse_body(body: bytes) -> Frame:
    """Check and split an unescaped frame body (header + data + CRC)."""
    if len(body) < HEADER_LEN + 2:
        raise ProtocolError(f"frame of {len(body)} bytes is shorter than header + CRC ({HEADER_LEN + 2})")
    header_len = HEADER_LEN + (16 if body[7] & 1 else 0)  # BarCode option adds 16 bytes
    if len(body) < header_len + 2:
        raise ProtocolError(f"frame of {len(body)} bytes too short for a barcode header")
    check_mode = body[header_len - 6]
    data_len = int.from_bytes(body[header_len - 2:header_len], "little")
    data = body[header_len:-2]
    if len(data) != data_len:
        raise ProtocolError(f"header says {data_len} data bytes, frame carries {len(data)}")
    got = int.from_bytes(body[-2:], "little")
    if check_mode == 0:
        want = crc16(body[:-2])
    elif check_mode == 1:
        want = sum(body[:-2]) & 0xFFFF
    else:
        want = got  # check mode 2: no check
    if got != want:
        raise ChecksumError(f"CRC 0x{got:04X} does not match computed 0x{want:04X} ({len(body)}-byte frame)")
    return Frame(
        dst=int.from_bytes(body[0:2], "little"), src=int.from_bytes(body[2:4], "little"),
        check_mode=check_mode, display_mode=body[header_len - 5], device_type=body[header_len - 4],
        version=body[header_len - 3], data=data, raw=body,
    )


# -- dynamic areas -----------------------------------------------------------------------

@dataclass(frozen=True)
class DynamicArea:
    """One dynamic area as sent in (or parsed from) a 0xA3 0x06 command."""

    area_id: int
    x: int
    y: int
    width: int
    height: int
    text: bytes
    display_mode: int = MODE_STATIC
    align: int = 0
    run_mode: int = 0
    speed: int = 0x04
    stay: int = 0x0A
    timeout: int = 0
    single_line: int = 0x01
    new_line: int = 0x01
    line_spacing: int = 0

    def encode(self) -> bytes:
        body = (bytes([0x00]) + (self.x | 0x8000).to_bytes(2, "little") + self.y.to_bytes(2, "little")
                + (self.width | 0x8000).to_bytes(2, "little") + self.height.to_bytes(2, "little")
                + bytes([self.area_id, self.line_spacing, self.run_mode]) + self.timeout.to_bytes(2, "little")
                + bytes([0x00, 0x00, self.align, self.single_line, self.new_line, self.display_mode, 0x00,
                         self.speed, self.stay])
                + len(self.text).to_bytes(4, "little") + self.text)
        return len(body).to_bytes(2, "little") + body


def dynamic_area_command(areas: list[DynamicArea], delete: list[int] | None = None, delete_all: bool = False,
                         response: int = 0x01) -> bytes:
    """The data field of 0xA3 0x06: delete some/all areas, then update `areas`."""
    out = bytearray([0xA3, 0x06, response, 0x00, 0x00])
    if delete_all:
        out.append(0xFF)
    else:
        ids = delete or []
        out.append(len(ids))
        out += bytes(ids)
    out.append(len(areas))
    for area in areas:
        out += area.encode()
    return bytes(out)


@dataclass(frozen=True)
class DynamicUpdate:
    response: int
    delete_all: bool
    delete: tuple[int, ...]
    areas: tuple[DynamicArea, ...]


def _coord(value: int) -> int:
    return value & 0x7FFF if value & 0x8000 else value * 8


class FieldReader:
    """Reads a data field front to back; a field running past the end is a ProtocolError
    naming the command, the field and the byte (used by the BX and BX picture parsers)."""

    def __init__(self, data: bytes, command: str) -> None:
        self.data, self.command, self.pos = data, command, 0

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise ProtocolError(f"{self.command}: data ends inside {what} (byte {self.pos}, need {n})")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def num(self, n: int, what: str) -> int:
        """A little-endian number of `n` bytes."""
        return int.from_bytes(self.take(n, what), "little")


def parse_dynamic_update(data: bytes) -> DynamicUpdate:
    """Parse the data field of a 0xA3 0x06 command (raises ProtocolError naming the field)."""
    reader = FieldReader(data, "0xA3 0x06")
    take = reader.take

    if take(2, "command") != b"\xa3\x06":
        raise ProtocolError("not a 0xA3 0x06 dynamic area command")
    response = take(1, "Response")[0]
    take(2, "ProcessMode/Reserved")
    delete_num = take(1, "DeleteAreaNum")[0]
    delete_all = delete_num == 0xFF
    delete = () if delete_all else tuple(take(delete_num, "DeleteAreaId"))
    count = take(1, "AreaNum")[0]
    areas = []
    for i in range(count):
        length = int.from_bytes(take(2, f"AreaDataLen{i}"), "little")
        end = reader.pos + length
        if end > len(data):
            raise ProtocolError(f"area {i}: AreaDataLen {length} runs past the data field")
        take(1, "AreaType")
        x, y, w, h = (int.from_bytes(take(2, n), "little") for n in ("AreaX", "AreaY", "AreaWidth", "AreaHeight"))
        area_id, spacing, run_mode = take(3, "DynamicAreaLoc/Lines_sizes/RunMode")
        timeout = int.from_bytes(take(2, "Timeout"), "little")
        sound = take(1, "SoundMode")[0]
        if sound:
            take(3, "SoundPerson/Volume/Speed")
            if sound == 2:
                take(int.from_bytes(take(4, "SoundDataLen"), "little"), "SoundData")
        ext = take(1, "ExtendParaLen")[0]
        take(ext, "extended parameters")
        align, single, newline, mode, _exit, speed, stay = take(7, "display parameters")
        text = take(int.from_bytes(take(4, "DataLen"), "little"), "Data")
        if reader.pos != end:
            raise ProtocolError(f"area {i}: AreaDataLen says {length} bytes, "
                                f"fields use {length - (end - reader.pos)}")
        areas.append(DynamicArea(area_id, _coord(x), y, _coord(w), h, text, mode, align & 3, run_mode, speed, stay,
                                 timeout, single, newline, spacing))
    return DynamicUpdate(response, delete_all, delete, tuple(areas))


def ack_of(command: tuple[int, int], error: int) -> Ack | None:
    """An answer's command read as ACK (0xA0 0x00) or NACK (0xA0 0x01, with the card's error
    code); None for anything else. Shared by the BX-5K/6K and picture-card answers."""
    if command[0] != 0xA0 or command[1] not in (0, 1):
        return None
    if command[1] == 0x00:
        return Ack(True, "ACK")
    return Ack(False, f"NACK {ERRORS.get(error, f'error {error}')}")


def answer(request: Frame, ok: bool, error: int = 0) -> bytes:
    """The controller's ACK/NACK to `request` (addresses swapped)."""
    return frame(bytes([0xA0, 0x00 if ok else 0x01, error, 0, 0]), dst=request.src, src=request.dst,
                 device_type=request.device_type, version=request.version)


def nack_for_garbage(error: int = ERR_CHECKSUM, dst: int = PC_ADDRESS, src: int = 1) -> bytes:
    return frame(bytes([0xA0, 0x01, error, 0, 0]), dst=dst, src=src)


# -- text escapes ------------------------------------------------------------------------

def encode_text(text: str, font: int, colour: int, dual: bool, unknown: str = "?") -> bytes:
    """Area text as the controller reads it: font (and colour) escapes, then GB2312.

    `font` is the card font's number (\\FO000 = the card's font 0). A backslash in the text
    is doubled (a single one starts an escape); a character outside GB2312 is sent as
    `unknown`.
    """
    from display.render import clean_text

    prefix = f"\\FO{font:03d}"
    if dual:
        prefix += f"\\C{colour}"
    body = bytearray()
    for ch in clean_text(text):
        try:
            body += ch.encode("gb2312")
        except UnicodeEncodeError:
            body += unknown.encode("gb2312", "replace")
        if ch == "\\":
            body += b"\\"
    data = prefix.encode("ascii") + bytes(body)
    if len(data) > MAX_AREA_TEXT:
        data = data[:MAX_AREA_TEXT]
        data = data.decode("gb2312", "ignore").encode("gb2312")  # never end inside a character
    return data


def decode_text(data: bytes) -> tuple[str, int, int]:
    """(text, font number, colour) from area data: strips \\FOnnn and \\Cn escapes; a doubled
    backslash is one backslash."""
    text = data.decode("gbk", "replace")
    font, colour = 0, 1
    out = []
    i = 0
    while i < len(text):
        if text.startswith("\\\\", i):
            out.append("\\")
            i += 2
        elif text.startswith("\\FO", i) and text[i + 3:i + 6].isdigit():
            font = int(text[i + 3:i + 6])
            i += 6
        elif text.startswith("\\C", i) and i + 2 < len(text) and text[i + 2].isdigit():
            colour = int(text[i + 2]) or 1
            i += 3
        else:
            out.append(text[i])
            i += 1
    return "".join(out), font, colour


# -- the board mapping -------------------------------------------------------------------

@dataclass(frozen=True)
class Slot:
    """A board area (or one cell of a calls/waiting grid) = one dynamic area."""

    area_id: int
    area: str
    cell: int  # -1: the whole area
    x: int
    y: int
    width: int
    height: int


def cell_texts(content: AreaContent, columns: int, rows: int, cell_w: int, cell_h: int) -> list[str]:
    """Which text each cell of a grid area shows.

    `AreaContent.text` lists only the non-empty cells; a cell whose pixels are dark is
    empty, the others take the texts in order.
    """
    texts = iter(t for t in content.text.split("\n") if t)
    out = []
    for i in range(rows * columns):
        row, col = divmod(i, columns)
        crop = content.bitmap.crop(col * cell_w, row * cell_h, cell_w, cell_h)
        out.append(next(texts, "") if any(crop.pixels) else "")
    return out


class BxProtocol(BoardProtocol):
    """BX-5K/6K dynamic areas: one per board area or grid cell, text drawn by the controller."""

    name = "bx"
    title = "Onbon BX-5K/6K 动态区 (0xA3 0x06)"
    expects_ack = True
    ack_per_frame = True

    def __init__(self, config: BoardConfig, max_areas: int | None = None, device_type: int | None = None) -> None:
        super().__init__(config)
        self.device_type = config.device_type if device_type is None else device_type
        max_areas = config.max_areas if max_areas is None else max_areas
        # Broadcast address 1 (0xFFFF): controllers never answer, so nothing to wait for.
        self.expects_ack = config.address != 0xFFFF
        self.response = 0x01 if self.expects_ack else 0x02
        self._encoded: list[tuple[BoardContentLike, dict[int, DynamicArea]]] = []
        self.slots: list[Slot] = []
        for area in config.areas:
            if area.kind in ("calls", "waiting") and area.rows * area.columns > 1:
                cw, ch = area.cell_size
                for i in range(area.rows * area.columns):
                    row, col = divmod(i, area.columns)
                    self.slots.append(Slot(len(self.slots), area.name, i, area.x + col * cw, area.y + row * ch, cw, ch))
            else:
                self.slots.append(Slot(len(self.slots), area.name, -1, area.x, area.y, area.width, area.height))
        if len(self.slots) > max_areas:
            raise ValueError(
                f"the layout needs {len(self.slots)} dynamic areas (areas plus grid cells), "
                f"the controller supports {max_areas}")

    def _frame(self, data: bytes) -> bytes:
        if not self.expects_ack:
            data = data[:2] + bytes([self.response]) + data[3:]
        return frame(data, dst=self.config.address, device_type=self.device_type,
                     display_mode=self.config.display_mode)

    def slot_areas(self, content: BoardContentLike | None) -> dict[int, DynamicArea]:
        """Every slot's dynamic area for `content` (slots of missing areas are left out).

        The areas of the last few contents are kept (by identity, with the content): what the
        board shows is encoded once, not again for every call."""
        if content is None:
            return {}
        for seen, areas in self._encoded:
            if seen is content:
                return areas
        areas = self._slot_areas(content)
        self._encoded = [(content, areas), *self._encoded[:3]]
        return areas

    def _slot_areas(self, content: BoardContentLike) -> dict[int, DynamicArea]:
        out: dict[int, DynamicArea] = {}
        dual = self.config.colours == 2
        for area in self.config.areas:
            item = content.get(area.name)
            if item is None:
                continue
            slots = [s for s in self.slots if s.area == area.name]
            if slots[0].cell >= 0:
                cw, ch = area.cell_size
                texts = cell_texts(item, area.columns, area.rows, cw, ch)
                mode = MODE_STATIC
            else:
                texts = [item.text]
                mode = MODE_LEFT if item.effect == "scroll" else MODE_STATIC
            font = card_font_index(self.config, area)
            if font is None:  # the config refuses this; a hand-built one gets the smallest font
                font = self.config.card_fonts.index(min(self.config.card_fonts))
            for slot, text in zip(slots, texts, strict=True):
                out[slot.area_id] = DynamicArea(
                    slot.area_id, slot.x, slot.y, slot.width, slot.height,
                    encode_text(text, font, area.colour_value, dual, self.config.unknown_char), mode,
                    ALIGN_CODES[area.align])
        return out

    def memory_setup(self) -> list[bytes]:
        return [self._frame(dynamic_area_command([], delete_all=True))]

    def encode_update(self, new: BoardContentLike, shown: ShownState) -> list[bytes]:
        """One frame (more if over the 1 KB buffer) with the dynamic areas that differ from
        what the controller may show (`shown`: content, list of possible contents, or None)."""
        new_areas = self.slot_areas(new)
        old = [None if s is None else self.slot_areas(s) for s in possible_states(shown)]
        changed = [a for i, a in sorted(new_areas.items()) if any(o is None or o.get(i) != a for o in old)]
        frames: list[bytes] = []
        group: list[DynamicArea] = []
        size = 8
        for area in changed:
            n = len(area.encode())
            if group and size + n > MAX_DATA:
                frames.append(self._frame(dynamic_area_command(group)))
                group, size = [], 8
            group.append(area)
            size += n
        if group:
            frames.append(self._frame(dynamic_area_command(group)))
        return frames

    def decoder(self) -> BxDecoder:
        return BxDecoder()

    def parse_ack(self, frame: object) -> Ack | None:
        if not isinstance(frame, Frame):
            return None
        return ack_of(frame.command, frame.data[2] if len(frame.data) > 2 else -1)

    def describe(self, item: object) -> str:
        def detail(frame: Frame) -> str:
            if frame.command != (0xA3, 0x06):
                return ""
            upd = parse_dynamic_update(frame.data)
            parts = [f"area {a.area_id} ({a.x},{a.y} {a.width}x{a.height}) {decode_text(a.text)[0]!r}" for a in upd.areas]
            return (" delete all;" if upd.delete_all else "") + " " + "; ".join(parts)

        return describe_frame(item, Frame, detail)


def describe_frame(item: object, frame_type: type, detail: Callable[[Any], str]) -> str:
    """One line for `led-send --dump`: addresses and command, then `detail(frame)` (a
    ProtocolError from it is shown as a malformed frame). Shared by both BX protocols."""
    if isinstance(item, ProtocolError):
        return f"error: {item}"
    if not isinstance(item, frame_type):
        return repr(item)
    frame: Any = item
    head = f"dst 0x{frame.dst:04X} src 0x{frame.src:04X} cmd {frame.command[0]:02X} {frame.command[1]:02X}"
    try:
        return head + detail(frame)
    except ProtocolError as exc:
        return f"{head} (malformed: {exc})"


def render_area(area: DynamicArea, card_fonts: list[int] | tuple[int, ...] = (16, 24, 32)) -> Bitmap:
    """What the controller draws for a dynamic area: the text in the card font it names (as
    tall as that font: a font taller than the area is clipped, as on a real card), aligned,
    cut. KeyError-free: the caller refuses unknown fonts first (`font_of`)."""
    from display.render import fit_text

    text, font, colour = decode_text(area.text)
    return fit_text(text, card_fonts[font], area.width, area.height, ALIGN_NAMES.get(area.align, "left"), "cut",
                    colour)


def font_of(area: DynamicArea) -> int:
    """The card font number a dynamic area's text asks for."""
    return decode_text(area.text)[1]
