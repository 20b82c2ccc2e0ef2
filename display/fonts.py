"""Bitmap pixel fonts for the LED board: exact pixels, no anti-aliasing.

Two bundled fonts (licences in assets/fonts/):

- 16 px: GNU Unifont, ``unifont.hex``. Each line is ``CODEPOINT:HEX``; 32 hex digits are an
  8x16 glyph, 64 hex digits a 16x16 glyph, rows top to bottom, leftmost pixel in the highest bit.
- 12 px: WenQuanYi Bitmap Song 9pt, ``wenquanyi_9pt.pcf`` (PIXEL_SIZE 12). Parsed here from the
  X11 PCF format (Pillow's PCF reader only handles 8-bit encodings, this font is ISO10646).

Both load lazily on first use and cache decoded glyphs. A character the font lacks (an emoji,
a rare plane-2 汉字) renders as a visible replacement box rather than failing: a board that
shows a box is better than a board that shows nothing.

Public API: ``get_font(px)`` -> ``PixelFont``; ``PixelFont.glyph(ch)`` -> ``Glyph``.
"""

from __future__ import annotations

import struct
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from display.errors import DisplayError

FONT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
UNIFONT_PATH = FONT_DIR / "unifont.hex"
WQY12_PATH = FONT_DIR / "wenquanyi_9pt.pcf"

SIZES = (12, 16, 24, 32)
"""12 and 16 px are the bundled fonts; 24 and 32 px are them drawn at double size (the dot
heights of a BX card's 24- and 32-dot fonts, so the virtual board draws what a card would)."""


class FontError(DisplayError):
    """A font file is missing or damaged (names the file and what is wrong)."""


@dataclass(frozen=True)
class Glyph:
    """One character cell: ``height`` rows of ``width`` pixels.

    ``rows[y]`` is an int whose bit ``width - 1 - x`` is pixel (x, y): leftmost pixel in the
    highest bit. ``missing`` is True for the replacement box drawn for an unknown character.
    """

    width: int
    height: int
    rows: tuple[int, ...]
    missing: bool = False

    def pixel(self, x: int, y: int) -> bool:
        return bool((self.rows[y] >> (self.width - 1 - x)) & 1)


def _replacement_box(width: int, height: int) -> Glyph:
    """A hollow rectangle with one pixel of margin: visibly "something was here"."""
    if width < 4 or height < 4:
        return Glyph(width, height, tuple([0] * height), missing=True)
    inner = ((1 << (width - 2)) - 1) << 1  # columns 1..width-2
    edge = inner
    side = (1 << (width - 2)) | 1 << 1  # columns 1 and width-2
    rows = [0] + [edge] + [side] * (height - 4) + [edge] + [0]
    return Glyph(width, height, tuple(rows), missing=True)


def _skipped(ch: str) -> bool:
    """Invisible characters that take no room: format and combining marks, variation selectors."""
    return unicodedata.category(ch) in ("Cf", "Mn", "Me")


class PixelFont:
    """A fixed-height bitmap font. Subclasses provide ``_load_glyph``."""

    def __init__(self, px: int, name: str) -> None:
        self.px = px  # line height in pixels; every glyph is exactly this tall
        self.name = name
        self._cache: dict[str, Glyph] = {}
        self._lock = threading.Lock()  # the link thread and the UI thread may both render

    # -- for subclasses -------------------------------------------------------------------
    def _load_glyph(self, codepoint: int) -> Glyph | None:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def space_width(self) -> int:
        return self.px // 2

    # -- public ---------------------------------------------------------------------------
    def glyph(self, ch: str) -> Glyph:
        """The glyph for one character; whitespace maps to a blank cell, unknowns to a box."""
        cached = self._cache.get(ch)
        if cached is not None:
            return cached
        with self._lock:
            glyph = self._resolve(ch)
            self._cache[ch] = glyph
        return glyph

    def has_glyph(self, ch: str) -> bool:
        return not self.glyph(ch).missing

    def _resolve(self, ch: str) -> Glyph:
        if ch == "\u3000":  # ideographic space: a full-width blank
            return Glyph(self.px, self.px, tuple([0] * self.px))
        if ch.isspace():
            return Glyph(self.space_width, self.px, tuple([0] * self.px))
        if _skipped(ch):
            return Glyph(0, self.px, tuple([0] * self.px))
        glyph = self._load_glyph(ord(ch))
        if glyph is None:
            return _replacement_box(self.px, self.px)
        return glyph

    def text_width(self, text: str) -> int:
        return sum(self.glyph(ch).width for ch in text)


