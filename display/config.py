"""Configuration of the hall's LED board: the `[board]` table of the hall config TOML.

Example (every key is optional; without `[[board.areas]]` the default layout for the board
size is used, see `default_layout`)::

    [board]
    enabled = true
    protocol = "bx"             # "alpha" (Alpha Sign), "bx" (Onbon BX-5K/6K 字库卡, text) or
                                # "bx-picture" (Onbon BX-5E/6E/6Q 图文卡, pictures)
    port = "/dev/ttyUSB0"       # or COM3, socket://host:port, rfc2217://…, loop://; "" = virtual board
    baudrate = 57600            # default: 57600 for the BX cards (Onbon's SDK), 9600 for Alpha
    address = 1                 # the main board's address on the bus
    max_areas = 8               # dynamic areas the card holds (BX-6K: 5)
    card_fonts = [16, 24, 32]   # dot heights of the card's fonts 0, 1, 2 (\\FO000, \\FO001, ...)

    [[board.strips]]            # 窗口屏: a one-line board over a window, same bus, own address
    window = 3
    address = 13
    width = 64
    height = 16
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

Font cards (``bx``) draw text with their own fonts: every text area needs cells at least as
tall as the smallest card font (16 dots), and the layout at most ``max_areas`` dynamic areas
(each grid cell is one); `check-config` refuses anything else. Characters outside GB2312
are sent as ``unknown_char`` (see `gb2312_problems`).

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
Protocol = Literal["alpha", "bx", "bx-picture"]

DEFAULT_BAUD = {"alpha": 9600, "bx": 57600, "bx-picture": 57600}
"""Per protocol: Onbon's own SDK opens BX cards at 57600; Alpha signs ship at 9600."""
DEFAULT_DEVICE_TYPE = {"alpha": 0, "bx": 0xFE, "bx-picture": 0x0266}
"""BX-5K/6K header DeviceType 0xFE = any card; BX-6Q2 (0x0266) as in Onbon's picture SDK."""
DEFAULT_ADDRESS = {"alpha": 0, "bx": 1, "bx-picture": 1}
"""Alpha's own default: type "Z" to address "00" (every sign); BX cards leave the factory as 1."""

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
    font_px: Literal[12, 16, 24, 32] = 16
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


class StripConfig(BaseModel):
    """A window strip (窗口屏): a one-line board over window `window`, on the main board's bus.

    It shows that window's call ("A023 请到3号"), "暂停服务" while the window is paused, and
    `idle_text` (default "3号窗口") otherwise.
    """

    model_config = ConfigDict(extra="forbid")

    window: int = Field(ge=1, le=999)
    address: int = Field(ge=0, le=0xFFFE)
    width: int = Field(default=64, ge=16, le=512)
    height: int = Field(default=16, ge=8, le=64)
    font_px: Literal[12, 16, 24, 32] = 16
    idle_text: str = Field(default="", max_length=32)
    colour: Colour = "red"


def strip_area(strip: StripConfig) -> AreaConfig:
    """The one area of a window strip: the whole board, centred, cut (never scrolls)."""
    font_px = strip.font_px if strip.font_px <= strip.height else 12
    return AreaConfig(name="strip", kind="text", x=0, y=0, width=strip.width, height=strip.height,
                      font_px=font_px, align="center", overflow="cut", colour=strip.colour)


def card_font_index(config: BoardConfig, area: AreaConfig) -> int | None:
    """Which card font (\\FOnnn) a font card draws `area` with: the area's own `font_px` if the
    card has it and the cells are tall enough, else the tallest card font that fits the cells;
    None if no card font fits."""
    cell_h = area.cell_size[1]
    fonts = config.card_fonts
    if area.font_px in fonts and area.font_px <= cell_h:
        return fonts.index(area.font_px)
    fitting = [(h, i) for i, h in enumerate(fonts) if h <= cell_h]
    return max(fitting)[1] if fitting else None


def dynamic_area_count(config: BoardConfig) -> int:
    """BX dynamic areas the layout takes: one per area, one per cell of a calls/waiting grid."""
    return sum(a.rows * a.columns if a.kind in ("calls", "waiting") else 1 for a in config.areas)


def gb2312_problems(text: str) -> list[str]:
    """Characters of `text` outside GB2312 (what a BX font card cannot draw), one line each."""
    bad = []
    for i, ch in enumerate(text):
        if ch in "\r\n\t":
            continue
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            bad.append(f"character {i + 1} {ch!r} (U+{ord(ch):04X}) is not in GB2312")
    return bad


