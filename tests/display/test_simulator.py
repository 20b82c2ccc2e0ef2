"""The virtual board: real protocol bytes through pyserial (socket:// and a pty) -> what it shows."""

import time
from datetime import datetime

import pytest
import serial

from display.board import QueueView, WindowCall, compose
from display.config import BoardConfig
from display.protocols import alpha as A
from display.protocols import bx as B
from display.protocols import get_protocol
from display.render import render_board
from display.simulator import Faults, PtyTransport, TcpTransport, VirtualBoard


def sample(cfg: BoardConfig, n: int = 1) -> dict:
    calls = [WindowCall(i, f"{i}号窗口", f"A{n + i:03d}", "劳动保障", datetime(2026, 11, 25, 14, 0)) for i in range(1, 5)]
    view = QueueView(calls=calls, waiting={"劳动保障": n, "民政事务": 2})
    return compose(view, ["本周六正常办公，欢迎前来办理业务"], datetime(2026, 11, 25, 14, 5), cfg)


def read_answer(port: serial.Serial, proto, timeout: float = 3.0, ack: bool = False):
    """The first frame from the board; with `ack`, its ACK/NACK however many packets it comes
    in (Alpha: F* and H# apart)."""
    dec = proto.decoder()
    deadline = time.monotonic() + timeout
    port.timeout = 0.05
    while time.monotonic() < deadline:
        for item in dec.feed(port.read(4096)):
            answer = proto.parse_ack(item) if ack else item
            if answer is not None:
                return answer
    raise AssertionError("no answer from the virtual board")


def read_ack(port: serial.Serial, proto):
    return read_answer(port, proto, timeout=15.0, ack=True)  # a whole board through a pty, on a busy CI


@pytest.fixture(params=["tcp", "pty"])
def line(request):
    """(make_transport) for both kinds of line."""
    made = []

    def make(board):
        t = (TcpTransport(board) if request.param == "tcp" else PtyTransport(board)).start()
        made.append(t)
        return t, (t.url if request.param == "tcp" else t.path)

    yield make
    for t in made:
        t.close()


@pytest.mark.parametrize("protocol", ["alpha", "bx"])
def test_board_shows_what_the_bytes_say(line, protocol, tmp_path):
    cfg = BoardConfig(width=256, height=64, protocol=protocol)
    board = VirtualBoard(cfg, png_dir=tmp_path)
    transport, url = line(board)
    proto = get_protocol(protocol, cfg)
    content = sample(cfg)
    with serial.serial_for_url(url, baudrate=9600, timeout=0.05) as port:
        for frame in proto.full_refresh(content):
            port.write(frame)
            if proto.ack_per_frame:
                assert read_ack(port, proto).ok
        if not proto.ack_per_frame:
            port.write(proto.ack_query())
            assert read_ack(port, proto).ok
    assert board.face() == render_board(content, cfg)
    assert (tmp_path / "latest.png").exists() and list(tmp_path.glob("frame_*.png"))
    assert not board.errors


def test_alpha_bad_checksum_sets_the_status_register(line):
    cfg = BoardConfig(protocol="alpha")
    board = VirtualBoard(cfg)
    _, url = line(board)
    proto = get_protocol("alpha", cfg)
    with serial.serial_for_url(url, timeout=0.05) as port:
        for frame in proto.memory_setup():
            port.write(frame)
        bad = bytearray(A.packet([A.write_string(A.SEQ_LABEL, "BEEF")], address="00"))
        bad[-3] = ord("0") if bad[-3] != ord("0") else ord("1")  # last checksum digit wrong
        port.write(bytes(bad))
        port.write(A.packet([A.read_special("*"), A.read_string(A.SEQ_LABEL)], address="00"))
        answer = read_answer(port, proto)
    assert answer.type_code == "0"
    status = int(answer.commands[0].data, 16)
    assert status & 0x10 and answer.commands[1].data != b"BEEF"  # rejected and flagged
    assert any("checksum" in e for e in board.errors)


def test_bx_bad_crc_gets_nack_err_checksum(line):
    cfg = BoardConfig(protocol="bx")
    board = VirtualBoard(cfg)
    _, url = line(board)
    proto = get_protocol("bx", cfg)
    frame = bytearray(proto.encode_update(sample(cfg), None)[0])
    frame[-2] ^= 0x40 if frame[-2] ^ 0x40 not in (0xA5, 0xA6, 0x5A, 0x5B) else 0x01  # corrupt the CRC only
    with serial.serial_for_url(url, timeout=0.05) as port:
        port.write(bytes(frame))
        ack = read_ack(port, proto)
    assert not ack.ok and "ERR_CHECKSUM" in ack.detail


