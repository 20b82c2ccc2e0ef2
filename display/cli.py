"""`yizhan led-sim` (the virtual board) and `yizhan led-send` (a technician's test message).

    yizhan led-sim --listen 7000 --protocol bx --png-dir /tmp/board --window
    yizhan led-sim --pty --protocol alpha --drop-acks 0.2
    yizhan led-send socket://127.0.0.1:7000 --protocol bx --text "请 A001 到 1号窗口" --dump
    yizhan led-send /dev/ttyUSB0 --protocol alpha --baud 9600 --text "测试" --dump

Both take the board's size from ``--config`` (a hall config TOML; its ``[board]`` table) or
from ``--width/--height/--colours``; led-send draws the text into one area (``--area``,
default the first) and leaves the others blank.
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

from display.config import BoardConfig
from display.protocols import PROTOCOL_NAMES, ProtocolError, get_protocol


def register(subparsers: argparse._SubParsersAction) -> None:
    sim = subparsers.add_parser(
        "led-sim", help="run the virtual LED board",
        description="A virtual board that decodes the real protocol bytes (Alpha or BX) on a TCP "
        "port (connect with socket://host:port) or a pseudo-terminal, answers like the controller "
        "and shows what it decoded (PNG frames, Qt window).")
    _board_args(sim)
    where = sim.add_mutually_exclusive_group()
    where.add_argument("--listen", metavar="[HOST:]PORT", help="TCP port to listen on (default 127.0.0.1:7000)")
    where.add_argument("--pty", action="store_true", help="use a pseudo-terminal and print its path")
    sim.add_argument("--pty-link", metavar="PATH", help="stable symlink to the pty slave (default: a temp path)")
    sim.add_argument("--png-dir", type=Path, help="write frame_NNNNN.png and latest.png on every change")
    sim.add_argument("--window", action="store_true", help="show the LED dots in a Qt window")
    sim.add_argument("--baud", type=int, default=0, help="pace incoming bytes like a real 8N1 line at this rate")
    sim.add_argument("--drop-acks", type=float, default=0.0, metavar="P", help="drop each answer with probability P")
    sim.add_argument("--delay-acks", type=float, default=0.0, metavar="S", help="send answers S seconds late")
    sim.add_argument("--garble", type=float, default=0.0, metavar="P", help="flip a bit in a received chunk with probability P")
    sim.add_argument("--disconnect-every", type=float, default=0.0, metavar="S",
                     help="drop the line every S seconds (down for --down seconds)")
    sim.add_argument("--down", type=float, default=1.0, metavar="S", help="how long each disconnect lasts")
    sim.add_argument("--duration", type=float, default=0.0, metavar="S", help="exit after S seconds (0 = run until Ctrl-C)")
    sim.set_defaults(run=run_sim)

    send = subparsers.add_parser(
        "led-send", help="send a test message to an LED board",
        description="Send a test message to a board (serial device or pyserial URL), wait for the "
        "controller's answer and optionally print every frame in hex. Exits 0 when the board "
        "confirmed, 1 otherwise.")
    send.add_argument("url", help="/dev/ttyUSB0, COM3, socket://host:port, rfc2217://host:port")
    _board_args(send)
    send.add_argument("--text", required=True, help="the message (Chinese is fine)")
    send.add_argument("--area", help="area to draw it in (default: the first area)")
    send.add_argument("--baud", type=int, help="baud rate (default from the config, 9600)")
    send.add_argument("--dump", action="store_true", help="print the frames and answers in hex")
    send.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for each answer")
    send.set_defaults(run=run_send)


def _board_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--protocol", choices=PROTOCOL_NAMES, help="controller protocol (default from the config: alpha)")
    p.add_argument("--config", type=Path, help="hall config TOML whose [board] table describes the board")
    p.add_argument("--width", type=int, help="board width in pixels")
    p.add_argument("--height", type=int, help="board height in pixels")
    p.add_argument("--colours", type=int, choices=[1, 2], help="single or dual colour")
    p.add_argument("--address", type=int, help="controller address (default: the protocol's, 00 Alpha, 1 BX)")


def board_config(args: argparse.Namespace) -> BoardConfig:
    """The board from --config's [board] table, overridden by the command-line options."""
    data: dict[str, Any] = {}
    if args.config:
        try:
            data = dict(tomllib.loads(args.config.read_text(encoding="utf-8")).get("board", {}))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SystemExit(f"cannot read {args.config}: {exc}") from None
    for key in ("protocol", "width", "height", "colours", "address"):
        value = getattr(args, key, None)
        if value is not None:
            data[key] = value
    if (args.width or args.height) and not args.config:
        data.pop("areas", None)
    if getattr(args, "baud", None):
        data["baudrate"] = args.baud
    try:
        return BoardConfig(**data)
    except ValueError as exc:
        raise SystemExit(f"board settings are not valid: {exc}") from None


def hexdump(data: bytes, width: int = 16) -> str:
    return "\n".join("    " + " ".join(f"{b:02X}" for b in data[i:i + width]) for i in range(0, len(data), width))


def message_content(config: BoardConfig, text: str, area_name: str | None) -> dict:
    """Board content with `text` in one area and every other area blank."""
    from display.bitmap import Bitmap
    from display.board import AreaContent
    from display.render import fit_text

    target = config.area(area_name) if area_name else config.areas[0]
    content = {}
    for area in config.areas:
        if area.name == target.name:
            bmp = fit_text(text, area.font_px, area.width, area.height, area.align, "cut", area.colour_value)
            content[area.name] = AreaContent(text, bmp, "static")
        else:
            content[area.name] = AreaContent("", Bitmap(area.width, area.height), "static")
    return content