class BoardConfig(BaseModel):
    """The LED board: link settings, size, colours and areas (`[board]` in the hall config).

    Leave ``areas`` out to get `default_layout(width, height, colours)`. Areas must lie inside
    the board and must not overlap; on a single-colour board every area is ``red`` (the one
    colour, whatever its real hue).
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    protocol: Protocol = "alpha"
    port: str = ""  # pyserial URL or device name; "" = the embedded virtual board
    baudrate: int = Field(default=0, ge=0)  # 0 = the protocol's default (DEFAULT_BAUD)
    bytesize: Literal[7, 8] = 8  # Alpha signs also run 7E1; BX cards need 8 bits
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1
    rs485: bool = False  # drive RTS for the RS-485 transmit direction
    address: int = Field(default=-1, ge=-1, le=0xFFFF)  # -1 = the protocol's default
    device_type: int = Field(default=-1, ge=-1, le=0xFFFF)  # BX header DeviceType; -1 = default
    max_areas: int = Field(default=8, ge=1, le=32)  # dynamic areas the BX card holds
    display_mode: int = Field(default=0x01, ge=0, le=0xFF)  # BX header: 1 = dynamic areas first
    card_fonts: list[Literal[12, 16, 24, 32]] = Field(default_factory=lambda: [16, 24, 32], min_length=1,
                                                      max_length=16)
    unknown_char: str = Field(default="□", min_length=1, max_length=1)  # for text outside GB2312
    pause_ms: int = Field(default=100, ge=0, le=1000)  # Alpha: pause after a DOTS size, a nested STX
    strips: list[StripConfig] = Field(default_factory=list)
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
    def _protocol_defaults(self) -> BoardConfig:
        if self.baudrate == 0:
            self.baudrate = DEFAULT_BAUD[self.protocol]
        if self.address == -1:
            self.address = DEFAULT_ADDRESS[self.protocol]
        if self.device_type == -1:
            self.device_type = DEFAULT_DEVICE_TYPE[self.protocol]
        if self.protocol != "alpha" and (self.bytesize, self.parity) != (8, "N"):
            raise ValueError(f"the {self.protocol} protocol needs 8 data bits and no parity "
                             f"(8N1), not {self.bytesize}{self.parity}{self.stopbits}")
        try:
            self.unknown_char.encode("gb2312")
        except UnicodeEncodeError:
            raise ValueError(f"unknown_char {self.unknown_char!r} is not in GB2312 itself") from None
        return self

    @model_validator(mode="after")
    def _check_card_fonts(self) -> BoardConfig:
        """Font cards: every area must fit a card font; the layout must fit the card."""
        if self.protocol != "bx":
            return self
        smallest = min(self.card_fonts)
        for i, area in enumerate(self.areas):
            cell_h = area.cell_size[1]
            if card_font_index(self, area) is None:
                raise ValueError(
                    f"areas[{i}] {area.name!r}: cells {cell_h} px tall, but the card's smallest font is "
                    f"{smallest} dots (card_fonts = {self.card_fonts}); make the area's rows at least "
                    f"{smallest} px tall, or use protocol \"bx-picture\" for a picture card")
        needed = dynamic_area_count(self)
        if needed > self.max_areas:
            raise ValueError(
                f"the layout needs {needed} dynamic areas (areas plus grid cells), the card holds "
                f"max_areas = {self.max_areas}: use fewer areas or cells, or raise max_areas if "
                f"the card takes more")
        return self

    @model_validator(mode="after")
    def _check_strips(self) -> BoardConfig:
        windows: dict[int, int] = {}
        addresses = {self.address: "the main board"}
        for i, strip in enumerate(self.strips):
            where = f"strips[{i}] (window {strip.window})"
            if strip.window in windows:
                raise ValueError(f"{where}: window {strip.window} already has strips[{windows[strip.window]}]")
            windows[strip.window] = i
            if strip.address in addresses:
                raise ValueError(f"{where}: address {strip.address} is already used by "
                                 f"{addresses[strip.address]}; every board on the bus needs its own")
            addresses[strip.address] = f"strips[{i}]"
            if self.protocol == "bx" and card_font_index(self, strip_area(strip)) is None:
                raise ValueError(f"{where}: {strip.height} px tall, less than the card's smallest font "
                                 f"({min(self.card_fonts)} dots)")
        return self

    def strip_board(self, strip: StripConfig) -> BoardConfig:
        """The board config of one window strip: same bus and protocol, its own address and size."""
        data = self.model_dump(exclude={"strips", "areas", "title", "width", "height", "address"})
        return BoardConfig(**data, address=strip.address, width=strip.width, height=strip.height,
                           areas=[strip_area(strip)], title=strip.idle_text or f"{strip.window}号窗口")

    def gb2312_problems(self) -> list[str]:
        """Warnings for configured texts a BX card cannot show (sent as `unknown_char`)."""
        if self.protocol != "bx":
            return []
        out = [f"board.title: {p}" for p in gb2312_problems(self.title)]
        for i, area in enumerate(self.areas):
            out += [f"board.areas[{i}].text: {p}" for p in gb2312_problems(area.text)]
        for i, strip in enumerate(self.strips):
            out += [f"board.strips[{i}].idle_text: {p}" for p in gb2312_problems(strip.idle_text)]
        return [f"{p}, the card shows {self.unknown_char!r}" for p in out]

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
    - 256x64: title and time; four calls in 2x2 cells; waiting counts and a scrolling
      notice side by side; all 16 px.
    - 384x96: title and date/time (16 px); four calls in 2x2 cells of 32 px, to be read from
      across the hall; waiting counts and notices side by side (16 px).

    Every default fits a BX font card (16/24/32-dot fonts, at most 8 dynamic areas).

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
            area("clock", "clock", 176, 0, 80, 16, "green", align="right", overflow="cut"),
            area("calls", "calls", 0, 16, 256, 32, "red", rows=2, columns=2, effect="flash"),
            area("waiting", "waiting", 0, 48, 128, 16, "green"),
            area("notice", "notice", 128, 48, 128, 16, "amber", effect="scroll"),
        ]
    if (width, height) == (384, 96):
        return [
            area("title", "title", 0, 0, 288, 16, "amber", align="center"),
            area("clock", "clock", 288, 0, 96, 16, "green", align="right", overflow="cut"),
            area("calls", "calls", 0, 16, 384, 64, "red", font_px=32, rows=2, columns=2, effect="flash"),
            area("waiting", "waiting", 0, 80, 192, 16, "green"),
            area("notice", "notice", 192, 80, 192, 16, "amber", effect="scroll"),
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
