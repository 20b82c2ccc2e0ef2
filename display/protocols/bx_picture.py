"""Onbon picture cards (图文卡: BX-5E/6E/6Q): dynamic areas sent as pictures.

These cards hold no fonts; the PC draws every dynamic area and sends its pixels. We draw
them with the same renderer and pixel fonts as the virtual board (`display.render`), so the
card shows exactly what the virtual board shows.

Reference: Onbon's own SDK for these cards, github.com/onbonlab/bx.dual.dyn.java
(``BxFrameHeader``, ``BxReq.pack``, ``BxReqSendDynArea``, ``BxAreaDynamic.build``,
``BxPage.buildPara``, ``BxPageBmp.buildData``, ``BxReqDelDynAll``/``BxReqDelDynAreas``,
``BxResp.parse``), and the field meanings in onbonlab/bx.dual.linux.cplus's "BX-G5G6 SDK
动态区接口调用说明" (RunMode, ImmePlay, page DisplayMode 0x01 静止 / 0x04 向左连移, StayTime
in 10 ms). The tests replay frames produced by running that SDK's ``pack()``.

Frame (the 6th-generation header, 16 bytes)::

    A5 x8 | escaped( DstAddr(2) SrcAddr(2, PC 0x8000) Version(1, 0xF0) Reserved(1)
                     DeviceType(2, e.g. 0x0266 BX-6Q2) Reserved(4) DataLen(4)
                     | Response(1) CmdGroup(1) Cmd(1) payload | CRC16(2) ) | 5A

Same escaping and CRC-16/ARC as BX-5K/6K (`display.protocols.bx`); numbers little-endian;
DataLen counts Response, group, command and payload.

- 0xA7 0x00 (send one dynamic area): Reserved(2) AreaNum(2, = 1) ParaLen(4) para data, where
  para = AreaId RunMode Timeout(2) RelateAllPro RelateProNum(2) [ProIds(2 each)] ImmePlay
  Reserved(4) AreaType(0x10) X Y W H(2 each) Frame Background Transparency AreaEqual Sound
  Reserved(5) PageNum(2), then per page PageLen(4, = 18 + 8) PageStyle DisplayMode ClearMode
  Speed StayTime(2) RepeatTime ValidLen(2) Reserved(9) DataOffset(4) DataLen(4); data = the
  pages' pixels, W x H x RGB888 each, rows top to bottom.
- 0xA7 0x01 (delete): Reserved(2) then 0xFF (all) or Count Ids.
- Answer: header, then Reserved(1) Group(0xA0) Cmd(0x00 ACK / 0x01 NACK) Status(2) Error(2)
  DataLen(2) data.

How the board is mapped: every area (every cell of a calls/waiting grid) is cut into tiles of
at most `TILE_PX` columns, each tile one dynamic area, so a call resends only the tiles whose
pixels changed (a picture costs 3 bytes a pixel). An area with ``effect = "scroll"`` (the
notices) is one dynamic area whose pages are the text cut into area-wide slices, moving left
(0x04). Other text wider than its area shows its first part, as on an Alpha sign: moving it
would resend the whole line as pictures on every call (20-30 KB for a waiting line instead
of ~4 KB). Tiles no longer in use are deleted (0xA7 0x01). Every dynamic area plays at once
(ImmePlay 1: a program stored on the card does not hide the queue).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from display.bitmap import Bitmap
from display.protocols import (
    Ack,
    BoardContentLike,
    BoardProtocol,
    ChecksumError,
    ProtocolError,
    ShownState,
    possible_states,
)
from display.protocols.bx import (
    END,
    PC_ADDRESS,
    START,
    START_RUN,
    BxDecoder,
    FieldReader,
    ack_of,
    crc16,
    describe_frame,
    escape,
)

if TYPE_CHECKING:
    from display.config import BoardConfig

VERSION = 0xF0
HEADER_LEN = 16
SEND_AREA, DELETE_AREAS = (0xA7, 0x00), (0xA7, 0x01)
TILE_PX = 64
PAGE_STATIC, PAGE_SCROLL_LEFT = 0x01, 0x04
RGB = {0: b"\x00\x00\x00", 1: b"\xff\x00\x00", 2: b"\x00\xff\x00", 3: b"\xff\xff\x00"}
"""Board pixel value (see `display.bitmap`) -> the RGB888 a picture carries."""


def frame(request: bytes, dst: int = 0xFFFF, src: int = PC_ADDRESS, device_type: int = 0x0266) -> bytes:
    """A whole frame around `request` (Response, group, command, payload; or an answer)."""
    header = (dst.to_bytes(2, "little") + src.to_bytes(2, "little") + bytes([VERSION, 0])
              + device_type.to_bytes(2, "little") + bytes(4) + len(request).to_bytes(4, "little"))
    body = header + request
    return bytes([START] * START_RUN) + escape(body + crc16(body).to_bytes(2, "little")) + bytes([END])


@dataclass(frozen=True)
class Page:
    """One page of a dynamic area: its pixels (RGB888, area-sized) and how it is shown."""

    rgb: bytes
    display_mode: int = PAGE_STATIC
    clear_mode: int = 0
    speed: int = 0
    stay: int = 100  # in 10 ms
    repeat: int = 1
    valid_len: int = 0  # 0: the area's width

    def para(self, width: int) -> bytes:
        return (bytes([0x00, self.display_mode, self.clear_mode, self.speed]) + self.stay.to_bytes(2, "little")
                + bytes([self.repeat]) + (self.valid_len or width).to_bytes(2, "little") + bytes(9))


@dataclass(frozen=True)
class PictureArea:
    """One dynamic area as sent in (or parsed from) a 0xA7 0x00 command."""

    area_id: int
    x: int
    y: int
    width: int
    height: int
    pages: tuple[Page, ...]
    run_mode: int = 0
    timeout: int = 0
    relate_all: int = 0
    programs: tuple[int, ...] = ()
    imme_play: int = 1

    def payload(self) -> bytes:
        """The 0xA7 0x00 payload: this area alone (the SDK sends one area per command)."""
        para = bytearray([self.area_id, self.run_mode]) + self.timeout.to_bytes(2, "little")
        para += bytes([self.relate_all]) + len(self.programs).to_bytes(2, "little")
        for p in self.programs:
            para += p.to_bytes(2, "little")
        para += bytes([self.imme_play]) + bytes(4) + bytes([0x10])
        for v in (self.x, self.y, self.width, self.height):
            para += v.to_bytes(2, "little")
        para += bytes(5) + bytes(5) + len(self.pages).to_bytes(2, "little")
        data = bytearray()
        for page in self.pages:
            page_para = page.para(self.width)
            para += (len(page_para) + 8).to_bytes(4, "little") + page_para
            para += len(data).to_bytes(4, "little") + len(page.rgb).to_bytes(4, "little")
            data += page.rgb
        return b"\x00\x00" + (1).to_bytes(2, "little") + len(para).to_bytes(4, "little") + bytes(para) + bytes(data)

    def bitmap(self, page: int = 0) -> Bitmap:
        """The pixels of one page as board pixel values (what the card lights)."""
        return rgb_to_bitmap(self.pages[page].rgb, self.width, self.height)


def bitmap_to_rgb(bitmap: Bitmap) -> bytes:
    return b"".join(RGB[min(v, 3)] for v in bitmap.pixels)


def rgb_to_bitmap(rgb: bytes, width: int, height: int) -> Bitmap:
    out = Bitmap(width, height)
    for i in range(width * height):
        r, g = rgb[3 * i] >= 0x80, rgb[3 * i + 1] >= 0x80
        out.pixels[i] = 3 if r and g else 1 if r else 2 if g else 0
    return out


def delete_payload(ids: list[int] | None) -> bytes:
    """The 0xA7 0x01 payload: delete the areas `ids`, or all of them (None)."""
    return b"\x00\x00" + (b"\xff" if ids is None else bytes([len(ids)]) + bytes(ids))


@dataclass(frozen=True)
class Frame:
    """One decoded frame: header fields, the request/answer head and the payload."""

    dst: int
    src: int
    version: int
    device_type: int
    response: int
    command: tuple[int, int]
    payload: bytes
    raw: bytes


def parse_body(body: bytes) -> Frame:
    """Check and split an unescaped frame body (header + data + CRC)."""
    if len(body) < HEADER_LEN + 3 + 2:
        raise ProtocolError(f"frame of {len(body)} bytes is shorter than header + command + CRC")
    data_len = int.from_bytes(body[12:16], "little")
    data = body[HEADER_LEN:-2]
    if len(data) != data_len:
        raise ProtocolError(f"header says {data_len} data bytes, frame carries {len(data)}")
    got, want = int.from_bytes(body[-2:], "little"), crc16(body[:-2])
    if got != want:
        raise ChecksumError(f"CRC 0x{got:04X} does not match computed 0x{want:04X} ({len(body)}-byte frame)")
    return Frame(int.from_bytes(body[0:2], "little"), int.from_bytes(body[2:4], "little"), body[4],
                 int.from_bytes(body[6:8], "little"), data[0], (data[1], data[2]), data[3:], body)


class PictureDecoder(BxDecoder):
    """Same framing as BX-5K/6K; frames up to the cards' 64 KB packets."""

    max_frame = 70 * 1024

    @staticmethod
    def parse(body: bytes) -> Frame:
        return parse_body(body)


