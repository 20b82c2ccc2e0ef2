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
