"""A virtual thermal printer: ESC/POS bytes -> the paper it would print, as a Pillow image.

Understands the commands the ticket printer sends (ESC @, ESC a, ESC E, ESC d, GS !, FS &,
GS ( k QR, GS v 0 raster, GS V cut) and reports anything else. Used for the README's picture
of a printed ticket, by tests that check what was printed, and to draw the bitmap that the
raster mode sends (so raster and text mode show the same ticket).

    .venv/bin/python -m kiosk.services.escpos_preview ticket.bin out.png
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from kiosk.config import UI_FONT

CELL = 24  # the printer's Chinese font is 24x24 dots, ASCII 12x24
LINE_GAP = 6


class EscPosError(ValueError):
    """Bytes this virtual printer does not understand; says which command and where."""


@dataclass
class Printed:
    image: Image.Image
    lines: list[str] = field(default_factory=list)  # text lines as printed (decoded)
    qr: list[str] = field(default_factory=list)  # QR contents
    cuts: int = 0


@lru_cache(maxsize=16)
def _font(px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(UI_FONT), px)


def decode(data: bytes, *, width: int = 576) -> Printed:
    """Interpret ESC/POS bytes into the printed paper (black on white)."""
    blocks: list[Image.Image] = []
    lines: list[str] = []
    qrs: list[str] = []
    align, bold, size, cuts = 0, False, 1, 0
    chinese = False
    qr_module, qr_data = 3, b""
    text = bytearray()
    i = 0

    def flush_line() -> None:
        nonlocal text
        s = text.decode("gb18030" if chinese else "latin-1", errors="replace")
        text = bytearray()
        lines.append(s)
        h = CELL * size + LINE_GAP
        img = Image.new("L", (width, h), 255)
        if s:
            # Like the printer: every ASCII character takes a 12-dot cell, every Chinese one 24.
            font = _font(CELL * size)
            d = ImageDraw.Draw(img)
            cells = [(ch, (CELL // 2 if ord(ch) < 0x80 else CELL) * size) for ch in s]
            w = sum(c for _, c in cells)
            x = {0: 0, 1: (width - w) / 2, 2: width - w}[align]
            rule = set(s) == {"-"}  # a row of dashes prints as an unbroken rule
            for ch, cw in cells:
                if rule:
                    y = LINE_GAP // 2 + CELL * size // 2
                    d.line((x, y, x + cw - 1, y), fill=0, width=max(1, size))
                else:
                    cx = x + (cw - d.textlength(ch, font=font)) / 2
                    d.text((cx, LINE_GAP // 2), ch, font=font, fill=0, stroke_width=1 if bold else 0, stroke_fill=0)
                x += cw
        blocks.append(img)

    def place(img: Image.Image) -> None:
        canvas = Image.new("L", (width, img.height), 255)
        x = {0: 0, 1: (width - img.width) // 2, 2: width - img.width}[align]
        canvas.paste(img.convert("L"), (max(0, x), 0))
        blocks.append(canvas)

    def need(n: int, what: str) -> bytes:
        if i + n > len(data):
            raise EscPosError(f"{what} cut short at byte {i}")
        return data[i:i + n]

    while i < len(data):
        b = data[i]
        if b == 0x0A:
            flush_line()
            i += 1
        elif b == 0x1B:  # ESC
            cmd = need(2, "ESC command")[1:2]
            if cmd == b"@":
                align, bold, size, chinese = 0, False, 1, False
                i += 2
            elif cmd == b"a":
                align = need(3, "ESC a")[2] % 3
                i += 3
            elif cmd == b"E":
                bold = bool(need(3, "ESC E")[2] & 1)
                i += 3
            elif cmd == b"d":
                for _ in range(need(3, "ESC d")[2]):
                    blocks.append(Image.new("L", (width, CELL + LINE_GAP), 255))
                i += 3
            else:
                raise EscPosError(f"unknown command ESC {cmd!r} at byte {i}")
        elif b == 0x1C:  # FS
            cmd = need(2, "FS command")[1:2]
            if cmd == b"&":
                chinese = True
            elif cmd == b".":
                chinese = False
            else:
                raise EscPosError(f"unknown command FS {cmd!r} at byte {i}")
            i += 2
        elif b == 0x1D:  # GS
            cmd = need(2, "GS command")[1:2]
            if cmd == b"!":
                n = need(3, "GS !")[2]
                size = max((n >> 4) + 1, (n & 0x0F) + 1)
                i += 3
            elif cmd == b"V":
                mode = need(3, "GS V")[2]
                i += 4 if mode in (65, 66) else 3
                cuts += 1
            elif cmd == b"(" and need(3, "GS (")[2:3] == b"k":
                head = need(7, "GS ( k")
                length = head[3] | (head[4] << 8)
                body = need(5 + length, "GS ( k")[5:]
                fn = body[1:2]
                if fn == b"C":
                    qr_module = body[2]
                elif fn == b"P":
                    qr_data = bytes(body[3:])
                elif fn == b"Q":
                    qrs.append(qr_data.decode("ascii", errors="replace"))
                    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=qr_module,
                                         border=2)
                    code.add_data(qr_data)
                    place(code.make_image(fill_color="black", back_color="white").get_image())
                i += 5 + length
            elif cmd == b"v" and need(3, "GS v")[2:3] == b"0":
                head = need(8, "GS v 0")
                wb, h = head[4] | (head[5] << 8), head[6] | (head[7] << 8)
                raw = need(8 + wb * h, "GS v 0 raster")[8:]
                bits = Image.frombytes("1", (wb * 8, h), bytes(x ^ 0xFF for x in raw))
                place(bits)
                i += 8 + wb * h
            else:
                raise EscPosError(f"unknown command GS {cmd!r} at byte {i}")
        elif b == 0x10:  # DLE EOT n: a status request, prints nothing
            i += 3
        elif b < 0x20 and b not in (0x0D,):
            raise EscPosError(f"unexpected control byte 0x{b:02x} at byte {i}")
        else:
            text.append(b)
            i += 1
    if text:
        flush_line()
    height = sum(b.height for b in blocks) or 1
    paper = Image.new("L", (width, height), 255)
    y = 0
    for block in blocks:
        paper.paste(block, (0, y))
        y += block.height
    return Printed(paper, lines, qrs, cuts)


def draw_layout(layout) -> Image.Image:  # type: ignore[no-untyped-def]
    """The ticket as the text-mode printer would print it (used for raster mode too)."""
    from kiosk.services.printer import text_bytes

    return decode(text_bytes(layout), width=layout.paper_dots).image


def paper_png(data: bytes, path: Path, *, width: int = 576, margin: int = 24) -> Path:
    """Save the printed paper with a grey surround, as a picture of a real ticket."""
    paper = decode(data, width=width).image
    out = Image.new("RGB", (paper.width + 2 * margin, paper.height + 2 * margin), (205, 205, 205))
    out.paste(Image.merge("RGB", (paper, paper, paper)), (margin, margin))
    path.parent.mkdir(parents=True, exist_ok=True)
    out.save(path)
    return path


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m kiosk.services.escpos_preview TICKET.bin OUT.png")
    print(paper_png(Path(sys.argv[1]).read_bytes(), Path(sys.argv[2])))
