"""BX picture cards (图文卡, BX-5E/6E/6Q): byte-checked against frames from Onbon's own SDK
(tests/display/golden/bx_picture_sdk.hex, made by running github.com/onbonlab/bx.dual.dyn.java),
and end to end through the virtual card."""

from pathlib import Path

import pytest

from display.bitmap import Bitmap
from display.board import AreaContent, QueueView, WindowCall, compose
from display.config import BoardConfig
from display.link import BoardLink
from display.protocols import bx_picture as P
from display.protocols import get_protocol
from display.render import render_board
from display.simulator import TcpTransport, VirtualBoard

GOLDEN = {name: bytes.fromhex(hexed) for name, hexed in (
    line.split() for line in (Path(__file__).parent / "golden" / "bx_picture_sdk.hex").read_text().splitlines()
    if line and not line.startswith("#"))}


def bitmap(width, height, dots):
    bmp = Bitmap(width, height)
    for (x, y), v in dots.items():
        bmp.pixels[y * width + x] = v
    return bmp


def send(area: P.PictureArea) -> bytes:
    return P.frame(bytes([0x01, *P.SEND_AREA]) + area.payload())


def test_picture_frames_match_onbons_sdk_byte_for_byte():
    dots = {(x, y): 1 for y in range(8) for x in range(16) if (x + y) % 2}
    dots[0, 0], dots[2, 0] = 3, 2
    sdk_defaults = {"display_mode": 0}  # the SDK's page default (随机); our board sends 0x01 静止
    a1 = P.PictureArea(1, 8, 4, 16, 8, (P.Page(P.bitmap_to_rgb(bitmap(16, 8, dots)), **sdk_defaults),), imme_play=0)
    assert send(a1) == GOLDEN["send_area1_16x8"]
    a3 = P.PictureArea(3, 0, 0, 8, 2, (P.Page(bytes(48), **sdk_defaults),), imme_play=0)
    assert send(a3) == GOLDEN["send_area3_blank_8x2"]
    # What the queue board sends by default: a static page, shown at once over any program.
    a5 = P.PictureArea(5, 64, 16, 4, 2, (P.Page(P.bitmap_to_rgb(bitmap(4, 2, {(0, 0): 1, (1, 1): 3, (3, 1): 2}))),))
    assert send(a5) == GOLDEN["send_area5_static_4x2_imme"]
    assert P.frame(bytes([0x01, *P.DELETE_AREAS]) + P.delete_payload([0, 2])) == GOLDEN["delete_0_2"]
    cfg = BoardConfig(protocol="bx-picture", address=0xFFFF)
    assert get_protocol("bx-picture", cfg).memory_setup() == [GOLDEN["delete_all"]]


def test_sdk_frames_decode_field_by_field():
    (frame,) = P.PictureDecoder().feed(GOLDEN["send_area1_16x8"])
    assert (frame.dst, frame.src, frame.version, frame.device_type, frame.command) == (0xFFFF, 0x8000, 0xF0,
                                                                                       0x0266, (0xA7, 0x00))
    area = P.parse_area(frame.payload)
    assert (area.area_id, area.x, area.y, area.width, area.height, area.imme_play) == (1, 8, 4, 16, 8, 0)
    face = area.bitmap()
    assert face.pixels[0] == 3 and face.pixels[1] == 1 and face.pixels[2] == 2 and face.pixels[16] == 1


def test_a_bad_crc_is_refused_and_an_answer_is_read_as_the_sdk_reads_it():
    bad = bytearray(GOLDEN["delete_0_2"])
    bad[-2] ^= 0x01
    (err,) = P.PictureDecoder().feed(bytes(bad))
    assert "CRC" in str(err)
    (req,) = P.PictureDecoder().feed(GOLDEN["delete_0_2"])
    proto = get_protocol("bx-picture", BoardConfig(protocol="bx-picture"))
    (ack,) = P.PictureDecoder().feed(P.answer(req, True))
    assert proto.parse_ack(ack).ok and ack.dst == 0x8000
    (nack,) = P.PictureDecoder().feed(P.answer(req, False, 12))
    assert proto.parse_ack(nack).detail == "NACK ERR_FONT_NOT_EXIST"


def hall(calls, waiting):
    from datetime import datetime

    now = datetime(2026, 11, 25, 14, 5)
    view = QueueView(calls=[WindowCall(n, f"{n}号窗口", t, "社保", now) for n, t in calls], waiting=waiting)
    return view, now


def test_a_call_resends_only_the_tiles_that_changed():
    cfg = BoardConfig(protocol="bx-picture", width=256, height=64)
    proto = get_protocol("bx-picture", cfg)
    v1, now = hall([(1, "A001"), (2, "B001")], {"社保": 5, "民政": 2})
    v2, _ = hall([(1, "A002"), (2, "B001")], {"社保": 4, "民政": 2})
    before, after = compose(v1, [], now, cfg), compose(v2, [], now, cfg)
    full = sum(map(len, proto.full_refresh(after)))
    call = sum(map(len, proto.encode_update(after, before)))
    assert 0 < call and full / call >= 5


@pytest.mark.parametrize("width,height", [(192, 32), (256, 64)])
def test_virtual_picture_card_shows_what_the_virtual_board_renders(width, height):
    cfg = BoardConfig(protocol="bx-picture", width=width, height=height)
    board = VirtualBoard(cfg)
    transport = TcpTransport(board).start()
    link = BoardLink(cfg, url=transport.url).start()
    try:
        view, now = hall([(1, "A001"), (3, "C007")], {"社保": 5})
        content = compose(view, [], now, cfg)
        still = {k: AreaContent(v.text, v.bitmap, "static" if v.effect == "flash" else v.effect)
                 for k, v in content.items()}
        link.update(still)
        assert link.wait_in_sync(20)
        assert board.face() == render_board(still, cfg)
        assert link.status().last_ack_at is not None and not board.errors
    finally:
        link.close()
        transport.close()


def test_a_scrolling_area_moves_as_one_area_and_wide_static_text_shows_its_start():
    cfg = BoardConfig(protocol="bx-picture", width=256, height=64)
    proto = get_protocol("bx-picture", cfg)
    view, now = hall([(1, "A001")], {"社保": 5, "民政事务": 2, "计生卫生": 1, "残疾人服务": 3})
    content = compose(view, ["本周六（11月28日）正常办公，欢迎前来办理业务"], now, cfg)
    assert content["waiting"].effect == "scroll" and content["notice"].effect == "scroll"
    areas = [P.parse_area(P.PictureDecoder().feed(f)[0].payload) for f in proto.encode_update(content, None)]
    notice = cfg.area("notice")
    (moving,) = [a for a in areas if (a.x, a.y) == (notice.x, notice.y)]
    assert (moving.width, moving.height) == (notice.width, notice.height) and len(moving.pages) >= 2
    assert all(p.display_mode == P.PAGE_SCROLL_LEFT for p in moving.pages)
    card = VirtualBoard(cfg)
    for frame in proto.full_refresh(content):
        card.receive(frame, lambda data: None)
    assert card.face() == render_board(content, cfg) and not card.errors  # first frame of each
