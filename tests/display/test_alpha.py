"""Alpha Sign Communications Protocol: packets, checksums, DOTS, decoder, board mapping, fuzzing."""

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from display.bitmap import Bitmap
from display.board import QueueView, WindowCall, compose
from display.config import BoardConfig
from display.protocols import ChecksumError, ProtocolError, get_protocol
from display.protocols import alpha as A


def sample(cfg: BoardConfig, n: int = 1) -> dict:
    calls = [WindowCall(i, f"{i}号窗口", f"A{n + i:03d}", "劳动保障", datetime(2026, 11, 25, 14, 0)) for i in range(1, 5)]
    view = QueueView(calls=calls, waiting={"劳动保障": n, "民政事务": 2})
    return compose(view, ["本周六正常办公"], datetime(2026, 11, 25, 14, 5), cfg)


def test_checksum_is_sum_from_stx_through_etx_as_four_hex_digits():
    # 0x02 'A' 'A' 'H' 'I' 0x03 -> 2+65+65+72+73+3 = 280 = 0x0118
    assert A.checksum(b"\x02AAHI\x03") == b"0118"
    pkt = A.packet([b"AAHI"], "Z", "00")
    assert pkt == b"\x00" * 5 + b"\x01Z00\x02AAHI\x030118\x04"


def test_decodes_the_classic_no_checksum_example():
    # The widely published BetaBrite/Alpha example: NULs, SOH "Z00" STX "AA" ESC " b" text EOT.
    stream = b"\x00" * 20 + b"\x01Z00\x02AA\x1b bMessage\x04"
    (pkt,) = A.AlphaDecoder().feed(stream)
    assert pkt.type_code == "Z" and pkt.address == "00" and not pkt.checked
    assert pkt.commands == (A.Command("A", "A", b"\x1b bMessage"),)


def test_nested_commands_roundtrip_in_pieces():
    pic = Bitmap.from_text("#..#\n.##.\n#..#")
    pkt = A.packet([A.write_small_dots("B", pic), A.write_string("C", "A023"), A.read_special("*")], "Z", "01")
    dec = A.AlphaDecoder()
    items = []
    for i in range(0, len(pkt), 7):  # arrives in small chunks, like a serial line
        items += dec.feed(pkt[i:i + 7])
    (got,) = items
    assert got.address == "01" and [c.code + c.label for c in got.commands] == ["IB", "GC", "F*"]
    assert A.parse_small_dots(got.commands[0].data) == pic
    assert got.commands[1].data == b"A023"


def test_small_dots_encoding_is_one_digit_per_pixel_rows_ended_by_cr():
    pic = Bitmap(3, 2, bytearray([0, 1, 2, 3, 0, 1]))
    assert A.write_small_dots("x", pic) == b"Ix0203" + b"012\r" + b"301\r"


def test_memory_configuration_entries():
    files = [A.FileSpec("A", "A", size=0x40), A.FileSpec("#", "B", size=4), A.FileSpec("b", "D", height=16, width=32)]
    cmd = A.memory_config(files)
    assert cmd == b"E$" + b"AAU0040FF00" + b"#BL00040000" + b"bDU10201000"
    assert A.parse_memory_config(cmd[2:]) == files


def test_bad_checksum_is_a_checksum_error_and_the_next_packet_decodes():
    good = A.packet([A.write_string("C", "A023")])
    bad = bytearray(good)
    bad[bad.index(b"A023")] = ord("B")  # payload changed, checksum not
    items = A.AlphaDecoder().feed(bytes(bad) + good)
    assert isinstance(items[0], ChecksumError) and "mismatch" in str(items[0])
    assert isinstance(items[-1], A.Packet) and items[-1].commands[0].data == b"A023"