def parse_area(payload: bytes) -> PictureArea:
    """Parse a 0xA7 0x00 payload (ProtocolError naming the field that is wrong)."""
    reader = FieldReader(payload, "0xA7 0x00")
    take, num = reader.take, reader.num
    take(2, "Reserved")
    if num(2, "AreaNum") != 1:
        raise ProtocolError("0xA7 0x00: only one area per command")
    para_len = num(4, "ParaLen")
    para_end = reader.pos + para_len
    area_id, run_mode = take(2, "AreaId/RunMode")
    timeout = num(2, "Timeout")
    relate_all = take(1, "RelateAllPro")[0]
    programs = tuple(num(2, "ProId") for _ in range(num(2, "RelateProNum")))
    imme_play = take(1, "ImmePlay")[0]
    take(4, "Reserved")
    if take(1, "AreaType")[0] != 0x10:
        raise ProtocolError("0xA7 0x00: AreaType is not 0x10 (dynamic area)")
    x, y, w, h = (num(2, n) for n in ("X", "Y", "Width", "Height"))
    take(10, "Frame/Background/Transparency/AreaEqual/Sound/Reserved")
    specs = []
    for i in range(num(2, "PageNum")):
        if num(4, f"PageLen{i}") != 26:
            raise ProtocolError(f"page {i}: PageLen is not 26")
        _style, mode, clear, speed = take(4, "PageStyle/DisplayMode/ClearMode/Speed")
        stay = num(2, "StayTime")
        repeat = take(1, "RepeatTime")[0]
        valid = num(2, "ValidLen")
        take(9, "Reserved")
        specs.append((mode, clear, speed, stay, repeat, valid, num(4, "DataOffset"), num(4, "DataLen")))
    if reader.pos != para_end:
        raise ProtocolError(f"0xA7 0x00: ParaLen says {para_len} bytes, the fields use "
                            f"{reader.pos - para_end + para_len}")
    data = payload[reader.pos:]
    pages = []
    for i, (mode, clear, speed, stay, repeat, valid, offset, length) in enumerate(specs):
        if length != w * h * 3 or offset + length > len(data):
            raise ProtocolError(f"page {i}: {length} bytes at {offset}, want {w}x{h}x3 inside {len(data)} bytes")
        pages.append(Page(bytes(data[offset:offset + length]), mode, clear, speed, stay, repeat, valid))
    return PictureArea(area_id, x, y, w, h, tuple(pages), run_mode, timeout, relate_all, programs, imme_play)


