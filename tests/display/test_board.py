"""Board configuration and the board model: layout validation, compose, diff, refresh times."""

import tomllib
from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from display.bitmap import Bitmap
from display.board import (
    QueueView,
    WindowCall,
    changed_rect,
    compose,
    diff,
    next_refresh,
)
from display.config import DEFAULT_LAYOUT_SIZES, AreaConfig, BoardConfig, default_layout
from display.render import render_area_text, render_text
from tests.display.layouts import board_12px

NOW = datetime(2026, 11, 25, 14, 5, 30)
BUSINESSES = ["劳动保障", "民政事务", "计生卫生", "残疾人服务"]


def hall_view(now: datetime = NOW) -> QueueView:
    """A typical hall: four windows, window 2 called just now, window 4 paused."""
    calls = [
        WindowCall(1, "1号窗口", "A021", "劳动保障", now - timedelta(minutes=4)),
        WindowCall(2, "2号窗口", "B007", "民政事务", now - timedelta(seconds=3)),
        WindowCall(3, "3号窗口", "A023", "劳动保障", now - timedelta(minutes=1)),
        WindowCall(4, "4号窗口", "", "残疾人服务", now - timedelta(minutes=9), paused=True),
    ]
    return QueueView(calls=calls, waiting=dict(zip(BUSINESSES, [5, 3, 2, 0], strict=True)))


NOTICES = ["本周六（11月28日）正常办公", "  ", "请保管好随身物品"]


def area(**kw) -> AreaConfig:
    base = dict(name="a", kind="text", x=0, y=0, width=64, height=16)
    return AreaConfig(**(base | kw))


# -- configuration ------------------------------------------------------------------------

@pytest.mark.parametrize("size", DEFAULT_LAYOUT_SIZES)
@pytest.mark.parametrize("colours", [1, 2])
def test_default_layouts_are_valid(size, colours):
    width, height = size
    config = BoardConfig(width=width, height=height, colours=colours)
    kinds = {a.kind for a in config.areas}
    assert "calls" in kinds and "clock" in kinds
    if size != (192, 32):
        assert kinds >= {"title", "waiting", "notice"}
    if colours == 1:
        assert {a.colour for a in config.areas} == {"red"}


@pytest.mark.parametrize("size", [(128, 16), (320, 48), (160, 12), (512, 128)])
def test_generic_default_layout(size):
    config = BoardConfig(width=size[0], height=size[1])
    assert config.areas[0].kind == "calls"


def test_too_small_board_has_no_default_layout():
    with pytest.raises(ValidationError, match="too small"):
        BoardConfig(width=32, height=8)


def test_config_from_toml():
    data = tomllib.loads("""
[board]
protocol = "bx"
port = "socket://127.0.0.1:7000"
width = 256
height = 64
colours = 2
title = "幸福社区工作站"

[[board.areas]]
name = "calls"
kind = "calls"
x = 0
y = 0
width = 256
height = 32
rows = 2
columns = 2
effect = "flash"

[[board.areas]]
name = "notice"
kind = "notice"
x = 0
y = 48
width = 256
height = 16
colour = "amber"
""")
    config = BoardConfig.model_validate(data["board"])
    assert config.protocol == "bx" and config.baudrate == 57600 and config.parity == "N"  # Onbon's default
    assert [a.name for a in config.areas] == ["calls", "notice"]
    assert config.area("calls").cell_size == (128, 16)
    with pytest.raises(KeyError, match="no board area 'title'; areas: calls, notice"):
        config.area("title")


@pytest.mark.parametrize(
    "kw,message",
    [
        ({"areas": [area(x=150)]}, r"x=150 \+ width=64 = 214 goes past the board's right edge \(board width 192\)"),
        ({"areas": [area(y=20)]}, r"bottom edge"),
        ({"areas": [area(), area(name="b", x=32, y=0)]},
         r"areas\[0\] 'a' \(x=0 y=0 64x16\) overlaps areas\[1\] 'b' \(x=32 y=0 64x16\)"),
        ({"areas": [area(), area(x=64)]}, r"areas\[1\] 'a': name already used by areas\[0\]"),
        ({"areas": [area(colour="green")]}, r"colour 'green' needs a dual-colour board"),
        ({"protocol": "ascii"}, r"protocol"),
        ({"parity": "X"}, r"parity"),
        ({"baudrate": -1}, r"baudrate"),
        ({"speed": 9600}, r"speed\n  Extra inputs are not permitted"),
    ],
)
def test_bad_board_config_names_the_problem(kw, message):
    with pytest.raises(ValidationError, match=message):
        BoardConfig(**kw)


