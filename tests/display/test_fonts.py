"""Pixel fonts: exact glyph sizes, lazy caching, replacement boxes, damaged files."""

from pathlib import Path

import pytest

from display.fonts import FontError, PcfFont, UnifontHex, get_font


@pytest.mark.parametrize("px", [12, 16])
def test_cjk_glyph_is_full_width_and_exact_height(px):
    glyph = get_font(px).glyph("请")
    assert (glyph.width, glyph.height) == (px, px)
    assert not glyph.missing
    assert sum(bin(r).count("1") for r in glyph.rows) > 20  # real ink, not a blank


def test_digits_are_narrow():
    assert {get_font(16).glyph(d).width for d in "0123456789"} == {8}  # Unifont: half width
    assert {get_font(12).glyph(d).width for d in "0123456789"} <= {6, 7}  # WenQuanYi: proportional


def test_unifont_glyph_bits_match_the_hex_source():
    # U+0041 'A' in unifont.hex: 0000000018242442427E424242420000
    glyph = get_font(16).glyph("A")
    assert glyph.rows == tuple(int(h, 16) for h in "00 00 00 00 18 24 24 42 42 7E 42 42 42 42 00 00".split())


def test_12px_hanzi_sits_inside_the_line():
    # WenQuanYi's bounding box is 15 rows; the baseline is placed so no 汉字 row is lost.
    glyph = get_font(12).glyph("国")
    assert glyph.rows[0] != 0 and glyph.rows[10] != 0  # top and bottom stroke both present


@pytest.mark.parametrize("px", [12, 16])
@pytest.mark.parametrize("ch", ["😀", "\U00020000", "\uffff"])
def test_missing_glyph_is_a_visible_box(px, ch):
    glyph = get_font(px).glyph(ch)
    assert glyph.missing
    assert glyph.width == px
    assert glyph.pixel(1, 1) and glyph.pixel(px - 2, px - 2) and not glyph.pixel(px // 2, px // 2)


@pytest.mark.parametrize("px", [12, 16])
def test_spaces_and_invisible_characters(px):
    font = get_font(px)
    assert font.glyph(" ").width == px // 2 and not any(font.glyph(" ").rows)
    assert font.glyph("\u3000").width == px  # ideographic space
    assert font.glyph("\u200d").width == 0  # zero-width joiner takes no room
    assert font.glyph("\ufe0f").width == 0  # variation selector


def test_glyphs_are_cached():
    font = get_font(16)
    assert font.glyph("窗") is font.glyph("窗")
    assert get_font(16) is font


def test_unknown_size_is_refused():
    with pytest.raises(ValueError, match="14 px.*12, 16"):
        get_font(14)


def test_hex_font_parses_8_and_16_wide(tmp_path: Path):
    path = tmp_path / "mini.hex"
    path.write_text("0041:" + "FF" * 16 + "\n4E00:" + "0000" * 7 + "FFFF" + "0000" * 8 + "\n0042:12\n")
    font = UnifontHex(path)
    assert font.glyph("A").width == 8 and font.glyph("A").rows[0] == 0xFF
    one = font.glyph("一")
    assert one.width == 16 and one.rows[7] == 0xFFFF and one.rows[6] == 0
    assert font.glyph("B").missing  # damaged line: only that character is replaced


def test_hex_font_damage_names_file_and_line(tmp_path: Path):
    path = tmp_path / "bad.hex"
    path.write_text("0041:" + "00" * 16 + "\nnot a glyph line\n")
    with pytest.raises(FontError, match=r"bad\.hex:2"):
        UnifontHex(path).glyph("A")


def test_missing_font_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FontError, match="cannot read 12 px font"):
        PcfFont(tmp_path / "nope.pcf").glyph("A")


def test_damaged_pcf_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "bad.pcf"
    path.write_bytes(b"\x01fcp" + b"\x05\x00\x00\x00" + b"\x00" * 10)
    with pytest.raises(FontError, match="damaged PCF font"):
        PcfFont(path).glyph("A")
    path.write_bytes(b"PK\x03\x04 not a font")
    with pytest.raises(FontError, match="bad magic"):
        PcfFont(path).glyph("A")
