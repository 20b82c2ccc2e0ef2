"""A QR code painted module by module on whole pixels, so it is sharp at any size."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

QUIET_ZONE = 4  # modules of white around the code: phone scanners need it


def qr_matrix(data: str) -> list[list[bool]]:
    """The code's modules (True = dark), without the quiet zone; medium error correction."""
    import qrcode  # on first use: it pulls in Pillow, not needed to paint the home screen

    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def paint_matrix(painter: QPainter, matrix: list[list[bool]], area: QRect) -> QRect:
    """Paint `matrix` centred in `area` with an integer module size; returns the code's rect."""
    n = len(matrix) + 2 * QUIET_ZONE
    module = max(1, min(area.width(), area.height()) // n)
    side = module * n
    left = area.x() + (area.width() - side) // 2
    top = area.y() + (area.height() - side) // 2
    painter.fillRect(QRect(left, top, side, side), QColor("white"))
    dark = QColor("black")
    for y, row in enumerate(matrix):
        run_start = None
        for x, on in enumerate([*row, False]):  # paint horizontal runs: fewer rectangles
            if on and run_start is None:
                run_start = x
            elif not on and run_start is not None:
                painter.fillRect(QRect(left + (QUIET_ZONE + run_start) * module, top + (QUIET_ZONE + y) * module,
                                       (x - run_start) * module, module), dark)
                run_start = None
    return QRect(left, top, side, side)


def qr_image(data: str, size: int) -> QImage:
    """The code as an image of about `size` pixels (e.g. for printing or tests)."""
    matrix = qr_matrix(data)
    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    paint_matrix(painter, matrix, QRect(0, 0, size, size))
    painter.end()
    return image


class QrWidget(QWidget):
    def __init__(self, data: str = "", side: int = 280, parent: QWidget | None = None):
        super().__init__(parent)
        self._data = ""
        self._matrix: list[list[bool]] = []
        self._side = side
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setFixedSize(side, side)
        self.set_data(data)

    def data(self) -> str:
        return self._data

    def set_side(self, side: int) -> None:
        self._side = side
        self.setFixedSize(side, side)
        self.update()

    def set_data(self, data: str) -> None:
        self._data = data
        self._matrix = qr_matrix(data) if data else []
        self.setAccessibleName(data)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(self._side, self._side)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if self._matrix:
            paint_matrix(painter, self._matrix, self.rect())
        else:
            painter.fillRect(self.rect(), Qt.GlobalColor.white)
        painter.end()