def test_truncated_packet_and_garbage_resync_on_next_soh():
    good = A.packet([A.write_string("C", "1")])
    items = A.AlphaDecoder().feed(good[:12] + b"garbage" + good)
    errors = [i for i in items if isinstance(i, ProtocolError)]
    assert errors and "inside a command" in str(errors[0])  # the next packet's NUL run
    assert isinstance(items[-1], A.Packet)
    items = A.AlphaDecoder().feed(good[:12] + good[5:])  # no NULs: the new SOH cuts it
    assert "cut short" in str(items[0]) and isinstance(items[1], A.Packet)
    items = A.AlphaDecoder().feed(b"noise!" + good)
    assert "stray" in str(items[0]) and isinstance(items[1], A.Packet)


def test_empty_command_is_an_error_not_a_crash():
    items = A.AlphaDecoder().feed(b"\x01Z00\x02\x04" + A.packet([A.write_string("C", "1")]))
    assert "empty command" in str(items[0]) and isinstance(items[-1], A.Packet)


def test_bad_dots_picture_names_the_problem():
    with pytest.raises(ProtocolError, match="row 1 has 2 pixels"):
        A.parse_small_dots(b"0203" + b"000\r" + b"00\r")
    with pytest.raises(ProtocolError, match="expected '0'..'7'"):
        A.parse_small_dots(b"0101" + b"x\r")


def test_board_is_tiles_referenced_from_text_file():
    cfg = BoardConfig(width=192, height=32)
    proto = get_protocol("alpha", cfg)
    assert proto.tile_width == 32 and len(proto.items) == 12  # 2 lines of 6 tiles
    text = proto.text_file()
    assert text.startswith(b"\x1b0b") and text.count(bytes([A.CALL_DOTS])) == 12 and text.count(b"\r") == 1
    files = {f.label: f for f in proto.files()}
    assert files["A"].kind == "A" and files["#"].kind == "B"
    assert all(files[i.label].width == i.width for i in proto.items)


def test_a_call_rewrites_only_the_changed_tiles():
    cfg = BoardConfig(width=384, height=96)
    proto = get_protocol("alpha", cfg)
    old, new = sample(cfg, 1), sample(cfg, 2)
    full = proto.full_refresh(old)
    frames = proto.encode_update(new, old)
    packets = A.AlphaDecoder().feed(b"".join(frames))
    assert all(len(p.commands) == 1 for p in packets)  # one command a packet: no nested-STX pauses
    commands = [c for p in packets for c in p.commands]
    dots = [c for c in commands if c.code == "I"]
    assert 1 <= len(dots) <= len(proto.items) // 4
    assert commands[-1].code == "G" and commands[-1].label == "#"  # sequence for the read-back
    assert sum(map(len, full)) >= 5 * sum(map(len, frames))
    assert proto.encode_update(new, new) == []


def test_string_area_uses_the_sign_font():
    cfg = BoardConfig(width=192, height=32)
    proto = get_protocol("alpha", cfg, string_areas=["clock"])
    strings = [i for i in proto.items if i.kind == "string"]
    assert len(strings) == 1 and strings[0].width == 48
    assert bytes([A.CALL_STRING]) + strings[0].label.encode() in proto.text_file()
    with pytest.raises(ValueError, match="16 px high"):
        small = BoardConfig(width=256, height=64, areas=[
            {"name": "waiting", "kind": "waiting", "x": 0, "y": 0, "width": 256, "height": 12, "font_px": 12}])
        get_protocol("alpha", small, string_areas=["waiting"])


def test_ack_needs_clean_status_and_the_sequence_just_sent():
    proto = get_protocol("alpha", BoardConfig())
    proto.encode_update(sample(proto.config), None)
    seq = proto.expected_seq
    ok, = A.AlphaDecoder().feed(A.status_response(0x40, seq))
    assert proto.parse_ack(ok).ok
    bad, = A.AlphaDecoder().feed(A.status_response(0x50, seq))
    assert not proto.parse_ack(bad).ok and "checksum error" in proto.parse_ack(bad).detail
    lost, = A.AlphaDecoder().feed(A.status_response(0x40, "0000"))
    assert "lost" in proto.parse_ack(lost).detail
    queries = A.AlphaDecoder().feed(proto.ack_query())
    assert [q.commands[0].code for q in queries] == ["F", "H"]
    assert all(proto.parse_ack(q) is None for q in queries)  # our own query is not an answer