class UnifontHex(PixelFont):
    """GNU Unifont from its .hex source: 16 px tall, 8 or 16 px wide glyphs."""

    def __init__(self, path: Path = UNIFONT_PATH) -> None:
        super().__init__(16, "GNU Unifont")
        self.path = path
        self._hex: dict[int, str] | None = None

    def _index(self) -> dict[int, str]:
        # Reading all ~57k lines into a dict of hex strings takes ~40 ms; glyphs are decoded
        # only when first drawn.
        if self._hex is None:
            table: dict[int, str] = {}
            try:
                with open(self.path, encoding="ascii") as f:
                    for lineno, line in enumerate(f, 1):
                        cp, sep, digits = line.partition(":")
                        if not sep:
                            if line.strip():
                                raise FontError(f"{self.path}:{lineno}: expected CODEPOINT:HEX")
                            continue
                        try:
                            table[int(cp, 16)] = digits.strip()
                        except ValueError as e:
                            raise FontError(f"{self.path}:{lineno}: bad codepoint {cp!r}") from e
            except OSError as e:
                raise FontError(f"cannot read 16 px font {self.path}: {e}") from e
            self._hex = table
        return self._hex

    def _load_glyph(self, codepoint: int) -> Glyph | None:
        digits = self._index().get(codepoint)
        if digits is None:
            return None
        if len(digits) == 32:
            width, step = 8, 2
        elif len(digits) == 64:
            width, step = 16, 4
        else:
            return None  # damaged line: show the replacement box for this character only
        rows = tuple(int(digits[i:i + step], 16) for i in range(0, len(digits), step))
        return Glyph(width, 16, rows)


# PCF table types and format bits (X11 pcf.h)
_PCF_PROPERTIES = 1 << 0
_PCF_ACCELERATORS = 1 << 1
_PCF_METRICS = 1 << 2
_PCF_BITMAPS = 1 << 3
_PCF_BDF_ENCODINGS = 1 << 5
_PCF_BDF_ACCELERATORS = 1 << 8
_PCF_COMPRESSED_METRICS = 0x100
_PCF_BYTE_MSB = 1 << 2
_PCF_BIT_MSB = 1 << 3