def answer(request: Frame, ok: bool, error: int = 0) -> bytes:
    """The card's ACK/NACK to `request` (as `BxResp.parse` reads it)."""
    body = bytes([0x00, 0xA0, 0x00 if ok else 0x01]) + bytes(2) + error.to_bytes(2, "little") + bytes(2)
    return frame(body, dst=request.src, src=request.dst, device_type=request.device_type)


@dataclass(frozen=True)
class Tile:
    """A piece of a board area (or grid cell) that is one dynamic area on the card."""

    area_id: int
    area: str
    x: int  # inside the area
    y: int
    width: int
    height: int
    moving: bool  # a scrolling area: pages that move left


class BxPictureProtocol(BoardProtocol):
    """BX-5E/6E/6Q dynamic areas as pictures (see the module docstring)."""

    name = "bx-picture"
    title = "Onbon BX-5E/6E/6Q 图文动态区 (0xA7 0x00)"
    expects_ack = True
    ack_per_frame = True

    def __init__(self, config: BoardConfig, tile_px: int = TILE_PX) -> None:
        super().__init__(config)
        self.tiles: list[Tile] = []
        for area in config.areas:
            if area.effect == "scroll":
                self.tiles.append(Tile(len(self.tiles), area.name, 0, 0, area.width, area.height, True))
                continue
            grid = area.kind in ("calls", "waiting") and area.rows * area.columns > 1
            cw, ch = area.cell_size if grid else (area.width, area.height)
            for cell in range(area.rows * area.columns if grid else 1):
                row, col = divmod(cell, area.columns) if grid else (0, 0)
                for left in range(0, cw, tile_px):
                    self.tiles.append(Tile(len(self.tiles), area.name, col * cw + left, row * ch,
                                           min(tile_px, cw - left), ch, False))
        if len(self.tiles) > 255:
            raise ValueError(f"the layout needs {len(self.tiles)} picture areas, a card holds at most 255")

    def _frame(self, request: bytes) -> bytes:
        return frame(request, dst=self.config.address, device_type=self.config.device_type)

    def tile_areas(self, content: BoardContentLike | None) -> dict[int, PictureArea]:
        """Every tile's dynamic area for `content` (tiles of missing areas are left out)."""
        out: dict[int, PictureArea] = {}
        if content is None:
            return out
        moving: set[str] = set()
        for tile in self.tiles:
            item = content.get(tile.area)
            if item is None or tile.area in moving:
                continue
            area = self.config.area(tile.area)
            bmp = item.bitmap
            if tile.moving:
                # A scrolling area is one dynamic area, its pages the text in area-wide slices.
                moving.add(tile.area)
                slices = range(0, bmp.width, area.width) if bmp.width > area.width else [0]
                pages = tuple(Page(bitmap_to_rgb(bmp.crop(left, 0, area.width, area.height)), PAGE_SCROLL_LEFT,
                                   speed=4) for left in slices)
                out[tile.area_id] = PictureArea(tile.area_id, area.x, area.y, area.width, area.height, pages)
                continue
            pages = (Page(bitmap_to_rgb(bmp.crop(tile.x, tile.y, tile.width, tile.height))),)
            out[tile.area_id] = PictureArea(tile.area_id, area.x + tile.x, area.y + tile.y, tile.width, tile.height,
                                            pages)
        return out

    def memory_setup(self) -> list[bytes]:
        return [self._frame(bytes([0x01, *DELETE_AREAS]) + delete_payload(None))]

    def encode_update(self, new: BoardContentLike, shown: ShownState) -> list[bytes]:
        """One frame per dynamic area whose pixels differ from what the card may show."""
        new_areas = self.tile_areas(new)
        old = [None if s is None else self.tile_areas(s) for s in possible_states(shown)]
        gone = sorted({i for o in old if o is not None for i in o} - set(new_areas))
        frames = [self._frame(bytes([0x01, *DELETE_AREAS]) + delete_payload(gone))] if gone else []
        return frames + [self._frame(bytes([0x01, *SEND_AREA]) + a.payload()) for i, a in sorted(new_areas.items())
                         if any(o is None or o.get(i) != a for o in old)]

    def decoder(self) -> PictureDecoder:
        return PictureDecoder()

    def parse_ack(self, frame: object) -> Ack | None:
        if not isinstance(frame, Frame):
            return None
        return ack_of(frame.command, int.from_bytes(frame.payload[2:4], "little") if len(frame.payload) >= 4 else -1)

    def describe(self, item: object) -> str:
        def detail(frame: Frame) -> str:
            if frame.command != SEND_AREA:
                return ""
            a = parse_area(frame.payload)
            return f" area {a.area_id} ({a.x},{a.y} {a.width}x{a.height}), {len(a.pages)} page(s)"

        return describe_frame(item, Frame, detail)