def test_touching_areas_do_not_overlap():
    config = BoardConfig(areas=[area(), area(name="b", x=64), area(name="c", y=16, width=192)])
    assert len(config.areas) == 3


@pytest.mark.parametrize(
    "kw,message",
    [
        ({"height": 12}, r"1 row\(s\) of 16 px text need a height of at least 16 px, got 12"),
        ({"kind": "calls", "rows": 2, "height": 24, "font_px": 12}, None),
        ({"kind": "calls", "rows": 2, "height": 24}, r"need a height of at least 32"),
        ({"kind": "calls", "columns": 8, "width": 64}, r"8 px per cell"),
        ({"kind": "clock", "rows": 2, "height": 32}, r"rows/columns are only for calls and waiting"),
        ({"kind": "calls", "text": "x"}, r"'text' is only used by title and text areas"),
        ({"font_px": 14}, r"font_px"),
        ({"kind": "marquee"}, r"kind"),
        ({"effect": "blink"}, r"effect"),
        ({"name": ""}, r"name"),
        ({"x": -1}, r"x"),
        ({"width": 0}, r"width"),
        ({"size": 3}, r"Extra inputs are not permitted"),
    ],
)
def test_bad_area_names_the_problem(kw, message):
    if message is None:
        area(**kw)
        return
    with pytest.raises(ValidationError, match=message):
        area(**kw)


# -- compose ------------------------------------------------------------------------------

def test_compose_typical_hall_256x64():
    config = board_12px(title="幸福社区工作站")
    content = compose(hall_view(), NOTICES, NOW, config)
    assert list(content) == [a.name for a in config.areas]
    assert content["title"].text == "幸福社区工作站"
    assert content["clock"].text == "11-25 14:05"
    assert content["calls"].text.splitlines() == [
        "请 A021 到 1号窗口", "请 B007 到 2号窗口", "请 A023 到 3号窗口", "4号窗口 暂停服务",
    ]
    assert content["waiting"].text == "劳动保障 等候 5人\u3000民政事务 等候 3人\u3000计生卫生 等候 2人\u3000残疾人服务 等候 0人"
    assert content["notice"].text == "本周六（11月28日）正常办公\u3000\u3000请保管好随身物品"
    # Every bitmap is the area's height; static ones are exactly its width.
    for a in config.areas:
        bmp = content[a.name].bitmap
        assert bmp.height == a.height
        assert bmp.width == a.width or content[a.name].effect == "scroll"
    assert content["notice"].effect == "scroll"
    assert content["waiting"].effect == "scroll"  # four businesses do not fit in 256 px at 12 px
    assert content["title"].bitmap == render_area_text("幸福社区工作站", config.area("title"))
    # Only window 2's call (3 s old) is fresh: only its cell (row 0, column 1) flashes.
    calls = content["calls"]
    assert calls.fresh and calls.effect == "flash"
    assert calls.flash_rects == ((128, 0, 128, 12),)


def test_cell_shows_call_in_exact_pixels():
    config = board_12px()
    calls = compose(hall_view(), [], NOW, config)["calls"].bitmap
    expected = render_text("请 B007 到 2号窗口", 12)
    assert calls.crop(128, 0, expected.width, 12) == expected
    assert not any(calls.crop(128 + expected.width, 0, 128 - expected.width, 12).pixels)