class PcfFont(PixelFont):
    """An X11 PCF bitmap font (here WenQuanYi Bitmap Song 12 px), glyphs decoded on demand."""

    def __init__(self, path: Path = WQY12_PATH, px: int = 12) -> None:
        super().__init__(px, path.stem)
        self.path = path
        self._data: bytes | None = None

    def _fail(self, what: str) -> FontError:
        return FontError(f"damaged PCF font {self.path}: {what}")

    def _open(self) -> None:
        if self._data is not None:
            return
        try:
            data = self.path.read_bytes()
        except OSError as e:
            raise FontError(f"cannot read 12 px font {self.path}: {e}") from e
        try:
            self._parse(data)
        except struct.error as e:
            raise self._fail(f"truncated ({e})") from e
        self._data = data

    def _table(self, data: bytes, kind: int) -> tuple[int, str, int]:
        entry = self._toc.get(kind)
        if entry is None:
            raise self._fail(f"table {kind:#x} missing")
        fmt = struct.unpack_from("<i", data, entry)[0]
        return fmt, (">" if fmt & _PCF_BYTE_MSB else "<"), entry + 4

    def _parse(self, data: bytes) -> None:
        if data[:4] != b"\x01fcp":
            raise self._fail("bad magic")
        (count,) = struct.unpack_from("<i", data, 4)
        self._toc: dict[int, int] = {}
        for i in range(count):
            kind, _fmt, _size, offset = struct.unpack_from("<iiii", data, 8 + 16 * i)
            self._toc[kind] = offset

        # Font ascent/descent: the baseline position in a line.
        accel = _PCF_BDF_ACCELERATORS if _PCF_BDF_ACCELERATORS in self._toc else _PCF_ACCELERATORS
        _fmt, e, p = self._table(data, accel)
        font_ascent, font_descent = struct.unpack_from(e + "ii", data, p + 8)
        # The font's bounding box (12 up, 3 down for WenQuanYi) is taller than its pixel size;
        # put the baseline so that 汉字 (10 up, 1 down) and Latin descenders (2 down) fit in
        # exactly `px` rows: otherwise the bottom of every 汉字 would be cut off.
        self.descent = min(font_descent, 2)
        self.ascent = min(font_ascent, self.px - self.descent)

        # Metrics per glyph index: (left bearing, right bearing, advance, ascent, descent).
        fmt, e, p = self._table(data, _PCF_METRICS)
        if fmt & _PCF_COMPRESSED_METRICS:
            (n,) = struct.unpack_from(e + "h", data, p)
            raw = data[p + 2:p + 2 + 5 * n]
            self._metrics = [tuple(b - 0x80 for b in raw[5 * i:5 * i + 5]) for i in range(n)]
        else:
            (n,) = struct.unpack_from(e + "i", data, p)
            self._metrics = [struct.unpack_from(e + "hhhhh", data, p + 4 + 12 * i) for i in range(n)]

        fmt, e, p = self._table(data, _PCF_BITMAPS)
        (n,) = struct.unpack_from(e + "i", data, p)
        self._bitmap_offsets = struct.unpack_from(e + f"{n}i", data, p + 4)
        self._bitmap_base = p + 4 + 4 * n + 16
        self._bitmap_format = fmt

        fmt, e, p = self._table(data, _PCF_BDF_ENCODINGS)
        min2, max2, min1, max1, _default = struct.unpack_from(e + "hhhhh", data, p)
        self._enc = (min2, max2, min1, max1)
        cols = max2 - min2 + 1
        count = cols * (max1 - min1 + 1)
        self._enc_index = struct.unpack_from(e + f"{count}H", data, p + 10)

    def _glyph_index(self, codepoint: int) -> int | None:
        min2, max2, min1, max1 = self._enc
        b1, b2 = codepoint >> 8, codepoint & 0xFF
        if not (min1 <= b1 <= max1 and min2 <= b2 <= max2):
            return None
        index = self._enc_index[(b1 - min1) * (max2 - min2 + 1) + (b2 - min2)]
        if index == 0xFFFF or index >= len(self._metrics):
            return None
        return index

    def _load_glyph(self, codepoint: int) -> Glyph | None:
        self._open()
        index = self._glyph_index(codepoint)
        if index is None:
            return None
        lsb, rsb, advance, g_ascent, g_descent = self._metrics[index]
        ink_w, ink_h = rsb - lsb, g_ascent + g_descent
        fmt = self._bitmap_format
        pad = 1 << (fmt & 3)
        row_bytes = ((ink_w + 7) // 8 + pad - 1) // pad * pad
        unit = 1 << ((fmt >> 4) & 3)
        start = self._bitmap_base + self._bitmap_offsets[index]
        assert self._data is not None
        raw = bytearray(self._data[start:start + row_bytes * ink_h])
        if ink_w < 0 or ink_h < 0 or len(raw) < row_bytes * ink_h:
            return None  # damaged entry: a replacement box for this character only
        if unit > 1 and not fmt & _PCF_BYTE_MSB:  # scan units stored little-endian: swap back
            for i in range(0, len(raw), unit):
                raw[i:i + unit] = raw[i:i + unit][::-1]
        width = max(advance, 0)
        rows = [0] * self.px
        top = self.ascent - g_ascent  # glyph's first ink row within the line
        for gy in range(ink_h):
            y = top + gy
            if not 0 <= y < self.px:
                continue
            line = raw[gy * row_bytes:(gy + 1) * row_bytes]
            bits = 0
            for gx in range(ink_w):
                byte = line[gx >> 3]
                bit = (byte >> (7 - (gx & 7))) & 1 if fmt & _PCF_BIT_MSB else (byte >> (gx & 7)) & 1
                if bit:
                    x = lsb + gx
                    if 0 <= x < width:
                        bits |= 1 << (width - 1 - x)
            rows[y] = bits
        return Glyph(width, self.px, tuple(rows))


_FONTS: dict[int, PixelFont] = {}
_FONTS_LOCK = threading.Lock()


class DoubledFont(PixelFont):
    """A font at twice the size of `base`: each dot becomes 2x2 (24 px from 12, 32 px from 16)."""

    def __init__(self, base: PixelFont) -> None:
        super().__init__(base.px * 2, f"{base.name} x2")
        self.base = base

    def _load_glyph(self, codepoint: int) -> Glyph | None:
        glyph = self.base._load_glyph(codepoint)
        if glyph is None:
            return None
        rows: list[int] = []
        for row in glyph.rows:
            wide = 0
            for x in range(glyph.width):
                wide = (wide << 2) | (0b11 if (row >> (glyph.width - 1 - x)) & 1 else 0)
            rows += [wide, wide]
        return Glyph(glyph.width * 2, glyph.height * 2, tuple(rows))


def get_font(px: int) -> PixelFont:
    """The pixel font for a line height of 12, 16, 24 or 32 px (created once, shared)."""
    if px not in SIZES:
        raise ValueError(f"no pixel font of {px} px; available sizes: {', '.join(map(str, SIZES))}")
    with _FONTS_LOCK:
        font = _FONTS.get(px)
        if font is None:
            if px in (24, 32):
                font = DoubledFont(get_font_unlocked(px // 2))
            else:
                font = UnifontHex() if px == 16 else PcfFont()
            _FONTS[px] = font
    return font


def get_font_unlocked(px: int) -> PixelFont:
    """`get_font` for 12/16 px while `_FONTS_LOCK` is already held."""
    font = _FONTS.get(px)
    if font is None:
        font = _FONTS[px] = UnifontHex() if px == 16 else PcfFont()
    return font
