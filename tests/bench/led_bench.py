"""LED board link benchmark: prints one JSON line.

Setup: the default 256x64 hall board (title, clock, four windows' calls in 2x2 cells,
waiting counts, scrolling notice), `BoardLink` -> socket:// -> `VirtualBoard`, for both
protocols. Line pacing is emulated on the simulator side: with ``baud=9600`` the virtual
board takes every byte off the line at 9600 8N1 (10 bits per byte, 1.04 ms), so "the last
byte of the update" is when the board has it, after its physical line time.

- call_to_wire_ratio: for single calls on an idle line, (time from the call event — before
  `compose` — until the board received the last byte of the update's frames) / (line time
  of those frames at 9600 8N1). Worst call over both protocols (per protocol: median, max).
- full_to_call_bytes_ratio: bytes of a full-board refresh (memory setup + every area) /
  bytes the link sent per call (frames + Alpha's read-back query), for the primary protocol
  (alpha, the configuration default); per protocol below.
- burst_final_state_ok: 20 calls within one second; the board ends showing the last one
  (both protocols), with the bytes sent during the burst reported.
- call_with_strip_to_wire_ratio: BX, the main board and a 64x16 strip over each of the four
  windows on one bus (own addresses); per call, (time from the call event until the strip —
  served after the main board — received the last byte) / (line time of the main board's and
  the strip's frames at 9600 8N1). Worst of the calls. Target <= 1.2.
- bx_picture_full_to_call_bytes_ratio: BX picture card (bx-picture, RGB pictures): bytes of a
  full refresh / bytes the link sent per call (unpaced line). Target >= 5.

Alpha's line time includes the pauses the sign needs after each DOTS size field (100 ms):
the line carries nothing else meanwhile.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import datetime

from display.board import QueueView, WindowCall, compose, compose_strip
from display.config import BoardConfig
from display.link import BoardLink, strip_name
from display.protocols import get_protocol
from display.render import render_board
from display.simulator import TcpTransport, VirtualBoard

BAUD = 9600
NOW = datetime(2026, 11, 25, 14, 5, 0)
BUSINESSES = ["劳动保障", "民政事务", "计生卫生", "残疾人服务"]
NOTICES = ["本周六正常办公，欢迎前来办理业务", "请携带身份证原件及复印件"]


class Hall:
    """A queue where each call moves one window to the next ticket of its business."""

    def __init__(self) -> None:
        self.numbers = {w: 10 * w for w in range(1, 5)}
        self.waiting = {b: 20 for b in BUSINESSES}
        self.calls = 0

    def call(self) -> QueueView:
        self.calls += 1
        window = self.calls % 4 + 1
        self.numbers[window] += 1
        business = BUSINESSES[window - 1]
        self.waiting[business] = max(0, self.waiting[business] - 1)
        return self.view()

    def view(self) -> QueueView:
        calls = [WindowCall(w, f"{w}号窗口", f"{'ABCD'[w - 1]}{n:03d}", BUSINESSES[w - 1], NOW)
                 for w, n in self.numbers.items()]
        return QueueView(calls=calls, waiting=dict(self.waiting))


def start(cfg: BoardConfig, hall: Hall) -> tuple[VirtualBoard, TcpTransport, BoardLink, list, int]:
    """Board, line and link, the hall's board shown (unpaced); also the frames written and the
    bytes of a full refresh."""
    board = VirtualBoard(cfg)
    transport = TcpTransport(board).start()
    written: list[tuple[bytes, float]] = []
    link = BoardLink(cfg, transport.url, on_written=lambda frame, at: written.append((frame, at))).start()
    content = compose(hall.view(), NOTICES, NOW, cfg)
    full_bytes = sum(map(len, get_protocol(cfg.protocol, cfg).full_refresh(content)))
    link.update(content)
    assert link.wait_in_sync(60), link.status()
    return board, transport, link, written, full_bytes


def run(protocol: str) -> dict:
    cfg = BoardConfig(width=256, height=64, protocol=protocol, baudrate=BAUD, ack_timeout_s=1.0)
    hall = Hall()
    board, transport, link, written, full_bytes = start(cfg, hall)
    try:
        board.baud = BAUD  # from here on the line runs at 9600 8N1
        query = link.protocol.ack_query()

        ratios, call_bytes, frame_bytes = [], [], []
        for _ in range(6):
            time.sleep(0.3)
            sent_before, n_written, n_frames = link.status().bytes_sent, len(written), len(board.frames)
            t0 = time.monotonic()
            content = compose(hall.call(), NOTICES, NOW, cfg)
            link.update(content)
            assert link.wait_in_sync(30), link.status()
            data = [f for f, _ in written[n_written:] if f != query]
            size = sum(map(len, data))
            received = [r for r in board.frames[n_frames:] if r.ok]
            last = [r for r in received if r.length == len(data[-1])][0]
            pauses = sum(len(link.protocol.pause_points(f)) for f in data) * link.protocol.pause_s
            ratios.append((last.at - t0) / (size * 10 / BAUD + pauses))
            call_bytes.append(link.status().bytes_sent - sent_before)
            frame_bytes.append(size)
            assert board.face() == render_board(content, cfg)

        time.sleep(0.3)
        sent_before, frames_before = link.status().bytes_sent, link.status().frames_sent
        t0 = time.monotonic()
        for _ in range(20):  # 20 calls in one second
            content = compose(hall.call(), NOTICES, NOW, cfg)
            link.update(content)
            time.sleep(0.05)
        settled = link.wait_in_sync(120)
        burst_s = time.monotonic() - t0
        burst_ok = settled and board.face() == render_board(content, cfg)
        st = link.status()
        per_call = statistics.mean(call_bytes)
        return {
            "call_to_wire_ratio_median": round(statistics.median(ratios), 3),
            "call_to_wire_ratio_max": round(max(ratios), 3),
            "call_frame_bytes_mean": round(statistics.mean(frame_bytes), 1),
            "call_line_time_ms_mean": round(statistics.mean(frame_bytes) * 10 / BAUD * 1000, 1),
            "bytes_per_call_mean": round(per_call, 1),
            "full_refresh_bytes": full_bytes,
            "full_refresh_line_time_s": round(full_bytes * 10 / BAUD, 2),
            "full_to_call_bytes_ratio": round(full_bytes / per_call, 2),
            "burst_final_state_ok": burst_ok,
            "burst_calls": 20,
            "burst_bytes_sent": st.bytes_sent - sent_before,
            "burst_frames_sent": st.frames_sent - frames_before,
            "burst_settle_s": round(burst_s, 2),
            "errors": st.errors,
        }
    finally:
        link.close()
        transport.close()


def run_strips() -> dict:
    """BX main board + a strip per window on one bus, at 9600 8N1 (simulator-side pacing)."""
    strips = [{"window": w, "address": 10 + w} for w in range(1, 5)]
    cfg = BoardConfig(width=256, height=64, protocol="bx", baudrate=BAUD, ack_timeout_s=1.0, strips=strips)
    board = VirtualBoard(cfg)
    transport = TcpTransport(board).start()
    written: list[tuple[bytes, float]] = []
    link = BoardLink(cfg, transport.url, on_written=lambda frame, at: written.append((frame, at))).start()
    hall = Hall()

    def show(view: QueueView) -> tuple[dict, dict]:
        content = compose(view, NOTICES, NOW, cfg)
        link.update(content)
        shown = {}
        for strip in cfg.strips:
            shown[strip.window] = compose_strip(view, strip.window, NOW, cfg.strip_board(strip))
            link.update_board(strip_name(strip.window), shown[strip.window])
        return content, shown

    def settled(timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(b.in_sync for b in link.boards()):
                return True
            time.sleep(0.005)
        return False

    try:
        show(hall.view())
        assert settled(60), link.boards()
        board.baud = BAUD
        ratios, sizes = [], []
        for _ in range(8):
            time.sleep(0.3)
            n_written, n_frames = len(written), len(board.frames)
            t0 = time.monotonic()
            view = hall.call()
            content = compose(view, NOTICES, NOW, cfg)
            link.update(content)
            window = hall.calls % 4 + 1  # the window this call moved
            strip = next(s for s in cfg.strips if s.window == window)
            link.update_board(strip_name(window), compose_strip(view, window, NOW, cfg.strip_board(strip)))
            assert settled(30), link.boards()
            data = [f for f, _ in written[n_written:]]
            size = sum(map(len, data))
            received = [r for r in board.frames[n_frames:] if r.ok and r.length == len(data[-1])]
            ratios.append((received[-1].at - t0) / (size * 10 / BAUD))
            sizes.append(size)
            assert board.face() == render_board(content, cfg)
        boards = link.boards()
        return {
            "call_with_strip_to_wire_ratio_median": round(statistics.median(ratios), 3),
            "call_with_strip_to_wire_ratio_max": round(max(ratios), 3),
            "call_with_strip_frame_bytes_mean": round(statistics.mean(sizes), 1),
            "boards_on_bus": len(boards),
            "all_boards_acknowledged": all(b.last_ack_at for b in boards),
            "errors": link.status().errors,
        }
    finally:
        link.close()
        transport.close()


def run_picture() -> dict:
    """BX picture card: full refresh vs call bytes (unpaced: a picture is 3 bytes a pixel)."""
    cfg = BoardConfig(width=256, height=64, protocol="bx-picture", ack_timeout_s=1.0)
    hall = Hall()
    board, transport, link, _, full_bytes = start(cfg, hall)
    try:
        call_bytes = []
        for _ in range(6):
            sent_before = link.status().bytes_sent
            content = compose(hall.call(), NOTICES, NOW, cfg)
            link.update(content)
            assert link.wait_in_sync(30), link.status()
            call_bytes.append(link.status().bytes_sent - sent_before)
        shown = board.face() == render_board(content, cfg)
        per_call = statistics.mean(call_bytes)
        return {
            "full_refresh_bytes": full_bytes,
            "bytes_per_call_mean": round(per_call, 1),
            "full_to_call_bytes_ratio": round(full_bytes / per_call, 2),
            "call_line_time_s_at_57600": round(per_call * 10 / 57600, 2),
            "board_shows_the_content": shown,
            "errors": link.status().errors,
        }
    finally:
        link.close()
        transport.close()


def main() -> None:
    results = {name: run(name) for name in ("alpha", "bx")}
    strips = run_strips()
    picture = run_picture()
    out = {
        "call_to_wire_ratio": max(r["call_to_wire_ratio_max"] for r in results.values()),
        "full_to_call_bytes_ratio": results["alpha"]["full_to_call_bytes_ratio"],
        "burst_final_state_ok": all(r["burst_final_state_ok"] for r in results.values()),
        "primary_protocol": "alpha",
        "baud": BAUD,
        "line_pacing": "simulator-side 8N1 emulation",
        "board": "256x64 default layout",
        **results,
        "call_with_strip_to_wire_ratio": strips["call_with_strip_to_wire_ratio_max"],
        "bx_picture_full_to_call_bytes_ratio": picture["full_to_call_bytes_ratio"],
        "bx_strips": strips,
        "bx-picture": picture,
    }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