def test_status_and_sequence_answers_count_together_or_apart():
    proto = get_protocol("alpha", BoardConfig())
    proto.encode_update(sample(BoardConfig()), None)
    seq = proto.expected_seq
    proto.ack_query()
    status, = A.AlphaDecoder().feed(A.packet([b"E*40"], "0", "00"))
    number, = A.AlphaDecoder().feed(A.packet([b"G#" + seq.encode()], "0", "00"))
    assert proto.parse_ack(status) is None  # half an answer: wait for the other half
    assert proto.parse_ack(number).ok
    proto.ack_query()
    assert proto.parse_ack(number) is None and proto.parse_ack(status).ok  # the other order
    proto.ack_query()
    assert proto.parse_ack(A.AlphaDecoder().feed(A.status_response(0x40, seq))[0]).ok  # together
    proto.ack_query()
    flagged, = A.AlphaDecoder().feed(A.packet([b"E*50"], "0", "00"))
    assert "checksum error" in proto.parse_ack(flagged).detail  # a bad status needs no sequence


def test_pauses_after_the_dots_size_and_after_each_nested_stx():
    dots = A.packet([A.write_small_dots("b", Bitmap.from_text("#.#\n.#."))])
    (point,) = A.pause_points(dots)
    assert dots[point - 7:point] == b"\x02Ib0203"  # STX I label, height 02, width 03
    nested = A.packet([A.read_special("*"), A.read_string("#")])
    stx = [i + 1 for i, b in enumerate(nested) if b == A.STX]
    assert A.pause_points(nested) == stx and len(stx) == 2
    assert A.pause_points(A.packet([A.read_special("*")])) == []
    proto = get_protocol("alpha", BoardConfig(pause_ms=250))
    assert proto.pause_s == 0.25 and proto.pause_points(dots) == [point]


def test_alpha_takes_7e1_and_bx_refuses_it():
    cfg = BoardConfig(protocol="alpha", bytesize=7, parity="E")
    frames = get_protocol("alpha", cfg).full_refresh(sample(cfg))
    assert all(b < 0x80 for f in frames for b in f)  # every byte fits 7 data bits
    with pytest.raises(ValueError, match="needs 8 data bits and no parity"):
        BoardConfig(protocol="bx", bytesize=7, parity="E")
    assert BoardConfig(protocol="alpha").address == 0 and get_protocol("alpha", BoardConfig()).address == "00"


# -- fuzzing -----------------------------------------------------------------------------

GOOD = A.packet([A.write_small_dots("b", Bitmap.from_text("#.#\n.#.")), A.write_string("C", "A023")])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_fuzz_random_bytes_never_crash(data):
    dec = A.AlphaDecoder()
    for item in dec.feed(data):
        assert isinstance(item, A.Packet | ProtocolError)
    items = dec.feed(GOOD)  # whatever came before, the next good packet decodes
    assert isinstance(items[-1], A.Packet) and items[-1].commands[1].data == b"A023"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(GOOD) - 1), st.integers(0, 255)), min_size=1, max_size=6),
       st.integers(0, len(GOOD)))
def test_fuzz_mutated_packets_error_then_resync(mutations, cut):
    bad = bytearray(GOOD)
    for pos, value in mutations:
        bad[pos] = value
    bad = bytes(bad[:cut] if cut < len(GOOD) // 2 else bad)
    dec = A.AlphaDecoder()
    items = dec.feed(bad) + dec.feed(GOOD)
    for item in items:
        assert isinstance(item, A.Packet | ProtocolError)
    assert isinstance(items[-1], A.Packet) and items[-1].commands[1].data == b"A023"
