"""LED-style pictures of a board bitmap: round dots on black, Pillow only (no Qt).

Used for README frames and by the simulator to write PNG frames. Each board pixel becomes a
round dot `dot` pixels across with `gap` dark pixels between dots; unlit dots stay faintly
visible, as on a real board.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from display.bitmap import Bitmap

BACKGROUND = (8, 8, 8)
DOT_COLOURS = {
    0: (48, 30, 28),  # unlit LED
    1: (255, 48, 32),  # red
    2: (48, 230, 72),  # green
    3: (255, 176, 32),  # amber
}


def bitmap_to_image(bitmap: Bitmap, dot: int = 4, gap: int = 1) -> Image.Image:
    """An RGB image of the bitmap as LED dots (pixel values 0 off, 1 red, 2 green, 3 amber).

    The image is ``width * (dot + gap) + gap`` by ``height * (dot + gap) + gap`` pixels.
    """
    if dot < 1 or gap < 0:
        raise ValueError(f"dot must be >= 1 and gap >= 0, got dot={dot} gap={gap}")
    cell = dot + gap
    w, h = bitmap.width * cell + gap, bitmap.height * cell + gap
    if bitmap.width == 0 or bitmap.height == 0:
        return Image.new("RGB", (max(w, 1), max(h, 1)), BACKGROUND)
    # Colour each board pixel, blow it up to a cell, then keep only a round dot of each cell.
    index = Image.frombytes("P", (bitmap.width, bitmap.height),
                            bytes(p if p <= 3 else 1 for p in bitmap.pixels))
    palette: list[int] = []
    for value in range(4):
        palette += DOT_COLOURS[value]
    index.putpalette(palette + [0, 0, 0] * (256 - 4))
    colours = index.convert("RGB").resize((bitmap.width * cell, bitmap.height * cell), Image.NEAREST)

    stamp = Image.new("L", (cell, cell), 0)
    if dot <= 2:
        ImageDraw.Draw(stamp).rectangle((0, 0, dot - 1, dot - 1), fill=255)
    else:
        ImageDraw.Draw(stamp).ellipse((0, 0, dot - 1, dot - 1), fill=255)
    mask = Image.new("L", colours.size, 0)
    row = Image.new("L", (colours.width, cell), 0)
    for x in range(0, colours.width, cell):
        row.paste(stamp, (x, 0))
    for y in range(0, colours.height, cell):
        mask.paste(row, (0, y))

    out = Image.new("RGB", (w, h), BACKGROUND)
    out.paste(colours, (gap, gap), mask)
    return out


def bitmap_to_png(bitmap: Bitmap, path: str | Path, dot: int = 4, gap: int = 1) -> Path:
    """Write the bitmap as an LED-dot PNG to `path` (parent folders created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    bitmap_to_image(bitmap, dot, gap).save(path, "PNG")
    return path


def main() -> None:
    """Render the sample hall on the default layouts into docs/img/led_<w>x<h>.png.

    ``python -m display.png [OUTDIR]`` (used to make the README pictures).
    """
    import sys
    from datetime import datetime

    from display.board import compose, sample_hall
    from display.config import DEFAULT_LAYOUT_SIZES, BoardConfig
    from display.render import render_board

    outdir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "docs" / "img"
    now = datetime(2026, 11, 25, 14, 5, 0)
    view, notices = sample_hall(now)
    for width, height in DEFAULT_LAYOUT_SIZES:
        config = BoardConfig(width=width, height=height, colours=2, title="幸福社区工作站")
        board = render_board(compose(view, notices, now, config), config)
        print(bitmap_to_png(board, outdir / f"led_{width}x{height}.png"))


if __name__ == "__main__":
    main()
