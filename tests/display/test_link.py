"""BoardLink against the virtual board: sync, coalescing, acks/retries, reconnects.

The reliability test runs LED_RELIABILITY_CYCLES disconnect/reconnect cycles per protocol
(default 10 in normal runs; set it to 100 for the full version).
"""

import os
import threading
import time
from datetime import datetime

import pytest

from display.board import QueueView, WindowCall, compose
from display.config import BoardConfig
from display.link import BoardLink
from display.render import render_board
from display.simulator import Faults, PtyTransport, TcpTransport, VirtualBoard

CYCLES = int(os.environ.get("LED_RELIABILITY_CYCLES", "10"))


def sample(cfg: BoardConfig, n: int = 1) -> dict:
    """The board after call number `n`: window 3 calls B{n}, one fewer waits."""
    calls = [WindowCall(i, f"{i}号窗口", f"A{10 + i:03d}", "劳动保障", datetime(2026, 11, 25, 14, 0)) for i in (1, 2, 4)]
    calls.insert(2, WindowCall(3, "3号窗口", f"B{n % 1000:03d}", "民政事务", datetime(2026, 11, 25, 14, 0)))
    view = QueueView(calls=calls, waiting={"劳动保障": 5, "民政事务": 99 - n % 100})
    return compose(view, ["本周六正常办公"], datetime(2026, 11, 25, 14, 5), cfg)


def shows(board: VirtualBoard, content: dict, cfg: BoardConfig, timeout: float) -> bool:
    want = render_board(content, cfg)
    return board.wait_for(lambda face: face == want, timeout)


@pytest.fixture
def rig(request):
    made = []

    def make(protocol, faults=None, size=(256, 64), kind="tcp", **cfg_kw):
        # 115200 baud: the link waits for answers as long as the line needs to carry a frame
        cfg = BoardConfig(width=size[0], height=size[1], protocol=protocol, ack_timeout_s=0.3,
                          baudrate=115200, **cfg_kw)
        board = VirtualBoard(cfg, faults=faults)
        transport = (TcpTransport(board) if kind == "tcp" else PtyTransport(board)).start()
        link = BoardLink(cfg, transport.url if kind == "tcp" else transport.path).start()
        made.append((link, transport))
        return cfg, board, transport, link

    yield make
    for link, transport in made:
        link.close()
        transport.close()


@pytest.mark.parametrize("protocol", ["alpha", "bx"])
def test_link_brings_the_board_in_sync_and_reports_status(rig, protocol):
    cfg, board, _, link = rig(protocol)
    content = sample(cfg)
    link.update(content)
    assert link.wait_in_sync(10)
    assert board.face() == render_board(content, cfg)
    st = link.status()
    assert st.connected and st.last_ack_at and st.bytes_sent > 0 and st.frames_sent > 0 and st.protocol == protocol
    sent = st.bytes_sent
    link.update(sample(cfg, 2))  # one call: only the changed part goes on the wire
    assert link.wait_in_sync(10) and shows(board, sample(cfg, 2), cfg, 1)
    assert link.status().bytes_sent - sent < sent / 2


@pytest.mark.parametrize("protocol", ["alpha", "bx"])
def test_burst_coalesces_to_the_newest_state(rig, protocol):
    cfg, board, _, link = rig(protocol)
    link.update(sample(cfg, 0))
    assert link.wait_in_sync(10)
    frames_before = link.status().frames_sent
    for n in range(1, 21):  # 20 calls within one second
        link.update(sample(cfg, n))
        time.sleep(0.04)
    assert link.wait_in_sync(10)
    assert board.face() == render_board(sample(cfg, 20), cfg)
    per_update = 3 if protocol == "alpha" else 1  # alpha: data + query (+ setup); bx: one frame
    assert link.status().frames_sent - frames_before <= 20 * per_update


