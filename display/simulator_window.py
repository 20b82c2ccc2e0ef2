"""A Qt window showing the virtual board as LED dots (the only Qt part of `display`).

`BoardWidget(board)` polls `VirtualBoard.face()` and redraws when it changed (the board is
fed on its transport thread; Qt only reads). `run_window(board, tick)` runs a window until
`tick()` returns False or the window is closed (used by `yizhan led-sim --window`).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QImage, QPixmap
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from display.bitmap import Bitmap
from display.fonts import FONT_DIR
from display.png import bitmap_to_image
from display.simulator import VirtualBoard


def bitmap_pixmap(bitmap: Bitmap, dot: int = 4, gap: int = 1) -> QPixmap:
    image = bitmap_to_image(bitmap, dot, gap).convert("RGB")
    data = image.tobytes("raw", "RGB")
    qimage = QImage(data, image.width, image.height, 3 * image.width, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(qimage.copy())  # copy: `data` goes away


class BoardWidget(QWidget):
    """LED dots of a virtual board plus a status line (frames, errors, bytes)."""

    def __init__(self, board: VirtualBoard, dot: int = 4, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.board = board
        self.dot = dot
        self.setWindowTitle(f"LED 显示屏 (虚拟 {board.protocol_name}) {board.config.width}x{board.config.height}")
        self.setStyleSheet("background: #080808; color: #9a9a9a;")
        self.picture = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.info = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.picture)
        # The window strips on the same bus, each under its name (3号窗口屏).
        self.strips: dict[str, QLabel] = {}
        self._strips_shown: dict[str, Bitmap] = {}
        if board.strips:
            row = QHBoxLayout()
            for name in board.strips:
                box = QVBoxLayout()
                self.strips[name] = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
                box.addWidget(self.strips[name])
                box.addWidget(QLabel(f"{name.split('-')[1]}号窗口屏", alignment=Qt.AlignmentFlag.AlignCenter))
                row.addLayout(box)
            layout.addLayout(row)
        layout.addWidget(self.info)
        self._shown: Bitmap | None = None
        self.timer = QTimer(self, interval=100)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        face = self.board.face()
        if face != self._shown:
            self._shown = face
            self.picture.setPixmap(bitmap_pixmap(face, self.dot))
        for name, strip_face in self.board.strip_faces().items():
            if strip_face != self._strips_shown.get(name):
                self._strips_shown[name] = strip_face
                self.strips[name].setPixmap(bitmap_pixmap(strip_face, self.dot))
        self.info.setText(
            f"收到 {self.board.bytes_received} 字节 · {len(self.board.frames)} 帧 · 错误 {len(self.board.errors)}")


def install_cjk_font(app: QApplication) -> None:
    """The bundled CJK font for the window's labels (led-sim runs without the hall app's font)."""
    font_id = QFontDatabase.addApplicationFont(str(FONT_DIR / "wqy-microhei.ttc"))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if families:
        app.setFont(QFont(families[0], app.font().pointSize()))


def run_window(board: VirtualBoard, tick: Callable[[], bool]) -> None:
    app = QApplication.instance() or QApplication([])
    install_cjk_font(app)
    widget = BoardWidget(board)
    widget.show()
    timer = QTimer(interval=50)
    timer.timeout.connect(lambda: None if tick() else app.quit())
    timer.start()
    app.exec()
