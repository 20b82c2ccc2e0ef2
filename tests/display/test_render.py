"""Rendering: golden pixel images, fitting into areas, scrolling, the whole board."""

import sys
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from display.bitmap import Bitmap
from display.board import QueueView, WindowCall, compose
from display.config import BoardConfig
from display.png import bitmap_to_image, bitmap_to_png
from display.png import main as png_main
from display.render import fit_text, render_board, render_text, scroll_frame, text_width
from tests.display.layouts import board_12px

GOLDEN = Path(__file__).parent / "golden"
CASES = {"qing": "请", "a023": "A023", "mixed": "请A023号到3号窗口"}


@pytest.mark.parametrize("px", [12, 16])
@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_image(name, px):
    """Exact pixels of a few strings; the golden files were checked by eye (and as PNGs)."""
    expected = (GOLDEN / f"{name}_{px}.txt").read_text().rstrip("\n")
    got = render_text(CASES[name], px).to_text()
    assert got == expected, f"\n{got}\n!=\n{expected}"


def test_golden_files_are_not_blank():
    for path in GOLDEN.glob("*.txt"):
        text = path.read_text()
        assert text.count("#") > 20, path


@pytest.mark.parametrize("px", [12, 16])
def test_render_size_and_colour(px):
    bmp = render_text("A023 请", px, colour=3)
    assert bmp.height == px
    assert bmp.width == text_width("A023 请", px)
    assert set(bmp.pixels) == {0, 3}


def test_bad_colour_is_refused():
    with pytest.raises(ValueError, match="colour must be"):
        render_text("A", 16, colour=5)


def test_newlines_render_as_spaces():
    assert render_text("A\nB", 16) == render_text("A B", 16)


def test_missing_glyph_renders_a_box_not_a_crash():
    bmp = render_text("A😀", 16)
    assert bmp.width == 8 + 16
    box = bmp.crop(8, 0, 16, 16)
    assert box.get(1, 1) and box.get(14, 14) and not box.get(8, 8)


@pytest.mark.parametrize("align,left", [("left", 0), ("center", 12), ("right", 24)])
def test_align_in_area(align, left):
    bmp = fit_text("A023", 16, 56, 16, align)
    assert bmp.width == 56
    assert bmp.crop(left, 0, 32, 16) == render_text("A023", 16)


def test_vertical_centre_of_small_font_in_tall_area():
    bmp = fit_text("请", 12, 20, 16)
    assert bmp.height == 16
    assert bmp.crop(0, 2, 12, 12) == render_text("请", 12)


def test_overflow_cut_keeps_area_size():
    bmp = fit_text("请 A023 到 3号窗口", 16, 64, 16, overflow="cut")
    assert (bmp.width, bmp.height) == (64, 16)
    assert bmp == render_text("请 A023 到 3号窗口", 16).crop(0, 0, 64, 16)


def test_overflow_scroll_keeps_whole_line():
    full = render_text("请 A023 到 3号窗口", 16)
    bmp = fit_text("请 A023 到 3号窗口", 16, 64, 16, align="center", overflow="scroll")
    assert bmp == full  # wider than the area, left-aligned


def test_short_text_with_scroll_overflow_is_area_sized():
    assert fit_text("A", 16, 64, 16, overflow="scroll").width == 64


def test_scroll_frame_moves_left_and_loops():
    line = Bitmap.from_text("#..#\n#..#")  # 4 wide
    assert scroll_frame(line, 3, 0).to_text() == "#..\n#.."
    assert scroll_frame(line, 3, 1).to_text() == "..#\n..#"
    assert scroll_frame(line, 3, 3).to_text() == "#..\n#.."  # last column, then the gap
    assert scroll_frame(line, 3, 4).to_text() == "...\n..."  # gap defaults to area width
    assert scroll_frame(line, 3, 5).to_text() == "..#\n..#"  # start re-enters from the right
    assert scroll_frame(line, 3, 6).to_text() == ".#.\n.#."
    assert scroll_frame(line, 3, 7) == scroll_frame(line, 3, 0)  # period = 4 + 3
    assert scroll_frame(line, 3, 1, gap=0).to_text() == "..#\n..#"
    assert scroll_frame(line, 3, 4, gap=0) == scroll_frame(line, 3, 0)