def test_small_board_shows_newest_active_call():
    config = BoardConfig(width=192, height=32)
    content = compose(hall_view(), NOTICES, NOW, config)
    assert content["calls"].text == "请 B007 到 2号窗口"
    assert content["calls"].effect == "flash" and content["calls"].flash_rects == ((0, 0, 192, 16),)
    assert content["clock"].text == "14:05"  # the date does not fit in 48 px
    later = compose(hall_view(), NOTICES, NOW + timedelta(seconds=config.fresh_call_s), config)
    assert later["calls"].effect == "static" and not later["calls"].fresh


def test_narrow_cells_use_shorter_call_texts():
    config = BoardConfig(width=256, height=32, areas=[
        AreaConfig(name="calls", kind="calls", x=0, y=0, width=256, height=32, rows=2, columns=2),
    ])
    texts = compose(hall_view(), [], NOW, config)["calls"].text.splitlines()
    assert texts == ["请A021到1号窗口", "请B007到2号窗口", "请A023到3号窗口", "4号窗口 暂停服务"]  # 128 px: fits


def test_more_windows_than_cells_shows_the_newest():
    config = BoardConfig(width=384, height=96)  # 4 cells of 32 px
    calls = [WindowCall(n, f"{n}号窗口", f"A{n:03d}", "劳动保障", NOW - timedelta(minutes=n)) for n in range(1, 9)]
    calls.append(WindowCall(9, "9号窗口", "", "民政事务", NOW, paused=True))
    text = compose(QueueView(calls=calls), [], NOW, config)["calls"].text
    assert text.splitlines() == [f"A{n:03d}→{n}号窗口" for n in range(1, 5)]


def test_waiting_in_cells():
    config = BoardConfig(width=256, height=32, areas=[
        AreaConfig(name="w", kind="waiting", x=0, y=0, width=256, height=32, rows=2, columns=2),
    ])
    content = compose(hall_view(), [], NOW, config)["w"]
    # 128 px cells at 16 px: the long form (136 px) does not fit, shorter forms do.
    assert content.text.splitlines() == ["劳动保障等候5人", "民政事务等候3人", "计生卫生等候2人", "残疾人服务 0人"]
    assert content.effect == "static" and content.bitmap.width == 256


def test_empty_hall():
    config = BoardConfig(width=256, height=64)
    content = compose(QueueView(), [], NOW, config)
    for name in ("calls", "waiting", "notice"):
        assert content[name].text == "" and not any(content[name].bitmap.pixels)
        assert content[name].effect in ("static", "scroll")
    assert content["title"].text == "欢迎光临"


def test_overflow_cut_on_a_line_area():
    config = BoardConfig(areas=[area(name="t", kind="text", text="请 A023 到 3号窗口", overflow="cut")])
    content = compose(QueueView(), [], NOW, config)["t"]
    assert content.effect == "static" and content.bitmap.width == 64
    config = BoardConfig(areas=[area(name="t", kind="text", text="请 A023 到 3号窗口")])
    content = compose(QueueView(), [], NOW, config)["t"]
    assert content.effect == "scroll" and content.bitmap.width == 144


def test_missing_glyph_in_notice_does_not_crash():
    config = BoardConfig(width=256, height=64)
    content = compose(QueueView(), ["欢迎😀光临"], NOW, config)
    assert content["notice"].text == "欢迎😀光临"
    assert any(content["notice"].bitmap.pixels)


def test_compose_is_deterministic():
    config = BoardConfig(width=384, height=96, colours=2)
    assert compose(hall_view(), NOTICES, NOW, config) == compose(hall_view(), NOTICES, NOW, config)


# -- diff and refresh ---------------------------------------------------------------------

def test_diff_reports_only_changed_areas():
    config = board_12px()
    before = compose(hall_view(), NOTICES, NOW, config)
    assert diff(None, before) == [a.name for a in config.areas]
    assert diff(before, compose(hall_view(), NOTICES, NOW, config)) == []

    view = hall_view()
    view.calls[0] = WindowCall(1, "1号窗口", "A024", "劳动保障", NOW)
    after = compose(view, NOTICES, NOW, config)
    assert diff(before, after) == ["calls"]
    # Only window 1's cell changed pixels.
    x, y, w, h = changed_rect(before["calls"].bitmap, after["calls"].bitmap)
    assert x + w <= 128 and y + h <= 12

    view.waiting["劳动保障"] = 4
    assert diff(after, compose(view, NOTICES, NOW, config)) == ["waiting"]
    # A minute later: the clock moved, the call stopped flashing, one notice expired.
    assert diff(after, compose(view, NOTICES[:1], NOW + timedelta(minutes=1), config)) == [
        "clock", "calls", "waiting", "notice",
    ]


