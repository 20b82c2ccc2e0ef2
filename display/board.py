"""The board model: queue state + notices + clock -> what each board area shows.

No Qt, no serial: the hall app fills a `QueueView` from its queue, calls `compose` whenever
something happened (a call, a pause, a notice change) and at `next_refresh` (the clock's
minute, the end of a call's flash), then hands the result to the link, which sends only the
areas `diff` reports as changed.

    view = QueueView(calls=[WindowCall(3, "3号窗口", "A023", "劳动保障", now)],
                     waiting={"劳动保障": 5, "民政事务": 2})
    content = compose(view, ["本周六正常办公"], now, config)
    content["calls"].text      -> "请 A023 到 3号窗口"
    content["calls"].bitmap    -> the area's pixels (wider than the area if it scrolls)
    changed = diff(previous, content)   -> ["calls"]
    whole = render_board(content, config)   (display.render)

Texts: a fresh call "请 A023 到 3号窗口" (shorter forms if the cell is narrow), a paused window
"3号窗口 暂停服务", waiting counts "劳动保障 等候 5人", the clock "11-25 14:05" (or "14:05"),
notices joined with wide spaces into one scrolling line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from display.bitmap import Bitmap
from display.config import AreaConfig, BoardConfig, Effect
from display.render import fit_text, text_width

NOTICE_SEPARATOR = "\u3000\u3000"  # two ideographic spaces between notices
WAITING_SEPARATOR = "\u3000"


@dataclass(frozen=True)
class WindowCall:
    """The ticket a window is serving now (or last called), as the board shows it.

    `ticket_label` is the printed number ("A023"; "" if the window has no ticket); `paused`
    marks a window that stopped serving (暂停服务) — its ticket, if any, is not shown. The board
    writes the window as "3号窗口" from `window_number` (short and always fits);
    `window_name` and `business_name` are carried for text-capable controllers and logs.
    """

    window_number: int
    window_name: str
    ticket_label: str
    business_name: str
    called_at: datetime
    paused: bool = False
    priority: bool = False  # a priority ticket (优先, 绿色通道): the board says so


@dataclass
class QueueView:
    """The queue as the board sees it.

    - `calls`: the current call per window (one entry per window, paused windows included).
    - `recent`: the last few calls, newest first (not drawn by the default areas; kept for
      text-capable controllers and future areas).
    - `waiting`: business name -> tickets waiting, in the order the board should list them.
    """

    calls: list[WindowCall] = field(default_factory=list)
    recent: list[WindowCall] = field(default_factory=list)
    waiting: dict[str, int] = field(default_factory=dict)


Rect = tuple[int, int, int, int]  # x, y, width, height relative to the area


@dataclass(frozen=True)
class AreaContent:
    """What one area shows.

    - `text`: the plain text (cells joined with newlines), for text-capable controllers.
    - `bitmap`: the pixels, `area.height` rows high; exactly `area.width` wide, or wider when
      the text scrolls (then show it with `display.render.scroll_frame`).
    - `effect`: what the controller should do: "static", "scroll" (bitmap wider than the
      area, or the area is configured to scroll) or "flash" (blink `flash_rects`).
    - `fresh`: a call in this area is new (within `BoardConfig.fresh_call_s`).
    - `flash_rects`: the rectangles (x, y, w, h inside the area) that blink when `effect` is
      "flash" — for a calls area only the cells of fresh calls.
    """

    text: str
    bitmap: Bitmap
    effect: Effect = "static"
    fresh: bool = False
    flash_rects: tuple[Rect, ...] = ()


BoardContent = dict[str, AreaContent]
"""Area name -> `AreaContent`, in the order of `BoardConfig.areas`."""


# -- texts --------------------------------------------------------------------------------

def call_texts(call: WindowCall) -> list[str]:
    """Ways to write a call, longest first; the board uses the first that fits its cell."""
    n, t = call.window_number, call.ticket_label
    if call.paused or not t:
        if not call.paused:
            return [""]
        return [f"{n}号窗口 暂停服务", f"{n}号窗口暂停服务", f"{n}号 暂停服务", f"{n}号暂停"]
    plain = [f"请 {t} 到 {n}号窗口", f"请{t}到{n}号窗口", f"{t} 到 {n}号窗口", f"{t}→{n}号窗口", f"{t}→{n}号"]
    if call.priority:  # marked while any form with the mark fits; the plain forms only as a last resort
        return [f"请 优先{t} 到 {n}号窗口", f"请优先{t}到{n}号窗口", f"优先{t}到{n}号窗口", f"优先{t}→{n}号",
                f"优{t}→{n}号", *plain]
    return plain


def waiting_texts(business: str, count: int) -> list[str]:
    return [f"{business} 等候 {count}人", f"{business}等候{count}人", f"{business} {count}人"]


def clock_texts(now: datetime) -> list[str]:
    return [now.strftime("%m-%d %H:%M"), now.strftime("%H:%M")]


def is_fresh(call: WindowCall, now: datetime, config: BoardConfig) -> bool:
    """A call flashes for `fresh_call_s` seconds after it was made (paused windows never)."""
    if call.paused or not call.ticket_label:
        return False
    age = (now - call.called_at).total_seconds()
    return 0 <= age < config.fresh_call_s


# -- composition --------------------------------------------------------------------------

def _pick(variants: Sequence[str], font_px: int, width: int) -> str | None:
    for text in variants:
        if text_width(text, font_px) <= width:
            return text
    return None


def _line(area: AreaConfig, variants: Sequence[str], flash: bool, fresh: bool = False) -> AreaContent:
    """One line of text over the whole area: the first variant that fits, else overflow.

    A line that scrolls cannot also blink: scrolling wins, as it is the only way to show it all.
    """
    text = _pick(variants, area.font_px, area.width)
    if text is None:
        # Scrolling shows everything, so scroll the full form; cutting keeps the most of the
        # shortest form.
        text = variants[0] if area.overflow == "scroll" else variants[-1]
    bitmap = fit_text(text, area.font_px, area.width, area.height, area.align, area.overflow,
                      area.colour_value)
    effect: Effect
    if bitmap.width > area.width or area.effect == "scroll":
        effect = "scroll"
    elif flash:
        effect = "flash"
    else:
        effect = "static"
    rects = ((0, 0, area.width, area.height),) if effect == "flash" else ()
    return AreaContent(text, bitmap, effect, fresh, rects)


def _cells(
    area: AreaConfig, cells: Sequence[Sequence[str]], positions: Sequence[int] | None = None
) -> tuple[str, Bitmap, list[Rect]]:
    """Lay texts out row by row in the area's rows x columns grid (each cut to its cell).

    `positions` gives each text's cell index (default: one after the other)."""
    cell_w, cell_h = area.cell_size
    bitmap = Bitmap(area.width, area.height)
    texts: list[str] = []
    rects: list[Rect] = []
    if positions is None:
        positions = range(len(cells))
    for i, variants in zip(positions, cells, strict=True):
        row, col = divmod(i, area.columns)
        x, y = col * cell_w, row * cell_h
        text = _pick(variants, area.font_px, cell_w) or variants[-1]
        bitmap.blit(fit_text(text, area.font_px, cell_w, cell_h, area.align, "cut", area.colour_value), x, y)
        texts.append(text)
        rects.append((x, y, cell_w, cell_h))
    return "\n".join(t for t in texts if t), bitmap, rects


