"""Configuration of the hall's LED board: the `[board]` table of the hall config TOML.

Example (every key is optional; without `[[board.areas]]` the default layout for the board
size is used, see `default_layout`)::

    [board]
    enabled = true
    protocol = "alpha"          # "alpha" (Alpha Sign Communications Protocol) or "bx" (Onbon BX)
    port = "/dev/ttyUSB0"       # or COM3, socket://host:port, rfc2217://…, loop://; "" = virtual board
    baudrate = 9600
    width = 256
    height = 64
    colours = 2
    title = "幸福社区工作站"

    [[board.areas]]
    name = "calls"
    kind = "calls"
    x = 0
    y = 16
    width = 256
    height = 32
    font_px = 16
    rows = 2
    columns = 2
    effect = "flash"

Pixel values in rendered bitmaps follow `display.bitmap`: 1 = red (the only colour of a
single-colour board), 2 = green, 3 = amber.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

AreaKind = Literal["title", "calls", "waiting", "notice", "clock", "text"]
Effect = Literal["static", "scroll", "flash"]
Align = Literal["left", "center", "right"]
Overflow = Literal["scroll", "cut"]
Colour = Literal["red", "green", "amber"]

COLOUR_VALUES: dict[str, int] = {"red": 1, "green": 2, "amber": 3}
"""Area colour name -> pixel value in a `Bitmap`."""

DEFAULT_LAYOUT_SIZES = ((192, 32), (256, 64), (384, 96))


class AreaConfig(BaseModel):
    """One rectangle of the board and what it shows.

    - ``kind``: ``title`` (``text``, or the board's ``title``), ``calls`` (current call per
      window, ``rows`` x ``columns`` cells; window N sits in cell N, row by row, when the
      numbers fit), ``waiting`` (waiting count per business, one line
      or ``rows`` x ``columns`` cells), ``notice`` (notices joined into one scrolling line),
      ``clock`` ("11-25 14:05", or "14:05" if the area is narrow), ``text`` (fixed ``text``).
    - ``effect``: ``static``; ``scroll`` (always a moving line); ``flash`` (for ``calls``: the
      cell of a fresh call flashes for `BoardConfig.fresh_call_s`; other kinds always flash).
    - ``overflow``: what happens to text wider than the area: ``scroll`` it or ``cut`` it.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=32)
    kind: AreaKind
    x: int = Field(ge=0)
    y: int = Field(ge=0)
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    font_px: Literal[12, 16] = 16
    effect: Effect = "static"
    align: Align = "left"
    overflow: Overflow = "scroll"
    colour: Colour = "red"
    text: str = ""
    rows: int = Field(default=1, ge=1, le=16)
    columns: int = Field(default=1, ge=1, le=8)

    @property
    def colour_value(self) -> int:
        """The pixel value this area draws with (1 red, 2 green, 3 amber)."""
        return COLOUR_VALUES[self.colour]

    @property
    def cell_size(self) -> tuple[int, int]:
        """(width, height) of one cell when the area is split into rows x columns."""
        return self.width // self.columns, self.height // self.rows

    @model_validator(mode="after")
    def _check(self) -> AreaConfig:
        where = f"area {self.name!r}"
        if self.text and self.kind not in ("title", "text"):
            raise ValueError(f"{where}: 'text' is only used by title and text areas, not {self.kind}")
        if (self.rows > 1 or self.columns > 1) and self.kind not in ("calls", "waiting"):
            raise ValueError(f"{where}: rows/columns are only for calls and waiting areas, not {self.kind}")
        cell_w, cell_h = self.cell_size
        if cell_h < self.font_px:
            raise ValueError(
                f"{where}: {self.rows} row(s) of {self.font_px} px text need a height of at least "
                f"{self.rows * self.font_px} px, got {self.height}"
            )
        if cell_w < self.font_px:
            raise ValueError(
                f"{where}: {self.columns} column(s) leave {cell_w} px per cell, less than one "
                f"{self.font_px} px character"
            )
        return self