def test_diff_when_flash_ends():
    config = BoardConfig(width=256, height=64)
    fresh = compose(hall_view(), [], NOW, config)
    settled = compose(hall_view(), [], NOW + timedelta(seconds=20), config)
    assert fresh["calls"].bitmap == settled["calls"].bitmap
    assert "calls" in diff(fresh, settled)  # the flash stopped: the controller must know


def test_diff_with_removed_area():
    config = BoardConfig(width=256, height=64)
    content = compose(hall_view(), [], NOW, config)
    smaller = dict(content)
    del smaller["notice"]
    assert diff(content, smaller) == ["notice"]


def test_changed_rect():
    a = Bitmap(8, 4)
    b = Bitmap(8, 4)
    assert changed_rect(a, b) is None
    b.set(2, 1)
    b.set(5, 3)
    assert changed_rect(a, b) == (2, 1, 4, 3)
    assert changed_rect(a, Bitmap(4, 4)) == (0, 0, 4, 4)


def test_next_refresh():
    config = BoardConfig(width=256, height=64, fresh_call_s=10)
    # Window 2 was called 3 s ago: its flash ends in 7 s, before the next minute.
    assert next_refresh(hall_view(), NOW, config) == NOW + timedelta(seconds=7)
    assert next_refresh(QueueView(), NOW, config) == datetime(2026, 11, 25, 14, 6)
    no_clock = BoardConfig(areas=[area()])
    assert next_refresh(QueueView(), NOW, no_clock) is None


def test_default_layout_helper_matches_config():
    assert default_layout(256, 64) == BoardConfig(width=256, height=64).areas


def test_window_keeps_its_cell():
    config = board_12px()  # 2x2 cells
    only_3 = QueueView(calls=[WindowCall(3, "3号窗口", "A023", "劳动保障", NOW)])
    before = compose(only_3, [], NOW, config)["calls"]
    assert before.flash_rects == ((0, 12, 128, 12),)  # row 1, column 0: window 3's cell
    only_3.calls.append(WindowCall(1, "1号窗口", "A024", "劳动保障", NOW))
    after = compose(only_3, [], NOW, config)["calls"]
    x, y, w, h = changed_rect(before.bitmap, after.bitmap)
    assert y + h <= 12 and x + w <= 128  # only window 1's cell changed
    # Window numbers beyond the cells: packed one after the other.
    far = QueueView(calls=[WindowCall(7, "7号窗口", "A001", "劳动保障", NOW)])
    assert compose(far, [], NOW, config)["calls"].flash_rects == ((0, 0, 128, 12),)


def test_priority_call_is_marked_on_the_board():
    """A priority ticket (优先, 绿色通道) reads so on the board, in pixels the font really has."""
    config = board_12px()  # two calls a row in 12 px: the 256-wide cell is 128 px
    view = hall_view()
    view.calls[1] = WindowCall(2, "2号窗口", "B007", "民政事务", view.calls[1].called_at, priority=True)
    content = compose(view, [], NOW, config)
    assert content["calls"].text.splitlines()[1] == "请优先B007到2号窗口"  # the spaced form does not fit 128 px
    expected = render_text("请优先B007到2号窗口", 12)
    assert content["calls"].bitmap.crop(128, 0, expected.width, 12) == expected
    assert expected != render_text("请  B007到2号窗口", 12)  # 优 and 先 are drawn, not blanks
    wide = compose(view, [], NOW, BoardConfig(width=384, height=96))["calls"].text
    assert "优先B007→2号" in wide.splitlines()  # 32 px cells of 192 px take the short form
    # A regular call keeps its text
    assert "A023→3号窗口" in wide.splitlines()