def _shown_calls(calls: Sequence[WindowCall], slots: int) -> list[WindowCall]:
    """The calls that get a cell: the newest active ones first, then in window order."""
    if len(calls) > slots:
        calls = sorted(calls, key=lambda c: (c.paused, -c.called_at.timestamp()))[:slots]
    if slots == 1:
        return list(calls)
    return sorted(calls, key=lambda c: c.window_number)


def _calls_area(area: AreaConfig, view: QueueView, now: datetime, config: BoardConfig) -> AreaContent:
    slots = area.rows * area.columns
    calls = _shown_calls(view.calls, slots)
    fresh = [is_fresh(c, now, config) for c in calls]
    flashing = area.effect == "flash"
    if slots == 1:
        if not calls:
            return _line(area, [""], False)
        return _line(area, call_texts(calls[0]), flashing and fresh[0], fresh[0])
    numbers = [c.window_number for c in calls]
    if all(1 <= n <= slots for n in numbers) and len(set(numbers)) == len(numbers):
        positions = [n - 1 for n in numbers]  # window N always in cell N: a call changes one cell
    else:
        positions = list(range(len(calls)))
    text, bitmap, rects = _cells(area, [call_texts(c) for c in calls], positions)
    flash_rects = tuple(r for r, f in zip(rects, fresh, strict=True) if f) if flashing else ()
    effect: Effect = "flash" if flash_rects else ("scroll" if area.effect == "scroll" else "static")
    return AreaContent(text, bitmap, effect, any(fresh), flash_rects)


def _waiting_area(area: AreaConfig, view: QueueView) -> AreaContent:
    entries = [waiting_texts(b, n) for b, n in view.waiting.items()]
    slots = area.rows * area.columns
    if slots > 1 and 0 < len(entries) <= slots:
        text, bitmap, _ = _cells(area, entries)
        return AreaContent(text, bitmap, "scroll" if area.effect == "scroll" else "static")
    if not entries:
        return _line(area, [""], False)
    # One line: the long forms joined; if that is too wide, the compact forms.
    variants = [WAITING_SEPARATOR.join(e[i] for e in entries) for i in range(3)]
    return _line(area, variants, area.effect == "flash")