@pytest.mark.parametrize("protocol", ["alpha", "bx"])
def test_lost_and_garbled_answers_are_retried(rig, protocol):
    faults = Faults(drop_next=2, drop_acks=0.3, garble=0.05, seed=7)
    cfg, board, _, link = rig(protocol, faults=faults, size=(192, 32), retries=10)
    for n in range(5):
        link.update(sample(cfg, n))
        assert link.wait_in_sync(30), link.status()
    assert board.face() == render_board(sample(cfg, 4), cfg)
    st = link.status()
    # the first two answers never came; alpha's second attempt may lose a garbled frame's error
    # answer and still hear the query's refusal, so a NAK can stand in for the second timeout
    assert faults.dropped >= 2 and st.timeouts >= 1 and st.timeouts + st.naks >= 2, st


def test_delayed_answers_still_count(rig):
    cfg, board, _, link = rig("bx", faults=Faults(delay_acks_s=0.1))
    link.update(sample(cfg))
    assert link.wait_in_sync(10) and board.face() == render_board(sample(cfg), cfg)


def run_cycles(cfg, board, transport, link, cycles: int, down_s: float) -> list[float]:
    """Disconnect `cycles` times while calls continue; return seconds from the line coming
    back to the board showing the newest state."""
    stop = threading.Event()
    counter = [100]

    def caller():
        while not stop.is_set():
            counter[0] += 1
            link.update(sample(cfg, counter[0]))
            time.sleep(0.03)

    delays = []
    thread = threading.Thread(target=caller, daemon=True)
    thread.start()
    try:
        for _ in range(cycles):
            time.sleep(0.15)
            transport.disconnect(down_s=down_s)
            time.sleep(down_s)
            stop.set()  # the line is back; one more call, then see how fast it shows
            thread.join()
            back = time.monotonic()
            counter[0] += 1
            latest = sample(cfg, counter[0])
            link.update(latest)
            assert shows(board, latest, cfg, 2.0), f"board not showing the newest call 2 s after reconnect: {link.status()}"
            delays.append(time.monotonic() - back)
            stop.clear()
            thread = threading.Thread(target=caller, daemon=True)
            thread.start()
    finally:
        stop.set()
        thread.join()
    return delays


@pytest.mark.parametrize("protocol", ["alpha", "bx"])
def test_reconnects_repeatedly_while_calls_continue(rig, protocol):
    # The link's recovery on an unpaced line: without the Alpha sign's 100 ms pauses per DOTS
    # tile (a full 256x64 refresh has 32 of them; they are tested in test_alpha).
    cfg, board, transport, link = rig(protocol, pause_ms=0)
    link.update(sample(cfg))
    assert link.wait_in_sync(10)
    delays = run_cycles(cfg, board, transport, link, CYCLES, down_s=0.1)
    print(f"{protocol}: {CYCLES} reconnects, newest call shown after max {max(delays):.3f} s, "
          f"median {sorted(delays)[len(delays) // 2]:.3f} s")
    assert len(delays) == CYCLES and max(delays) <= 2.0
    assert link.status().reconnects >= CYCLES


@pytest.mark.parametrize("protocol", ["alpha", "bx"])
def test_pty_unplugged_and_plugged_back(rig, protocol):
    cfg, board, transport, link = rig(protocol, kind="pty", pause_ms=0)  # as above
    link.update(sample(cfg))
    assert link.wait_in_sync(10)
    delays = run_cycles(cfg, board, transport, link, 3, down_s=0.2)
    assert max(delays) <= 2.0


def test_unreachable_port_keeps_trying_and_closes_cleanly():
    cfg = BoardConfig(protocol="bx", port="socket://127.0.0.1:9")  # nothing listens on port 9
    link = BoardLink(cfg, reconnect_max_s=0.1).start()
    link.update({})
    time.sleep(0.5)
    st = link.status()
    assert not st.connected and st.errors >= 2 and "cannot open" in st.last_error
    link.close()
    assert not link._thread.is_alive()


def test_loop_url_without_a_controller_times_out_and_stays_alive():
    cfg = BoardConfig(protocol="bx", port="loop://", ack_timeout_s=0.05, retries=1)
    link = BoardLink(cfg, reconnect_max_s=0.1).start()
    link.update(sample(cfg))
    time.sleep(0.6)
    st = link.status()
    assert st.timeouts >= 2 and not st.in_sync and st.frames_sent >= 2
    link.close()


def test_link_needs_a_port():
    with pytest.raises(ValueError, match="needs a port"):
        BoardLink(BoardConfig(protocol="bx"))