def test_faults_drop_and_garble(line):
    cfg = BoardConfig(protocol="bx")
    board = VirtualBoard(cfg, faults=Faults(drop_acks=1.0))
    _, url = line(board)
    proto = get_protocol("bx", cfg)
    with serial.serial_for_url(url, timeout=0.3) as port:
        port.write(proto.encode_update(sample(cfg), None)[0])
        time.sleep(0.3)
        assert port.read(100) == b""  # the answer was dropped
    assert board.face() == render_board(sample(cfg), cfg)  # but the frame was applied
    board.faults = Faults(garble=1.0, seed=3)
    before = len(board.errors)
    with serial.serial_for_url(url, timeout=0.3) as port:
        port.write(proto.encode_update(sample(cfg, 5), None)[0])
        time.sleep(0.3)
        board.faults = Faults()
        port.write(proto.encode_update(sample(cfg, 6), None)[0])  # ends a frame whose 0x5A was hit
        time.sleep(0.3)
    assert len(board.errors) > before
    assert board.face() == render_board(sample(cfg, 6), cfg)


def test_disconnect_refuses_the_line_then_comes_back():
    cfg = BoardConfig(protocol="bx")
    board = VirtualBoard(cfg)
    transport = TcpTransport(board).start()
    try:
        port = serial.serial_for_url(transport.url, timeout=0.2)
        transport.disconnect(down_s=0.5)
        with pytest.raises(serial.SerialException):
            port.read(1)
        port.close()
        with pytest.raises(serial.SerialException):
            serial.serial_for_url(transport.url, timeout=0.2)
        time.sleep(0.6)
        with serial.serial_for_url(transport.url, timeout=0.2) as port:
            proto = get_protocol("bx", cfg)
            port.write(proto.memory_setup()[0])
            assert read_ack(port, proto).ok
    finally:
        transport.close()


def test_paced_line_delivers_at_the_physical_rate():
    cfg = BoardConfig(protocol="bx")
    board = VirtualBoard(cfg, baud=9600)
    frame = get_protocol("bx", cfg).encode_update(sample(cfg), None)[0]
    start = time.monotonic()
    board.receive(frame, lambda data: None)
    # the virtual line is busy for 10 bits per byte at 9600 baud from when the bytes came in
    assert board._line_free_at - start >= len(frame) * 10 / 9600
    assert board.frames[-1].at >= board._line_free_at - 1e-6
    assert board.frames[-1].length == len(frame)


def test_alpha_face_draws_strings_with_the_sign_font():
    cfg = BoardConfig(protocol="alpha")
    proto = get_protocol("alpha", cfg, string_areas=["clock"])
    board = VirtualBoard(cfg)
    board.protocol = proto
    content = sample(cfg)
    for frame in proto.full_refresh(content):
        board.receive(frame, lambda data: None)
    face = board.face()
    expected = render_board(content, cfg)
    clock = cfg.area("clock")
    # Everything but the clock is pixel-identical; the clock is the sign's own 8x16 text.
    outside = [(x, y) for y in range(cfg.height) for x in range(cfg.width)
               if not (clock.x <= x < clock.x + clock.width and clock.y <= y < clock.y + clock.height)]
    assert all(face.get(x, y) == expected.get(x, y) for x, y in outside)
    assert any(face.get(x, y) for x in range(clock.x, clock.x + clock.width) for y in range(clock.y, clock.y + 16))
    assert isinstance(board.controller.strings.get(proto.items[-1].label, ""), str)
    assert B  # both protocol modules import cleanly side by side


@pytest.mark.parametrize("protocol", ["alpha", "bx"])
def test_fuzz_controllers_survive_mutated_frames(protocol):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    cfg = BoardConfig(protocol=protocol)
    frames = get_protocol(protocol, cfg).full_refresh(sample(cfg))
    stream = b"".join(frames)

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.tuples(st.integers(0, len(stream) - 1), st.integers(0, 255)), max_size=8))
    def run(mutations):
        board = VirtualBoard(cfg)
        bad = bytearray(stream)
        for pos, value in mutations:
            bad[pos] = value
        board.receive(bytes(bad), lambda data: None)  # never raises, whatever arrives
        board.receive(stream, lambda data: None)  # and the next good bytes are shown
        assert board.face() == render_board(sample(cfg), cfg)

    run()


def test_bx_broadcast_address_expects_no_answer():
    proto = get_protocol("bx", BoardConfig(protocol="bx", address=0xFFFF))
    (frame,) = B.BxDecoder().feed(proto.memory_setup()[0])
    assert not proto.expects_ack and frame.data[2] == 0x02
    board = VirtualBoard(BoardConfig(protocol="bx", address=0xFFFF))
    answers = []
    board.receive(proto.memory_setup()[0], answers.append)
    assert answers == []
