"""窗口屏: a one-line strip over each window on the main board's RS-485 bus, own address each;
the link serialises the bus, the virtual bus shows every board, the console line says what
each board last acknowledged."""

import time
from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from display.board import QueueView, WindowCall, compose, compose_strip
from display.config import BoardConfig
from display.link import MAIN, BoardLink, strip_name
from display.protocols import bx as B
from display.render import fit_text, render_board
from display.simulator import Faults, TcpTransport, VirtualBoard
from kiosk.services.board_feed import BoardFeed, board_state_text

NOW = datetime(2026, 11, 25, 14, 5)
STRIPS = [{"window": 1, "address": 11}, {"window": 3, "address": 13, "width": 80}]


def view(label="A023", window=3, paused=()):
    calls = [WindowCall(window, f"{window}号窗口", label, "社保", NOW - timedelta(seconds=30))]
    calls += [WindowCall(n, f"{n}号窗口", "", "", NOW, paused=True) for n in paused]
    return QueueView(calls=calls, waiting={"社保": 4})


def test_strip_texts_call_pause_idle():
    cfg = BoardConfig(protocol="bx", strips=STRIPS)
    wide = cfg.strip_board(cfg.strips[1].model_copy(update={"width": 128}))
    assert compose_strip(view(), 3, NOW, wide)["strip"].text == "A023 请到3号"
    assert compose_strip(view(), 3, NOW, cfg.strip_board(cfg.strips[1]))["strip"].text == "A023→3号"
    assert compose_strip(view(paused=[1]), 1, NOW, cfg.strip_board(cfg.strips[0]))["strip"].text == "暂停服务"
    assert compose_strip(QueueView(), 1, NOW, cfg.strip_board(cfg.strips[0]))["strip"].text == "1号窗口"
    fresh = compose_strip(view(), 3, NOW - timedelta(seconds=25), cfg.strip_board(cfg.strips[1]))["strip"]
    assert fresh.effect == "flash"


def test_strip_config_problems_are_named():
    with pytest.raises(ValidationError, match=r"strips\[1\] \(window 3\): address 1 is already used by the main"):
        BoardConfig(protocol="bx", strips=[{"window": 1, "address": 11}, {"window": 3, "address": 1}])
    with pytest.raises(ValidationError, match=r"window 1 already has strips\[0\]"):
        BoardConfig(protocol="bx", strips=[{"window": 1, "address": 11}, {"window": 1, "address": 12}])
    with pytest.raises(ValidationError, match=r"12 px tall, less than the card's smallest font"):
        BoardConfig(protocol="bx", strips=[{"window": 1, "address": 11, "height": 12}])


@pytest.mark.parametrize("protocol", ["bx", "bx-picture"])
def test_a_call_reaches_the_main_board_and_its_window_strip_on_one_bus(protocol):
    cfg = BoardConfig(protocol=protocol, width=256, height=64, strips=STRIPS)
    board = VirtualBoard(cfg)
    transport = TcpTransport(board).start()
    link = BoardLink(cfg, url=transport.url).start()
    written: list[bytes] = []
    link.on_written = lambda frame, _t: written.append(frame)
    try:
        main = {k: v for k, v in compose(view(), [], NOW + timedelta(minutes=1), cfg).items()}
        strip3 = compose_strip(view(), 3, NOW + timedelta(minutes=1), cfg.strip_board(cfg.strips[1]))
        strip1 = compose_strip(view(paused=[1]), 1, NOW, cfg.strip_board(cfg.strips[0]))
        link.update(main)
        link.update_board(strip_name(3), strip3)
        link.update_board(strip_name(1), strip1)
        assert link.wait_in_sync(20)
        deadline = time.monotonic() + 20
        while not all(b.in_sync for b in link.boards()) and time.monotonic() < deadline:
            time.sleep(0.02)
        states = {b.name: b for b in link.boards()}
        assert all(s.in_sync and s.last_ack_at for s in states.values()), states
        assert board.face() == render_board(main, cfg)
        assert board.strip_face(3) == fit_text("A023→3号", 16, 80, 16, "center", "cut")
        assert board.strip_face(1) == fit_text("暂停服务", 16, 64, 16, "center", "cut")
        if protocol == "bx":  # every board got frames with its own address
            dsts = {B.BxDecoder().feed(f)[0].dst for f in written}
            assert dsts == {1, 11, 13}
        assert board_state_text(link.status(), link.boards()) == ("LED屏：主屏 正常，2 块窗口屏 正常", True)
    finally:
        link.close()
        transport.close()