def run_send(args: argparse.Namespace) -> int:
    import serial

    config = board_config(args)
    protocol = get_protocol(config.protocol, config)
    try:
        content = message_content(config, args.text, args.area)
    except KeyError as exc:
        print(f"错误 error: {exc.args[0]}", file=sys.stderr)
        return 2
    if config.protocol == "bx":
        from display.config import gb2312_problems

        text = [f"--text: {p}, the card shows {config.unknown_char!r}" for p in gb2312_problems(args.text)]
        for problem in text + config.gb2312_problems():
            print(f"警告 warning: {problem}", file=sys.stderr)
    frames = protocol.full_refresh(content)
    decoder = protocol.decoder()
    try:
        # A write timeout and reading between chunks: a line that never drains (loop://, a
        # stalled adapter) ends in "no answer", never in a hang.
        port = serial.serial_for_url(args.url, baudrate=config.baudrate, bytesize=config.bytesize,
                                     parity=config.parity, stopbits=config.stopbits, timeout=0.05,
                                     write_timeout=max(1.0, args.timeout))
    except (serial.SerialException, ValueError, OSError) as exc:
        print(f"错误 error: cannot open {args.url}: {exc}", file=sys.stderr)
        return 1
    ok = True

    pending: list = []

    def drain() -> None:
        data = port.read(port.in_waiting) if port.in_waiting else b""
        if data:
            pending.extend(decoder.feed(data))

    def send(data: bytes) -> bool:
        """Write in chunks, reading what comes back in between, pausing where the protocol
        says; False if the line stalls."""
        pauses = set(protocol.pause_points(data))
        cuts = sorted(pauses | set(range(256, len(data), 256)))
        for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
            try:
                port.write(data[start:end])
            except serial.SerialTimeoutException:
                print(f"写入超时 write timeout: the line to {args.url} does not take the bytes")
                return False
            drain()
            if end in pauses:
                time.sleep(protocol.pause_s)
        port.flush()
        return True

    def answer() -> bool:
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            items, pending[:] = pending[:], []
            items += decoder.feed(port.read(4096))
            for item in items:
                if args.dump:
                    print(f"<- {protocol.describe(item)}")
                    if not isinstance(item, ProtocolError):
                        print(hexdump(getattr(item, "raw", b"")))
                ack = None if isinstance(item, ProtocolError) else protocol.parse_ack(item)
                if ack is not None:
                    print(("确认 ACK: " if ack.ok else "拒绝 NACK: ") + ack.detail)
                    return ack.ok
        print(f"无应答 no answer within {args.timeout} s")
        return False

    with port:
        for i, frame in enumerate(frames, 1):
            if args.dump:
                (item,) = protocol.decoder().feed(frame)[-1:]
                print(f"-> frame {i}/{len(frames)}, {len(frame)} bytes: {protocol.describe(item)}")
                print(hexdump(frame))
            if not send(frame):
                ok = False
                break
            if protocol.ack_per_frame and protocol.expects_ack:
                ok = answer() and ok
        query = None if protocol.ack_per_frame or not ok else protocol.ack_query()
        if query is not None:
            if args.dump:
                print(f"-> read-back query, {len(query)} bytes")
                print(hexdump(query))
            ok = send(query) and answer() and ok
    print(f"sent {sum(map(len, frames))} bytes in {len(frames)} frame(s) to {args.url} ({protocol.title})")
    return 0 if ok else 1


def _listen_address(value: str | None) -> tuple[str, int]:
    if not value:
        return "127.0.0.1", 7000
    host, _, port = value.rpartition(":")
    try:
        return host or "127.0.0.1", int(port)
    except ValueError:
        raise SystemExit(f"--listen wants [HOST:]PORT, got {value!r}") from None


def run_sim(args: argparse.Namespace) -> int:
    from display.simulator import Faults, PtyTransport, TcpTransport, VirtualBoard

    config = board_config(args)
    faults = Faults(drop_acks=args.drop_acks, delay_acks_s=args.delay_acks, garble=args.garble)
    board = VirtualBoard(config, faults=faults, png_dir=args.png_dir, baud=args.baud or None)
    if args.pty:
        transport: Any = PtyTransport(board, args.pty_link).start()
        print(f"virtual {config.protocol} board {config.width}x{config.height} on pty {transport.path} "
              f"(-> {transport.slave_name})", flush=True)
    else:
        host, port = _listen_address(args.listen)
        transport = TcpTransport(board, host, port).start()
        print(f"virtual {config.protocol} board {config.width}x{config.height} listening on {transport.url}", flush=True)
    for strip in config.strips:  # the window strips on the same line
        print(f"  + window {strip.window} strip {strip.width}x{strip.height} at address {strip.address}", flush=True)
    deadline = time.monotonic() + args.duration if args.duration else None
    next_drop = time.monotonic() + args.disconnect_every if args.disconnect_every else None

    def tick() -> bool:
        nonlocal next_drop
        now = time.monotonic()
        if next_drop is not None and now >= next_drop:
            transport.disconnect(args.down)
            next_drop = now + args.disconnect_every
        return deadline is None or now < deadline

    try:
        if args.window:
            from display.simulator_window import run_window

            run_window(board, tick)
        else:
            while tick():
                time.sleep(0.05)
    except KeyboardInterrupt:
        pass
    finally:
        transport.close()
    print(f"received {board.bytes_received} bytes, {len(board.frames)} frames, {len(board.errors)} errors")
    return 0