class BoardConfig(BaseModel):
    """The LED board: link settings, size, colours and areas (`[board]` in the hall config).

    Leave ``areas`` out to get `default_layout(width, height, colours)`. Areas must lie inside
    the board and must not overlap; on a single-colour board every area is ``red`` (the one
    colour, whatever its real hue).
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    protocol: Literal["alpha", "bx"] = "alpha"
    port: str = ""  # pyserial URL or device name; "" = the embedded virtual board
    baudrate: int = Field(default=9600, gt=0)
    bytesize: Literal[7, 8] = 8
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1
    rs485: bool = False  # drive RTS for the RS-485 transmit direction
    address: int = Field(default=1, ge=0, le=0xFFFF)
    ack_timeout_s: float = Field(default=1.0, gt=0)
    retries: int = Field(default=3, ge=0)
    width: int = Field(default=192, ge=16, le=4096)
    height: int = Field(default=32, ge=8, le=1024)
    colours: Literal[1, 2] = 1
    title: str = "欢迎光临"  # shown by title areas whose own `text` is empty
    fresh_call_s: float = Field(default=10.0, ge=0)  # how long a new call flashes
    areas: list[AreaConfig] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _default_areas(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("areas"):
            width = data.get("width", 192)
            height = data.get("height", 32)
            colours = data.get("colours", 1)
            if isinstance(width, int) and isinstance(height, int) and colours in (1, 2):
                data = {**data, "areas": default_layout(width, height, colours)}
        return data

    @model_validator(mode="after")
    def _check_areas(self) -> BoardConfig:
        if not self.areas:
            raise ValueError("the board needs at least one area")
        seen: dict[str, int] = {}
        for i, area in enumerate(self.areas):
            where = f"areas[{i}] {area.name!r}"
            if area.name in seen:
                raise ValueError(f"{where}: name already used by areas[{seen[area.name]}]")
            seen[area.name] = i
            if area.x + area.width > self.width:
                raise ValueError(
                    f"{where}: x={area.x} + width={area.width} = {area.x + area.width} "
                    f"goes past the board's right edge (board width {self.width})"
                )
            if area.y + area.height > self.height:
                raise ValueError(
                    f"{where}: y={area.y} + height={area.height} = {area.y + area.height} "
                    f"goes past the board's bottom edge (board height {self.height})"
                )
            if self.colours == 1 and area.colour != "red":
                raise ValueError(
                    f"{where}: colour {area.colour!r} needs a dual-colour board (colours = 2); "
                    f"a single-colour board has only 'red'"
                )
        for i, a in enumerate(self.areas):
            for j in range(i + 1, len(self.areas)):
                b = self.areas[j]
                if a.x < b.x + b.width and b.x < a.x + a.width and a.y < b.y + b.height and b.y < a.y + a.height:
                    raise ValueError(
                        f"areas[{i}] {a.name!r} ({_rect(a)}) overlaps areas[{j}] {b.name!r} ({_rect(b)})"
                    )
        return self

    def area(self, name: str) -> AreaConfig:
        """The area called `name` (KeyError naming the known areas if there is none)."""
        for area in self.areas:
            if area.name == name:
                return area
        raise KeyError(f"no board area {name!r}; areas: {', '.join(a.name for a in self.areas)}")


def _rect(a: AreaConfig) -> str:
    return f"x={a.x} y={a.y} {a.width}x{a.height}"


def default_layout(width: int, height: int, colours: int = 1) -> list[AreaConfig]:
    """A sensible area layout for a board of `width` x `height` pixels.

    Tuned layouts for the common sizes:

    - 192x32 (two 16 px lines): the newest call on top; waiting counts (scrolling) and the
      time below. No room for a title or notices: configure areas to trade them in.
    - 256x64: title (16 px) and date/time; four calls in 2x2 cells, waiting counts and a
      scrolling notice line, all 12 px.
    - 384x96: title and date/time; six calls in 3x2 cells, waiting counts, scrolling notice,
      all 16 px.

    Other sizes get a generic stack of 16 px lines (calls, then a notice line at the bottom).
    With ``colours=2`` areas get distinct colours (title amber, calls red, waiting green,
    notice amber, clock green); otherwise everything is ``red`` (the single colour).
    """
    dual = colours == 2

    def area(name: str, kind: str, x: int, y: int, w: int, h: int, colour: str, **kw: Any) -> AreaConfig:
        return AreaConfig(name=name, kind=kind, x=x, y=y, width=w, height=h,  # type: ignore[arg-type]
                          colour=colour if dual else "red", **kw)  # type: ignore[arg-type]

    if (width, height) == (192, 32):
        return [
            area("calls", "calls", 0, 0, 192, 16, "red", effect="flash", align="center"),
            area("waiting", "waiting", 0, 16, 144, 16, "green"),
            area("clock", "clock", 144, 16, 48, 16, "green", align="right", overflow="cut"),
        ]
    if (width, height) == (256, 64):
        return [
            area("title", "title", 0, 0, 176, 16, "amber", align="center"),
            area("clock", "clock", 176, 0, 80, 16, "green", font_px=12, align="right", overflow="cut"),
            area("calls", "calls", 0, 16, 256, 24, "red", font_px=12, rows=2, columns=2, effect="flash"),
            area("waiting", "waiting", 0, 40, 256, 12, "green", font_px=12),
            area("notice", "notice", 0, 52, 256, 12, "amber", font_px=12, effect="scroll"),
        ]
    if (width, height) == (384, 96):
        return [
            area("title", "title", 0, 0, 288, 16, "amber", align="center"),
            area("clock", "clock", 288, 0, 96, 16, "green", align="right", overflow="cut"),
            area("calls", "calls", 0, 16, 384, 48, "red", rows=3, columns=2, effect="flash"),
            area("waiting", "waiting", 0, 64, 384, 16, "green"),
            area("notice", "notice", 0, 80, 384, 16, "amber", effect="scroll"),
        ]
    if width < 48 or height < 12:
        raise ValueError(f"board of {width}x{height} px is too small for a default layout; list its areas")
    if height < 16:
        return [area("calls", "calls", 0, 0, width, height, "red", font_px=12, effect="flash")]
    lines = height // 16
    if lines == 1:
        return [area("calls", "calls", 0, 0, width, 16, "red", effect="flash")]
    return [
        area("calls", "calls", 0, 0, width, 16 * (lines - 1), "red", rows=lines - 1, effect="flash"),
        area("notice", "notice", 0, 16 * (lines - 1), width, 16, "amber", effect="scroll"),
    ]