def test_a_strip_that_is_not_there_is_unconfirmed_and_never_blocks_the_main_board():
    cfg = BoardConfig(protocol="bx", width=192, height=32, ack_timeout_s=0.2, retries=1, strips=STRIPS[:1])
    board = VirtualBoard(cfg.model_copy(update={"strips": []}))  # the strip's cable is cut
    transport = TcpTransport(board).start()
    link = BoardLink(cfg, url=transport.url, strip_retry_s=30).start()
    try:
        link.update_board(strip_name(1), compose_strip(view(window=1), 1, NOW, cfg.strip_board(cfg.strips[0])))
        first = compose(view(window=1), [], NOW, cfg)
        link.update(first)
        assert link.wait_in_sync(20)
        second = compose(view("A024", window=1), [], NOW, cfg)
        link.update(second)
        assert link.wait_in_sync(20)  # the silent strip did not stop the main board
        assert board.face() == render_board(second, cfg)
        main, strip = link.boards()
        assert main.name == MAIN and main.in_sync and strip.last_ack_at is None and strip.failing
        text, ok = board_state_text(link.status(), link.boards())
        assert text == "LED屏：主屏 正常，1号窗口屏 未确认" and not ok
        assert link.status().connected
    finally:
        link.close()
        transport.close()


def test_a_board_that_never_answers_is_unconfirmed_not_ok():
    cfg = BoardConfig(protocol="bx", ack_timeout_s=0.1, retries=0)
    board = VirtualBoard(cfg, faults=Faults(drop_acks=1.0))
    transport = TcpTransport(board).start()
    link = BoardLink(cfg, url=transport.url).start()
    try:
        link.update(compose(view(), [], NOW, cfg))
        board.wait_for(lambda face: any(face.pixels), 10)
        text, ok = board_state_text(link.status(), link.boards())
        assert text.startswith(("LED屏：未确认", "LED屏：断开")) and not ok
        # A broadcast address never answers: the link sends, but nothing is confirmed.
        cast = BoardConfig(protocol="bx", address=0xFFFF)
        link2 = BoardLink(cast, url=transport.url)
        assert link2.boards()[0].last_ack_at is None
    finally:
        link.close()
        transport.close()


def test_the_feed_updates_the_main_board_and_each_strip():
    cfg = BoardConfig(protocol="bx", strips=STRIPS)

    class Board:
        def __init__(self):
            self.main, self.strips = [], {}

        def update(self, content):
            self.main.append(content)

        def update_board(self, name, content):
            self.strips.setdefault(name, []).append(content)

    board = Board()
    current = {"view": view()}
    feed = BoardFeed(board, cfg, lambda: current["view"], lambda now: [], lambda: NOW)
    feed.refresh()
    assert len(board.main) == 1 and board.strips[strip_name(3)][-1]["strip"].text == "A023→3号"
    assert board.strips[strip_name(1)][-1]["strip"].text == "1号窗口"
    feed.refresh()  # nothing changed: nothing sent
    assert len(board.main) == 1 and len(board.strips[strip_name(3)]) == 1
    current["view"] = view(paused=[1])
    feed.refresh()
    assert board.strips[strip_name(1)][-1]["strip"].text == "暂停服务" and len(board.strips[strip_name(3)]) == 1
