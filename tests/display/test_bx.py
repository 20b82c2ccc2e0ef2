"""Onbon BX-5K/6K protocol: the document's byte examples, escaping, decoder, mapping, fuzzing."""

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from display.board import QueueView, WindowCall, compose
from display.config import BoardConfig
from display.protocols import ChecksumError, ProtocolError, get_protocol
from display.protocols import bx as B


def hexbytes(text: str) -> bytes:
    return bytes(int(x, 16) for x in text.split())


# BX-5K/6K 通讯协议 5.1.1 / 8.2.1: 6K3, 128x32, "欢迎光临" in a dynamic area.
DOC_FRAME = hexbytes(
    "a5 a5 a5 a5 a5 a5 a5 a5 fe ff 00 80 00 00 00 00 00 00 fe 02 2c 00 a3 06 01 00 00 00 01 23 00"
    " 00 00 80 00 00 80 80 20 00 00 00 00 0a 00 00 00 00 02 01 01 00 02 0a 08 00 00 00"
    " bb b6 d3 ad b9 e2 c1 d9 3c 49 5a")
# 5.1.2 / 7.1 ACK and 7.2 NACK answers (note the nine 0xA5: any run of them starts a frame).
DOC_ACK = hexbytes("A5 A5 A5 A5 A5 A5 A5 A5 A5 00 80 FE FF 00 00 00 00 00 00 FE 02 05 00 A0 00 00 00 00 14 AC 5A")
DOC_NACK_BODY = hexbytes("00 80 FE FF 00 00 00 00 00 00 FE 02 05 00 A0 01 00 00 00")
# A captured frame from a BX-5 installation (three-line weather board), CRC 0xDA82.
CAPTURED = hexbytes(
    "A5 A5 A5 A5 A5 A5 A5 A5 01 00 00 80 00 00 00 00 00 00 FE 02 35 00 A3 06 02 00 00 00 01 2C 00"
    " 00 00 00 0C 00 40 00 0C 00 01 0A 01 02 00 00 00 00 01 01 01 00 17 02 11 00 00 00 5C 46 4F 30"
    " 30 30 54 45 4D 50 45 52 3A 32 31 A1 E6 82 DA 5A")


def sample(cfg: BoardConfig, n: int = 1) -> dict:
    calls = [WindowCall(i, f"{i}号窗口", f"A{n + i:03d}", "劳动保障", datetime(2026, 11, 25, 14, 0)) for i in range(1, 5)]
    view = QueueView(calls=calls, waiting={"劳动保障": n, "民政事务": 2})
    return compose(view, ["本周六正常办公"], datetime(2026, 11, 25, 14, 5), cfg)


def test_crc16_matches_the_document_examples():
    assert B.crc16(DOC_FRAME[8:-3]) == 0x493C
    assert B.crc16(DOC_ACK[9:-3]) == 0xAC14
    assert B.crc16(DOC_NACK_BODY) == 0x5015


def test_document_frame_decodes_field_by_field_and_reencodes_identically():
    (frame,) = B.BxDecoder().feed(DOC_FRAME)
    assert (frame.dst, frame.src, frame.device_type, frame.version) == (0xFFFE, 0x8000, 0xFE, 0x02)
    update = B.parse_dynamic_update(frame.data)
    (area,) = update.areas
    assert (area.area_id, area.x, area.y, area.width, area.height) == (0, 0, 0, 128, 32)
    assert (area.display_mode, area.timeout, area.stay, area.speed) == (B.MODE_STATIC, 10, 10, 2)
    assert B.decode_text(area.text) == ("欢迎光临", 0, 1)
    assert B.frame(B.dynamic_area_command([area]), dst=0xFFFE) == DOC_FRAME


def test_document_ack_and_nack():
    proto = get_protocol("bx", BoardConfig(protocol="bx"))
    (ack,) = B.BxDecoder().feed(DOC_ACK)
    assert ack.dst == 0x8000 and proto.parse_ack(ack).ok
    nack_frame = B.frame(DOC_NACK_BODY[14:], dst=0x8000, src=0xFFFE)
    assert nack_frame.endswith(b"\x15\x50\x5a")  # CRC 0x5015 as in the document
    (nack,) = B.BxDecoder().feed(nack_frame)
    assert not proto.parse_ack(nack).ok and "ERR_NO" in proto.parse_ack(nack).detail


def test_our_ack_matches_a_captured_controller_answer():
    # A controller's ACK to PC 0x8000 from screen 0x0001, captured in a BX-compatible device's
    # firmware source (CRC 0xDC64); the virtual board answers with exactly these bytes.
    captured = hexbytes("A5 A5 A5 A5 A5 A5 A5 A5 00 80 01 00 00 00 00 00 00 00 FE 02 05 00 A0 00 00 00 00 64 DC 5A")
    request = B.BxDecoder().feed(get_protocol("bx", BoardConfig(protocol="bx")).memory_setup()[0])[0]
    assert B.answer(request, True) == captured


