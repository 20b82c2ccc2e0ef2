"""BX font cards (字库卡) as they are: fonts of 16/24/32 dots chosen by area height, areas no
card font fits refused, the layout within the card's dynamic areas, GB2312 only."""

import pytest
from pydantic import ValidationError

from display.config import DEFAULT_LAYOUT_SIZES, BoardConfig, card_font_index
from display.protocols import bx as B
from display.protocols import get_protocol
from display.render import fit_text
from display.simulator import BxController
from kiosk.cli import main
from tests.display.layouts import areas_12px


def one_area(height: int, font_px: int = 16, **kw) -> BoardConfig:
    return BoardConfig(protocol="bx", width=128, height=height, areas=[
        {"name": "a", "kind": "text", "x": 0, "y": 0, "width": 128, "height": height, "font_px": font_px,
         "text": "请到3号"}], **kw)


@pytest.mark.parametrize("height,font_px,escape", [(16, 16, b"\\FO000"), (24, 16, b"\\FO000"),
                                                    (24, 24, b"\\FO001"), (32, 32, b"\\FO002"),
                                                    (40, 12, b"\\FO002")])
def test_the_card_font_is_picked_by_area_height(height, font_px, escape):
    cfg = one_area(height, font_px)
    (frame,) = B.BxDecoder().feed(get_protocol("bx", cfg).encode_update({"a": _content(cfg)}, None)[0])
    (area,) = B.parse_dynamic_update(frame.data).areas
    assert area.text == escape + "请到3号".encode("gb2312")


def _content(cfg):
    from display.board import AreaContent

    a = cfg.areas[0]
    return AreaContent(a.text, fit_text(a.text, a.font_px, a.width, a.height), "static")


def test_no_card_font_fits_a_12_px_area_and_the_config_says_so():
    with pytest.raises(ValidationError, match=r"areas\[0\] 'a': cells 12 px tall, but the card's smallest font "
                                              r"is 16 dots"):
        one_area(12, 12)
    with pytest.raises(ValidationError, match="smallest font is 24 dots"):
        one_area(16, card_fonts=[24, 32])
    # Alpha draws with the PC's pixel fonts: 12 px is fine there.
    BoardConfig(protocol="alpha", width=256, height=64, areas=areas_12px())


def test_a_card_with_other_font_files():
    cfg = one_area(32, 32, card_fonts=[16, 32])
    assert card_font_index(cfg, cfg.areas[0]) == 1


@pytest.mark.parametrize("size", DEFAULT_LAYOUT_SIZES)
def test_every_default_layout_works_on_a_real_card(size):
    cfg = BoardConfig(protocol="bx", width=size[0], height=size[1])
    assert all(a.cell_size[1] >= 16 for a in cfg.areas)
    assert len(get_protocol("bx", cfg).slots) <= cfg.max_areas == 8


def test_layout_with_more_dynamic_areas_than_the_card_holds_is_refused():
    with pytest.raises(ValidationError, match=r"the layout needs 8 dynamic areas .* max_areas = 5"):
        BoardConfig(protocol="bx", width=384, height=96, max_areas=5)


def test_header_carries_display_mode_and_device_type():
    cfg = BoardConfig(protocol="bx", device_type=0x51)
    (frame,) = B.BxDecoder().feed(get_protocol("bx", cfg).memory_setup()[0])
    assert (frame.display_mode, frame.device_type, frame.dst) == (0x01, 0x51, 1)
    assert BoardConfig(protocol="bx").baudrate == 57600 and BoardConfig(protocol="alpha").baudrate == 9600


def test_backslash_is_doubled_and_text_outside_gb2312_replaced():
    data = B.encode_text("C:\\票 😀", 0, 1, False, unknown="□")
    assert data == b"\\FO000C:\\\\" + "票 □".encode("gb2312")
    assert B.decode_text(data) == ("C:\\票 □", 0, 1)
    cfg = BoardConfig(protocol="bx", title="欢迎😀")
    assert cfg.gb2312_problems() == ["board.title: character 3 '😀' (U+1F600) is not in GB2312, the card shows '□'"]
    with pytest.raises(ValidationError, match="not in GB2312 itself"):
        BoardConfig(protocol="bx", unknown_char="😀")


def test_virtual_card_draws_by_font_number_and_refuses_a_font_it_lacks():
    card = BxController(128, 32, card_fonts=(16, 24, 32))
    area = B.DynamicArea(0, 0, 0, 128, 32, B.encode_text("A1", 2, 1, False))
    frame = B.BxDecoder().feed(B.frame(B.dynamic_area_command([area])))[0]
    proto = get_protocol("bx", BoardConfig(protocol="bx"))
    assert proto.parse_ack(B.BxDecoder().feed(card.handle(frame)[0])[0]).ok
    assert card.face() == fit_text("A1", 32, 128, 32)  # 32 dots tall, as the card draws font 2
    small = BxController(128, 32, card_fonts=(16,))
    (answer,) = small.handle(frame)
    ack = proto.parse_ack(B.BxDecoder().feed(answer)[0])
    assert not ack.ok and "ERR_FONT_NOT_EXIST" in ack.detail


def test_check_config_and_led_send_refuse_a_12_px_area_and_warn_on_gb2312(tmp_path, capsys):
    cfg = tmp_path / "hall.toml"
    cfg.write_text('[board]\nprotocol = "bx"\ntitle = "欢迎😀"\nwidth = 128\nheight = 16\n'
                   '[[board.areas]]\nname = "a"\nkind = "text"\nx = 0\ny = 0\nwidth = 128\nheight = 12\n'
                   'font_px = 12\n', encoding="utf-8")
    assert main(["check-config", str(cfg)]) == 1
    assert "cells 12 px tall, but the card's smallest font is 16 dots" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="cells 12 px tall"):
        main(["led-send", "loop://", "--config", str(cfg), "--text", "x", "--timeout", "0.1"])
    cfg.write_text('[board]\nprotocol = "bx"\ntitle = "欢迎😀"\n', encoding="utf-8")
    assert main(["check-config", str(cfg)]) == 0
    assert "warning: board.title: character 3 '😀'" in capsys.readouterr().out
    main(["led-send", "loop://", "--config", str(cfg), "--text", "ẞ", "--timeout", "0.1"])
    assert "警告 warning: --text: character 1 'ẞ'" in capsys.readouterr().err
