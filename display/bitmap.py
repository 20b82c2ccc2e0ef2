"""A monochrome or two-colour pixel image: what an LED board actually shows.

Kept deliberately tiny and exact (no anti-aliasing, no colour space): each pixel is an int,
0 = off, 1 = red (or the only colour), 2 = green, 3 = amber (red+green) on dual-colour boards.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Bitmap:
    width: int
    height: int
    pixels: bytearray = field(default=None)  # type: ignore[assignment]  # row-major, one byte per pixel

    def __post_init__(self) -> None:
        if self.width < 0 or self.height < 0:
            raise ValueError(f"bitmap size must not be negative, got {self.width}x{self.height}")
        if self.pixels is None:
            self.pixels = bytearray(self.width * self.height)
        elif len(self.pixels) != self.width * self.height:
            raise ValueError(
                f"pixel buffer has {len(self.pixels)} bytes, expected {self.width * self.height}"
            )

    def get(self, x: int, y: int) -> int:
        return self.pixels[y * self.width + x]

    def set(self, x: int, y: int, value: int = 1) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:  # clip silently: text may overhang an area
            self.pixels[y * self.width + x] = value

    def blit(self, other: Bitmap, x0: int, y0: int) -> None:
        """Copy `other` onto this bitmap with its top-left at (x0, y0), clipping at the edges."""
        for y in range(other.height):
            ty = y0 + y
            if not 0 <= ty < self.height:
                continue
            for x in range(other.width):
                tx = x0 + x
                if 0 <= tx < self.width:
                    self.pixels[ty * self.width + tx] = other.pixels[y * other.width + x]

    def crop(self, x0: int, y0: int, width: int, height: int) -> Bitmap:
        out = Bitmap(width, height)
        for y in range(height):
            for x in range(width):
                sx, sy = x0 + x, y0 + y
                if 0 <= sx < self.width and 0 <= sy < self.height:
                    out.pixels[y * width + x] = self.pixels[sy * self.width + sx]
        return out

    def rows(self) -> list[list[int]]:
        w = self.width
        return [list(self.pixels[y * w:(y + 1) * w]) for y in range(self.height)]

    def to_text(self, on: str = "#", off: str = ".") -> str:
        """ASCII art, one line per row: handy for golden tests and debugging."""
        return "\n".join("".join(on if p else off for p in row) for row in self.rows())

    @classmethod
    def from_text(cls, text: str, on: str = "#") -> Bitmap:
        lines = text.strip("\n").splitlines()
        width = max((len(line) for line in lines), default=0)
        bmp = cls(width, len(lines))
        for y, line in enumerate(lines):
            for x, ch in enumerate(line):
                if ch == on:
                    bmp.set(x, y, 1)
        return bmp

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Bitmap)
            and (self.width, self.height) == (other.width, other.height)
            and self.pixels == other.pixels
        )