def test_captured_frame_with_units_of_eight_pixels_and_font_escape():
    (frame,) = B.BxDecoder().feed(CAPTURED)
    (area,) = B.parse_dynamic_update(frame.data).areas
    assert (area.x, area.y, area.width, area.height) == (0, 12, 512, 12)  # X/W without bit 15: bytes
    assert B.decode_text(area.text) == ("TEMPER:21℃", 0, 1)


def test_escaping_roundtrip_and_invalid_escape():
    data = bytes([0xA5, 0xA6, 0x5A, 0x5B, 0x00, 0xA5])
    assert B.escape(data) == bytes([0xA6, 2, 0xA6, 1, 0x5B, 2, 0x5B, 1, 0, 0xA6, 2])
    frame = B.frame(b"\xa3\x06" + data)
    (got,) = B.BxDecoder().feed(frame)
    assert got.data == b"\xa3\x06" + data
    (err,) = B.BxDecoder().feed(b"\xa5\x01\x02\xa6\x07\x5a")
    assert isinstance(err, ProtocolError) and "invalid escape" in str(err)


def test_bad_crc_and_wrong_length_name_the_problem():
    bad = bytearray(DOC_FRAME)
    bad[-10] ^= 0x01
    (err,) = B.BxDecoder().feed(bytes(bad))
    assert isinstance(err, ChecksumError) and "CRC 0x493C does not match" in str(err)
    body = bytearray(B.BxDecoder().feed(DOC_FRAME)[0].raw)
    body[12] += 1  # DataLen one too big
    with pytest.raises(ProtocolError, match="header says 45 data bytes"):
        B.parse_body(bytes(body))


def test_truncated_frame_resyncs_on_next_start():
    items = B.BxDecoder().feed(DOC_FRAME[:30] + b"xx" + DOC_FRAME)
    assert isinstance(items[0], ProtocolError) and "cut short" in str(items[0])
    assert isinstance(items[-1], B.Frame)


def test_each_area_and_grid_cell_is_a_dynamic_area():
    cfg = BoardConfig(width=384, height=96, protocol="bx")
    proto = get_protocol("bx", cfg)
    assert len(proto.slots) == 8  # title, clock, 2x2 calls cells, waiting, notice
    areas = proto.slot_areas(sample(cfg))
    cells = [a for a in areas.values() if a.height == 32 and 16 <= a.y < 80]
    assert len(cells) == 4 and B.decode_text(cells[0].text)[1] == 2 and B.decode_text(cells[0].text)[0].startswith("A002")
    with pytest.raises(ValueError, match="supports 5"):
        get_protocol("bx", cfg, max_areas=5)


def test_a_call_sends_one_frame_with_only_the_changed_areas():
    cfg = BoardConfig(width=256, height=64, protocol="bx")
    proto = get_protocol("bx", cfg)
    frames = proto.encode_update(sample(cfg, 2), sample(cfg, 1))
    assert len(frames) == 1
    (frame,) = B.BxDecoder().feed(frames[0])
    texts = [B.decode_text(a.text)[0] for a in B.parse_dynamic_update(frame.data).areas]
    assert len(texts) == 5  # four calls cells changed their numbers, plus the waiting line
    assert proto.encode_update(sample(cfg, 2), sample(cfg, 2)) == []
    assert B.parse_dynamic_update(B.BxDecoder().feed(proto.memory_setup()[0])[0].data).delete_all


def test_text_is_gb2312_with_font_and_colour_escapes():
    assert B.encode_text("请 A023", 1, 2, dual=True) == b"\\FO001\\C2" + "请 A023".encode("gb2312")
    assert B.decode_text(b"\\FO001\\C2" + "窗口".encode("gb2312")) == ("窗口", 1, 2)
    assert len(B.encode_text("公" * 400, 0, 1, False)) <= B.MAX_AREA_TEXT


# -- fuzzing -----------------------------------------------------------------------------

GOOD = DOC_FRAME


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_fuzz_random_bytes_never_crash(data):
    dec = B.BxDecoder()
    for item in dec.feed(data):
        assert isinstance(item, B.Frame | ProtocolError)
        if isinstance(item, B.Frame) and item.command == (0xA3, 0x06):
            try:
                B.parse_dynamic_update(item.data)
            except ProtocolError:
                pass
    items = dec.feed(GOOD)
    assert isinstance(items[-1], B.Frame) and items[-1].data == B.BxDecoder().feed(GOOD)[0].data


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(8, len(GOOD) - 2), st.integers(0, 255)), min_size=1, max_size=6))
def test_fuzz_mutated_frames_error_then_resync(mutations):
    bad = bytearray(GOOD)
    for pos, value in mutations:
        bad[pos] = value
    dec = B.BxDecoder()
    items = dec.feed(bytes(bad)) + dec.feed(GOOD)
    for item in items:
        assert isinstance(item, B.Frame | ProtocolError)
    assert isinstance(items[-1], B.Frame) and B.parse_dynamic_update(items[-1].data).areas[0].text == "欢迎光临".encode("gb2312")
