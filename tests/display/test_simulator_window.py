"""The virtual board's Qt window: LED dots follow what the board decoded."""

from datetime import datetime

from display.board import QueueView, WindowCall, compose
from display.config import BoardConfig
from display.protocols import get_protocol
from display.simulator import VirtualBoard
from display.simulator_window import BoardWidget


def test_window_shows_the_decoded_face(qtbot, tmp_path):
    cfg = BoardConfig(protocol="bx")
    board = VirtualBoard(cfg)
    widget = BoardWidget(board, dot=3)
    qtbot.addWidget(widget)
    widget.show()
    empty = widget.picture.pixmap().toImage()
    view = QueueView(calls=[WindowCall(1, "1号窗口", "A001", "劳动保障", datetime(2026, 11, 25, 14, 0))])
    content = compose(view, [], datetime(2026, 11, 25, 14, 5), cfg)
    for frame in get_protocol("bx", cfg).full_refresh(content):
        board.receive(frame, lambda data: None)
    widget.refresh()
    image = widget.picture.pixmap().toImage()
    assert image.width() == cfg.width * 4 + 1 and image != empty
    assert "2 帧" in widget.info.text()
    widget.grab().save(str(tmp_path / "window.png"))
    assert (tmp_path / "window.png").stat().st_size > 0


def test_window_shows_every_board_on_the_bus(qtbot):
    from display.board import compose_strip

    cfg = BoardConfig(protocol="bx", strips=[{"window": 1, "address": 11}, {"window": 2, "address": 12}])
    board = VirtualBoard(cfg)
    widget = BoardWidget(board, dot=2)
    qtbot.addWidget(widget)
    view = QueueView(calls=[WindowCall(1, "1号窗口", "A001", "劳动保障", datetime(2026, 11, 25, 14, 0))])
    strip_cfg = cfg.strip_board(cfg.strips[0])
    strip = get_protocol("bx", strip_cfg)
    for frame in strip.full_refresh(compose_strip(view, 1, datetime(2026, 11, 25, 14, 5), strip_cfg)):
        board.receive(frame, lambda data: None)
    widget.refresh()
    assert set(widget.strips) == {"window-1", "window-2"}
    lit = widget.strips["window-1"].pixmap().toImage()
    dark = widget.strips["window-2"].pixmap().toImage()
    assert lit.width() == 64 * 3 + 1 and lit != dark  # 2 px dots, 1 px gaps
    assert not any(board.face().pixels)  # frames for address 11 leave the main board alone