def compose_area(
    area: AreaConfig, view: QueueView, notices: Sequence[str], now: datetime, config: BoardConfig
) -> AreaContent:
    """The content of one area (see `compose`)."""
    if area.kind == "calls":
        return _calls_area(area, view, now, config)
    if area.kind == "waiting":
        return _waiting_area(area, view)
    flash = area.effect == "flash"  # for areas other than calls: always blink
    if area.kind == "notice":
        line = NOTICE_SEPARATOR.join(n.strip() for n in notices if n.strip())
        return _line(area, [line], flash)
    if area.kind == "clock":
        return _line(area, clock_texts(now), flash)
    if area.kind == "title":
        return _line(area, [area.text or config.title], flash)
    return _line(area, [area.text], flash)  # "text"


def compose(
    view: QueueView, notices: Sequence[str], now: datetime, config: BoardConfig
) -> BoardContent:
    """Compute every area's content (text + bitmap + effect) for the board at time `now`.

    `notices` are the texts of the notices (公示) valid now, in display order. `now` must be
    in the same timezone convention as the calls' `called_at` (both naive local time, or
    both aware). Pure function: the same inputs always give equal content, so `diff` finds
    exactly what changed.
    """
    return {area.name: compose_area(area, view, notices, now, config) for area in config.areas}


def strip_texts(call: WindowCall | None, idle: str) -> list[str]:
    """What a window strip (窗口屏) shows, longest first: the window's call, 暂停服务, or `idle`."""
    if call is not None and call.paused:
        return ["暂停服务", "暂停"]
    if call is None or not call.ticket_label:
        return [idle]
    t, n = call.ticket_label, call.window_number
    return [f"{t} 请到{n}号", f"{t}请到{n}号", f"{t}→{n}号", t]


def compose_strip(view: QueueView, window: int, now: datetime, config: BoardConfig) -> BoardContent:
    """The content of the strip over window `window` (`config`: `BoardConfig.strip_board`):
    its one area shows that window's call (flashing while fresh), 暂停服务, or the idle text."""
    area = config.areas[0]
    call = next((c for c in view.calls if c.window_number == window), None)
    fresh = call is not None and is_fresh(call, now, config)
    return {area.name: _line(area, strip_texts(call, config.title), fresh, fresh)}


def diff(old: BoardContent | None, new: BoardContent) -> list[str]:
    """Names of the areas whose content changed from `old` to `new` (all of them if old is None).

    An area counts as changed if its text, pixels, effect or flash cells differ, or if it
    exists in only one of the two (removed areas come last).
    """
    if old is None:
        return list(new)
    changed = [name for name, content in new.items() if old.get(name) != content]
    changed += [name for name in old if name not in new]
    return changed


def changed_rect(old: Bitmap, new: Bitmap) -> Rect | None:
    """Bounding box (x, y, w, h) of the pixels that differ between two same-size bitmaps.

    None if they are equal; the whole of `new` if the sizes differ. Lets the link resend just
    the changed cell of a calls area or the changed rows of a picture.
    """
    if (old.width, old.height) != (new.width, new.height):
        return (0, 0, new.width, new.height)
    w = new.width
    xs: list[int] = []
    ys: list[int] = []
    for y in range(new.height):
        a = old.pixels[y * w:(y + 1) * w]
        b = new.pixels[y * w:(y + 1) * w]
        if a == b:
            continue
        ys.append(y)
        first = next(x for x in range(w) if a[x] != b[x])
        last = next(x for x in range(w - 1, -1, -1) if a[x] != b[x])
        xs += [first, last]
    if not ys:
        return None
    return (min(xs), ys[0], max(xs) - min(xs) + 1, ys[-1] - ys[0] + 1)


def next_refresh(view: QueueView, now: datetime, config: BoardConfig) -> datetime | None:
    """When the board content changes by time alone: the next minute (if a clock is shown)
    or the end of a call's flash, whichever is first; None if nothing changes by itself."""
    times: list[datetime] = []
    if any(a.kind == "clock" for a in config.areas):
        times.append(now.replace(second=0, microsecond=0) + timedelta(minutes=1))
    for call in view.calls:
        if is_fresh(call, now, config):
            times.append(call.called_at + timedelta(seconds=config.fresh_call_s))
    return min(times) if times else None


def sample_hall(now: datetime) -> tuple[QueueView, list[str]]:
    """A typical hall's queue and notices (for demos, docs pictures and the virtual board):
    four windows with current calls (window 3 called just now), waiting counts, two notices."""
    calls = [
        WindowCall(1, "1号窗口", "A021", "劳动保障", now - timedelta(minutes=4)),
        WindowCall(2, "2号窗口", "B007", "民政事务", now - timedelta(minutes=2)),
        WindowCall(3, "3号窗口", "A023", "劳动保障", now - timedelta(seconds=2)),
        WindowCall(4, "4号窗口", "C012", "计生卫生", now - timedelta(minutes=1)),
    ]
    waiting = {"劳动保障": 5, "民政事务": 3, "计生卫生": 2, "残疾人服务": 1}
    notices = ["本周六（11月28日）正常办公，欢迎前来办理业务", "办理业务请携带身份证原件"]
    return QueueView(calls=calls, waiting=waiting), notices
