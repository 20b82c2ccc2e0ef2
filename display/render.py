"""Text to LED pixels: exact bitmap-font rendering, fitting into areas, scrolling, the whole board.

Everything here is pure and deterministic (same text -> same pixels), so golden tests can pin
it and the link can compare bitmaps to find what changed.

- `render_text(text, font_px, colour)`: one line of text, as wide as it needs to be.
- `fit_text(...)` / `render_area_text(text, area)`: text placed in an area's rectangle with
  alignment; wider text is cut, or kept whole for scrolling (bitmap wider than the area).
- `scroll_frame(bitmap, area_width, offset)`: what a scrolling area shows at one step.
- `render_board(content, config)`: the whole board at one moment (scroll offset, flash phase).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING

from display.bitmap import Bitmap
from display.config import Align, AreaConfig, BoardConfig, Overflow
from display.fonts import get_font

if TYPE_CHECKING:
    from display.board import BoardContent


def clean_text(text: str) -> str:
    """Board text is one line: newlines and tabs become spaces."""
    return "".join(" " if ch in "\r\n\t\v\f" else ch for ch in text)


def text_width(text: str, font_px: int) -> int:
    """Width in pixels of `text` rendered with the `font_px` font."""
    return get_font(font_px).text_width(clean_text(text))


def render_text(text: str, font_px: int = 16, colour: int = 1) -> Bitmap:
    """Render one line of `text` at its natural width and exactly `font_px` rows high.

    Each lit pixel gets the value `colour` (1 red, 2 green, 3 amber). Characters the font
    lacks are drawn as a hollow replacement box; newlines are treated as spaces.
    """
    if colour not in (1, 2, 3):
        raise ValueError(f"colour must be 1 (red), 2 (green) or 3 (amber), got {colour!r}")
    width, pixels = _rendered(text, font_px, colour)
    return Bitmap(width, font_px, bytearray(pixels))  # a copy: callers may draw on it


@functools.lru_cache(maxsize=512)
def _rendered(text: str, font_px: int, colour: int) -> tuple[int, bytes]:
    """The pixels of one line, kept: a call re-renders the board, mostly the same lines
    (title, notices, waiting counts), and the call's time to the wire counts."""
    font = get_font(font_px)
    glyphs = [font.glyph(ch) for ch in clean_text(text)]
    width = sum(g.width for g in glyphs)
    out = Bitmap(width, font_px)
    pixels = out.pixels
    x0 = 0
    for g in glyphs:
        gw = g.width
        for y, row in enumerate(g.rows):
            if not row:
                continue
            base = y * width + x0
            for x in range(gw):
                if (row >> (gw - 1 - x)) & 1:
                    pixels[base + x] = colour
        x0 += gw
    return width, bytes(pixels)


def fit_bitmap(
    line: Bitmap, width: int, height: int, align: Align = "left", overflow: Overflow = "cut"
) -> Bitmap:
    """Place a rendered line in a `width` x `height` box, vertically centred.

    If the line fits it is aligned left/center/right. If it is wider: with ``overflow="cut"``
    its right part is dropped; with ``overflow="scroll"`` the result keeps the whole line (a
    bitmap wider than `width`, left-aligned) for `scroll_frame` to move through.
    """
    top = (height - line.height) // 2
    if line.width > width and overflow == "scroll":
        out = Bitmap(line.width, height)
        out.blit(line, 0, top)
        return out
    if line.width >= width or align == "left":
        left = 0
    elif align == "center":
        left = (width - line.width) // 2
    else:
        left = width - line.width
    out = Bitmap(width, height)
    out.blit(line, left, top)
    return out


def fit_text(
    text: str,
    font_px: int,
    width: int,
    height: int,
    align: Align = "left",
    overflow: Overflow = "cut",
    colour: int = 1,
) -> Bitmap:
    """`render_text` then `fit_bitmap`: text in a box, cut or kept whole for scrolling."""
    return fit_bitmap(render_text(text, font_px, colour), width, height, align, overflow)


def render_area_text(text: str, area: AreaConfig) -> Bitmap:
    """Text rendered for a configured area with its font, alignment, overflow and colour."""
    return fit_text(text, area.font_px, area.width, area.height, area.align, area.overflow, area.colour_value)


def scroll_frame(bitmap: Bitmap, area_width: int, offset: int, gap: int | None = None) -> Bitmap:
    """The `area_width`-wide window of a scrolling line at step `offset` (pixels moved left).

    The line scrolls in a loop: `bitmap`, then `gap` blank columns (default: `area_width`, so
    the text fully leaves before it comes back), then `bitmap` again. Offset 0 shows the
    start of the text at the left edge; the loop repeats every ``bitmap.width + gap`` steps.
    """
    if area_width <= 0:
        raise ValueError(f"area width must be positive, got {area_width}")
    gap = area_width if gap is None else gap
    period = bitmap.width + gap
    out = Bitmap(area_width, bitmap.height)
    if period <= 0:
        return out
    start = offset % period
    # Draw the copy that covers the window start and the next one (it may wrap into view).
    out.blit(bitmap, -start, 0)
    out.blit(bitmap, period - start, 0)
    return out


def area_frame(bitmap: Bitmap, area: AreaConfig, scroll_offset: int = 0) -> Bitmap:
    """What an area shows at one moment: its bitmap, or a scroll window of it if it is wider."""
    if bitmap.width > area.width:
        return scroll_frame(bitmap, area.width, scroll_offset)
    return bitmap


def render_board(
    content: BoardContent,
    config: BoardConfig,
    scroll_offsets: Mapping[str, int] | int = 0,
    flash_on: bool = True,
) -> Bitmap:
    """The whole board (config.width x config.height) at one moment.

    `content` comes from `display.board.compose`. Scrolling areas (bitmap wider than the
    area) show `scroll_frame` at `scroll_offsets` (one offset for all, or per area name;
    default 0 = start of the text). With ``flash_on=False`` the flashing parts of areas
    (`AreaContent.flash_rects`) are blanked: alternate True/False to animate the flash.
    Areas missing from `content` stay dark.
    """
    board = Bitmap(config.width, config.height)
    for area in config.areas:
        item = content.get(area.name)
        if item is None:
            continue
        if isinstance(scroll_offsets, int):
            offset = scroll_offsets
        else:
            offset = scroll_offsets.get(area.name, 0)
        frame = area_frame(item.bitmap, area, offset)
        if not flash_on and item.effect == "flash":
            frame = Bitmap(frame.width, frame.height, bytearray(frame.pixels))
            for fx, fy, fw, fh in item.flash_rects:
                for y in range(fy, min(fy + fh, frame.height)):
                    start = y * frame.width
                    frame.pixels[start + fx:start + min(fx + fw, frame.width)] = bytes(
                        max(0, min(fx + fw, frame.width) - fx)
                    )
        board.blit(frame.crop(0, 0, area.width, area.height), area.x, area.y)
    return board