def _typical_content(config: BoardConfig, now: datetime):
    calls = [
        WindowCall(1, "1号窗口", "A021", "劳动保障", now.replace(minute=1)),
        WindowCall(2, "2号窗口", "B022", "民政事务", now.replace(minute=2)),
        WindowCall(3, "3号窗口", "C023", "计生卫生", now.replace(second=0)),
        WindowCall(4, "4号窗口", "D024", "残疾人服务", now.replace(minute=3)),
    ]
    view = QueueView(calls=calls, waiting={"劳动保障": 5, "民政事务": 3, "计生卫生": 2, "残疾人服务": 1})
    return compose(view, ["本周六（11月28日）正常办公，欢迎前来办理业务", "请保管好随身物品"], now, config)


def test_render_board_places_areas():
    now = datetime(2026, 11, 25, 14, 5, 5)
    config = board_12px(colours=2, title="幸福社区工作站")
    content = _typical_content(config, now)
    board = render_board(content, config)
    assert (board.width, board.height) == (256, 64)
    for area in config.areas:
        expected = content[area.name].bitmap.crop(0, 0, area.width, area.height)
        assert board.crop(area.x, area.y, area.width, area.height) == expected, area.name
    # Dual colour: title amber, calls red, waiting green.
    assert set(board.crop(0, 0, 176, 16).pixels) == {0, 3}
    assert set(board.crop(0, 16, 256, 24).pixels) == {0, 1}
    assert set(board.crop(0, 40, 256, 12).pixels) == {0, 2}


def test_render_board_scroll_offset_and_flash_phase():
    now = datetime(2026, 11, 25, 14, 5, 5)
    config = board_12px(title="幸福社区工作站")
    content = _typical_content(config, now)
    notice = config.area("notice")
    moved = render_board(content, config, scroll_offsets={"notice": 40})
    assert moved.crop(0, notice.y, 256, 12) == scroll_frame(content["notice"].bitmap, 256, 40)
    assert moved.crop(0, 0, 256, notice.y) == render_board(content, config).crop(0, 0, 256, notice.y)
    # Window 3's call is fresh: its cell (row 1, column 0) blinks; the other cells do not.
    calls = config.area("calls")
    assert content["calls"].flash_rects == ((0, 12, 128, 12),)
    dark = render_board(content, config, flash_on=False)
    assert not any(dark.crop(calls.x, calls.y + 12, 128, 12).pixels)
    lit = render_board(content, config)
    assert any(lit.crop(calls.x, calls.y + 12, 128, 12).pixels)
    assert dark.crop(calls.x, calls.y, 256, 12) == lit.crop(calls.x, calls.y, 256, 12)


def test_png_has_led_dots(tmp_path: Path):
    bmp = Bitmap.from_text("#.\n.#")
    image = bitmap_to_image(bmp, dot=4, gap=1)
    assert image.size == (2 * 5 + 1, 2 * 5 + 1)
    lit, unlit = image.getpixel((1 + 2, 1 + 2)), image.getpixel((1 + 5 + 2, 1 + 2))
    assert lit[0] > 200 and unlit[0] < 80  # red dot vs dim unlit dot
    assert image.getpixel((0, 0))[0] < 20  # gap is dark
    path = bitmap_to_png(bmp, tmp_path / "sub" / "b.png")
    assert path.read_bytes().startswith(b"\x89PNG")


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=30), px=st.sampled_from([12, 16]))
def test_any_text_renders(text, px):
    """Any Unicode (emoji, controls, surrogates' neighbours, combining marks) renders."""
    bmp = render_text(text, px)
    assert bmp.height == px and bmp.width == text_width(text, px)
    fitted = fit_text(text, px, 40, 16, "center", "cut")
    assert (fitted.width, fitted.height) == (40, 16)


def test_docs_pictures_script(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["display.png", str(tmp_path)])
    png_main()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["led_192x32.png", "led_256x64.png", "led_384x96.png"]
